"""Tests for optimizer.vrplib_io: VRPLIB VRPTW files, .sol best-known solutions, format choice.

Real files only: the bundled Gehring-Homberger R1_10_1 (1,000 customers, MIT, from PyVRP's
instance sets, with its CVRPLIB best-known solution) and Solomon-format files written to
VRPLIB with the ``vrplib`` package's own writer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import vrplib
from numpy.testing import assert_array_equal

from optimizer.instance import InstanceError
from optimizer.solomon import read_solomon
from optimizer.solution import evaluate, routes_from_ids
from optimizer.vrplib_io import detect_format, read_instance, read_vrplib, read_vrplib_solution

DATA = Path(__file__).resolve().parent.parent / "data"
GH1000 = DATA / "vrplib" / "R1_10_1.vrp"
GH1000_SOL = DATA / "vrplib" / "R1_10_1.sol"


def _solomon_as_vrplib(src: Path, dst: Path) -> Path:
    """Write a Solomon text file as VRPLIB with vrplib's writer, from the text's own columns
    (not through our reader): node k + 1 = Solomon row k, depot first."""
    lines = src.read_text().splitlines()
    count, capacity = (int(v) for v in lines[4].split())
    rows = np.array([[int(v) for v in ln.split()] for ln in lines[9:] if ln.strip()])
    service = sorted(set(rows[1:, 6]))
    assert len(service) == 1  # one service time for every customer in these files
    vrplib.write_instance(
        dst,
        {
            "NAME": lines[0].strip(),
            "TYPE": "VRPTW",
            "DIMENSION": len(rows),
            "VEHICLES": count,
            "CAPACITY": capacity,
            "SERVICE_TIME": int(service[0]),
            "EDGE_WEIGHT_TYPE": "EUC_2D",
            "NODE_COORD_SECTION": rows[:, 1:3],
            "DEMAND_SECTION": rows[:, 3],
            "TIME_WINDOW_SECTION": rows[:, 4:6],
            "DEPOT_SECTION": [1, -1],
        },
    )
    return dst


@pytest.mark.parametrize("src", [DATA / "homberger" / "r1_2_1.txt", DATA / "solomon" / "C101.txt"], ids=lambda p: p.stem)
def test_vrplib_file_reads_as_the_same_instance_as_its_solomon_text(src, tmp_path):
    """The same instance in VRPLIB and in Solomon's format gives the same RoutingInstance:
    nodes, ids, fleet, windows, service, distance convention, and the arrays the kernels read."""
    sol_inst = read_solomon(src)
    vrp_inst = read_vrplib(_solomon_as_vrplib(src, tmp_path / f"{src.stem}.vrp"))
    assert vrp_inst.name == sol_inst.name
    for name in ("x", "y", "demand", "ready", "due", "service", "customer_ids", "road_grade"):
        assert_array_equal(getattr(vrp_inst, name), getattr(sol_inst, name), err_msg=name)
    assert vrp_inst.vehicle_types == sol_inst.vehicle_types
    assert (vrp_inst.circuity, vrp_inst.unit_speed, vrp_inst.penalty) == (
        sol_inst.circuity,
        sol_inst.unit_speed,
        sol_inst.penalty,
    )
    for a, b in zip(vrp_inst.kernel_data, sol_inst.kernel_data):
        assert_array_equal(a, b)


def test_gh1000_file_gives_the_instance_its_header_and_sections_state():
    inst = read_vrplib(GH1000)
    assert inst.name == "R1_10_1" and inst.n_customers == 1000
    (vt,) = inst.vehicle_types
    assert (vt.count, vt.capacity, vt.cost_per_km, vt.fixed_cost) == (250, 200.0, 1.0, 0.0)
    assert inst.penalty.hard_windows and inst.unit_speed and inst.circuity == 1.0
    # depot: node 1 of the file, window 0..1925, no service; customers: SERVICE_TIME 10
    assert (inst.x[0], inst.y[0], inst.ready[0], inst.due[0], inst.service[0]) == (250, 250, 0, 1925, 0)
    assert set(inst.service[1:]) == {10.0}
    # node 2 of the file is customer 1: coordinates 171 34, window 1153..1163 (TIME_WINDOW_SECTION)
    i = inst.index_of(1)
    assert (inst.x[i], inst.y[i], inst.ready[i], inst.due[i]) == (171, 34, 1153, 1163)
    # the last node (1001) is customer 1000, window 84..94
    assert inst.customer_ids[-1] == 1000 and (inst.ready[-1], inst.due[-1]) == (84, 94)


def test_gh1000_best_known_solution_has_its_stated_cost():
    """The .sol's routes cost exactly the stated 53,026.1 under its DIMACS rule (each arc
    truncated to one decimal), and our exact evaluator, in full precision, finds every
    customer served once within capacity on 95 vehicles, a little longer than stated."""
    inst = read_vrplib(GH1000)
    sol = read_vrplib_solution(GH1000_SOL)
    assert sol.cost == pytest.approx(53026.1) and len(sol.routes) == 95
    dimacs = np.floor(inst.distance * 10) / 10
    total = 0.0
    for ids in sol.routes:
        seq = [0, *(inst.index_of(c) for c in ids), 0]
        total += dimacs[seq[:-1], seq[1:]].sum()
    assert total == pytest.approx(sol.cost, abs=1e-6)
    ev = evaluate(inst, routes_from_ids(inst, [(0, r) for r in sol.routes]))
    assert ev.vehicles == 95
    assert not [p for p in ev.problems if "late" not in p]  # served once, capacities, fleet
    assert sol.cost < ev.distance_km < sol.cost * 1.001
    # truncation shortens arcs, so some DIMACS-feasible arrivals are late by a fraction in reals
    assert all("late by 0.1" in p or "late by 0.0" in p for p in ev.problems)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace("EDGE_WEIGHT_TYPE : EUC_2D", "EDGE_WEIGHT_TYPE : EUC_2D\nhello world"), "line 8: "),
        (
            lambda t: t.replace("DEMAND_SECTION\n1 0\n2 21", "DEMAND_SECTION\n1 0\n2 lots"),
            "line 1012: field 'DEMAND_SECTION': not a number",
        ),
        (lambda t: t.replace("\n3 67 190\n", "\n3 67\n"), "line 11: field 'NODE_COORD_SECTION': expected 3 values"),
        (lambda t: t.replace("1001 84 94\n", "", 1), "field 'TIME_WINDOW_SECTION': 1000 rows, but DIMENSION is 1001"),
        (lambda t: t.split("TIME_WINDOW_SECTION")[0] + "DEPOT_SECTION\n1\n-1\nEOF\n", "field 'TIME_WINDOW_SECTION': missing"),
        (lambda t: t.replace("CAPACITY : 200", "CAPACITY : lots"), "line 5: field 'CAPACITY': expected a number"),
        (lambda t: t.replace("VEHICLES : 250", "VEHICLES : 2.5"), "line 4: field 'VEHICLES': expected an integer"),
        (lambda t: t.replace("EUC_2D", "EXPLICIT"), "field 'EDGE_WEIGHT_TYPE': EXPLICIT is not supported"),
        (lambda t: t.replace("TYPE : VRPTW", "TYPE : CVRP"), "field 'TYPE'"),
        (lambda t: t.replace("DEPOT_SECTION\n1 \n-1", "DEPOT_SECTION\n1\n2\n-1"), "field 'DEPOT_SECTION': 2 depots"),
        (
            lambda t: t.replace("DEPOT_SECTION", "VEHICLES : 3\nDEPOT_SECTION"),
            "line 3014: not a readable VRPLIB file: specification 'VEHICLES' after",
        ),
        (lambda t: t.replace("\n2 1153 1163\n", "\n2 1163 1153\n"), "customer 1: field 'due': due time is before the ready time"),
    ],
    ids=[
        "stray-line",
        "demand-text",
        "short-row",
        "short-section",
        "no-windows",
        "capacity-text",
        "vehicles-fraction",
        "explicit-weights",
        "cvrp",
        "two-depots",
        "spec-after-section",
        "window-reversed",
    ],
)
def test_bad_vrplib_file_is_one_error_naming_file_and_line_or_field(tmp_path, edit, expected):
    bad = tmp_path / "bad.vrp"
    bad.write_text(edit(GH1000.read_text()))
    with pytest.raises(InstanceError) as info:
        read_vrplib(bad)
    msg = str(info.value)
    assert msg.startswith(f"{bad}: ") and expected in msg and "\n" not in msg


def test_bad_solution_file_names_the_line(tmp_path):
    bad = tmp_path / "bad.sol"
    lines = GH1000_SOL.read_text().splitlines()
    lines[2] = lines[2].replace(" 126 ", " 12x6 ")
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(InstanceError, match=r"bad\.sol: line 3: field 'Route'"):
        read_vrplib_solution(bad)
    empty = tmp_path / "empty.sol"
    empty.write_text("Cost 12\n")
    with pytest.raises(InstanceError, match="no 'Route #N:' lines"):
        read_vrplib_solution(empty)


def test_read_instance_chooses_the_reader_by_content_and_extension(tmp_path):
    renamed = tmp_path / "gh.txt"  # VRPLIB content under a .txt name
    renamed.write_text(GH1000.read_text())
    solomon = DATA / "solomon" / "R105.txt"
    assert [detect_format(p) for p in (GH1000, renamed, solomon)] == ["vrplib", "vrplib", "solomon"]
    assert read_instance(renamed).n_customers == 1000
    assert_array_equal(read_instance(solomon).due, read_solomon(solomon).due)
    other = tmp_path / "x.json"
    other.write_text('{"not": "an instance"}\n')
    with pytest.raises(InstanceError, match=r"x\.json: unknown file format: expected the Solomon .* or a VRPLIB file"):
        read_instance(other)
    with pytest.raises(InstanceError, match="a VRPLIB solution"):
        read_instance(GH1000_SOL)
