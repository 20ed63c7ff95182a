"""How an error reaches the user (issue 13, item 5): a user error is one line and exit 2; any
other exception is a bug: exit 1, the traceback saved to a file, and a line asking to report it."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.cli.app import CarbonsimGroup
from sim.errors import CarbonsimError, FileProblem, InputError, NotFound
from sim.scenario import ScenarioError

ROOT = Path(__file__).resolve().parents[2]


def probe_group() -> click.Group:
    """A group with carbonsim's error handling and one command per kind of failure."""

    @click.group(cls=CarbonsimGroup)
    @click.option("--debug", is_flag=True)
    @click.pass_context
    def probe(ctx, debug):
        ctx.ensure_object(dict)["debug"] = debug

    @probe.command()
    def user():
        raise InputError("--limit 7: must be at most 5")

    @probe.command()
    def bug():
        return {}["no such key"]  # a KeyError that is not a NotFound: a bug

    @probe.command()
    def missing_file():
        open("/nonexistent-folder-of-carbonsim/x.toml")

    return probe


def test_a_user_error_is_one_line_and_exit_2():
    res = CliRunner().invoke(probe_group(), ["user"])
    assert res.exit_code == 2
    assert res.stderr == "Error: --limit 7: must be at most 5\n"


def test_a_bug_exits_1_and_saves_its_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    res = CliRunner().invoke(probe_group(), ["bug"])
    assert res.exit_code == 1
    lines = res.stderr.splitlines()
    assert lines[0] == "Error: internal error, KeyError: 'no such key'"
    assert "bug in carbonsim" in lines[1] and "report it" in lines[1]
    saved = Path(re.search(r"saved in (\S+?)\.?$", lines[1]).group(1))
    assert saved.parent == tmp_path and saved.name.startswith("carbonsim-bug-")
    text = saved.read_text()
    assert "Traceback (most recent call last)" in text and "KeyError: 'no such key'" in text


def test_debug_shows_the_bug_itself():
    res = CliRunner().invoke(probe_group(), ["--debug", "bug"])
    assert isinstance(res.exception, KeyError) and res.exit_code == 1
    assert "internal error" not in res.stderr


def test_an_os_error_about_a_named_file_is_the_users():
    res = CliRunner().invoke(probe_group(), ["missing-file"])
    assert res.exit_code == 2
    assert res.stderr == "Error: /nonexistent-folder-of-carbonsim/x.toml: No such file or directory\n"


def test_user_errors_share_one_base_and_keep_their_builtin_kind():
    for cls, builtin in ((InputError, ValueError), (NotFound, KeyError), (FileProblem, ValueError), (ScenarioError, ValueError)):
        assert issubclass(cls, CarbonsimError) and issubclass(cls, builtin)
    assert str(NotFound("run 3 is not here")) == "run 3 is not here"  # not KeyError's quoted repr


@pytest.fixture(scope="module")
def run_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("errors") / "run.db"
    res = CliRunner().invoke(
        main,
        [
            "run",
            str(ROOT / "scenarios" / "baseline.toml"),
            "--days",
            "1",
            "--db",
            str(db),
            "--set",
            "demand.orders_per_day=40",
            "--set",
            'demand.mode="exogenous"',
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    return db


def test_an_unknown_run_is_a_user_error(run_db):
    res = CliRunner().invoke(main, ["events", str(run_db), "--run", "99", "--json"])
    assert res.exit_code == 2
    assert res.stderr.startswith(f"Error: {run_db}: no run 99 in this event log (its runs: 1)")
    assert "'" not in res.stderr.splitlines()[0][:12]  # not KeyError's repr with quotes


def test_an_unknown_order_is_a_user_error(run_db):
    res = CliRunner().invoke(main, ["trace", "987654", str(run_db), "--json"])
    assert res.exit_code == 2 and "no order 987654" in res.stderr
