"""No command overwrites what it did not create (issue 16, items 2 and 9): report and
export-ocel refuse an existing file without --force, never write onto their input, replace a
link rather than its target; CSV output cannot start a spreadsheet formula."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.simulation import run


@pytest.fixture(scope="module")
def log_file(tmp_path_factory):
    from sim.scenario import Scenario

    path = tmp_path_factory.mktemp("outputs") / "run.db"
    tiny = ["simulation.days=1", "demand.orders_per_day=60", "world.customers=200", "catalog.products=40"]
    run(Scenario().apply_overrides(tiny), db_path=path, name="tiny")
    return path


def _invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_report_refuses_an_existing_file_and_its_own_input(log_file, tmp_path):
    before = log_file.read_bytes()
    res = _invoke("report", str(log_file), "-o", str(log_file))
    assert res.exit_code == 2 and "is one of this command's inputs" in res.stderr
    res = _invoke("report", str(log_file), "-o", str(log_file), "--force")
    assert res.exit_code == 2 and "is one of this command's inputs" in res.stderr
    link = tmp_path / "alias.db"
    link.symlink_to(log_file)
    res = _invoke("report", str(log_file), "-o", str(link), "--force")  # the input, through a link
    assert res.exit_code == 2 and "is one of this command's inputs" in res.stderr
    assert log_file.read_bytes() == before
    other = tmp_path / "notes.html"
    other.write_text("mine")
    assert _invoke("report", str(log_file), "-o", str(other)).exit_code == 2
    assert other.read_text() == "mine"
    res = _invoke("report", str(log_file), "-o", str(other), "--force")
    assert res.exit_code == 0, res.output
    assert other.read_text().startswith("<!DOCTYPE html>")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_report_replaces_a_link_not_its_target(log_file, tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    link = tmp_path / "report.html"
    link.symlink_to(target)
    res = _invoke("report", str(log_file), "-o", str(link), "--force")
    assert res.exit_code == 0, res.output
    assert target.read_text() == "keep me"
    assert not link.is_symlink() and link.read_text().startswith("<!DOCTYPE html>")


def test_export_ocel_never_writes_onto_its_input(log_file):
    before = log_file.read_bytes()
    res = _invoke("export-ocel", str(log_file), str(log_file), "--force")
    assert res.exit_code == 2 and "is one of this command's inputs" in res.stderr
    assert log_file.read_bytes() == before


def test_csv_cells_cannot_start_a_formula(log_file, tmp_path):
    evil = tmp_path / "evil.db"
    evil.write_bytes(log_file.read_bytes())
    conn = sqlite3.connect(evil)
    conn.execute(
        "UPDATE events SET vehicle_id = '=HYPERLINK(\"http://x\")' WHERE run_id = 1 AND seq = "
        "(SELECT MIN(seq) FROM events WHERE vehicle_id IS NOT NULL)"
    )
    conn.execute(
        "UPDATE product_labels SET category = '@SUM(A1)' WHERE product_id = (SELECT MIN(product_id) FROM product_labels)"
    )
    conn.commit()
    conn.close()
    res = _invoke("events", str(evil), "--csv", "--limit", "0")
    assert res.exit_code == 0, res.output
    cells = [c for row in csv.reader(io.StringIO(res.stdout)) for c in row]
    assert '\'=HYPERLINK("http://x")' in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "@") or (c[:1] == "-" and not _number(c))]
    res = _invoke("labels", str(evil), "--csv")
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert "'@SUM(A1)" in {r["category"] for r in rows}
    assert json.loads(_invoke("labels", str(evil), "--json").stdout)["products"]  # JSON keeps the raw text


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
