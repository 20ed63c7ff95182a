"""Tests for optimizer.solomon: reading benchmark files, errors, and best-known route sets."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from numpy.testing import assert_allclose

from optimizer.instance import InstanceError
from optimizer.solomon import read_sintef_solution, read_solomon
from optimizer.solution import evaluate, routes_from_ids

# Figures from the files' VEHICLE section and depot row.
SOLOMON_FLEET = {
    "C101": (25, 200.0, 1236.0),
    "C201": (25, 700.0, 3390.0),
    "R101": (25, 200.0, 230.0),
    "R105": (25, 200.0, 230.0),
    "R201": (25, 1000.0, 1000.0),
    "RC101": (25, 200.0, 240.0),
    "RC201": (25, 1000.0, 960.0),
}
HOMBERGER_FLEET = {
    "c1_2_1": (50, 200.0, 1351.0),
    "c2_2_1": (50, 700.0, 3598.0),
    "r1_2_1": (50, 200.0, 634.0),
    "r2_2_1": (50, 1000.0, 2535.0),
    "rc1_2_1": (50, 200.0, 634.0),
    "rc2_2_1": (50, 1000.0, 2535.0),
}


def _check_read(path, n, fleet):
    inst = read_solomon(path)
    count, capacity, depot_due = fleet[path.stem]
    assert inst.name == path.stem
    assert inst.n_customers == n
    assert len(inst.vehicle_types) == 1
    assert inst.vehicle_types[0].count == count
    assert inst.vehicle_types[0].capacity == capacity
    assert inst.due[0] == depot_due
    assert inst.demand[0] == 0 and inst.ready[0] == 0
    assert list(inst.customer_ids) == list(range(n + 1))
    assert inst.unit_speed and inst.circuity == 1.0 and inst.penalty.hard_windows
    assert inst.source == str(path)


def test_read_solomon(solomon_path):
    """Every Solomon file reads as 100 customers with its file's fleet and depot due date."""
    _check_read(solomon_path, 100, SOLOMON_FLEET)


def test_read_homberger(homberger_path):
    """Every Gehring-Homberger file reads as 200 customers with its file's fleet and depot due date."""
    _check_read(homberger_path, 200, HOMBERGER_FLEET)


def test_c101_first_customers(c101):
    """C101 rows land in the right arrays: customer 1 is (45, 68), demand 10, window [912, 967], service 90."""
    i = c101.index_of(1)
    assert (c101.x[i], c101.y[i]) == (45.0, 68.0)
    assert (c101.demand[i], c101.ready[i], c101.due[i], c101.service[i]) == (10.0, 912.0, 967.0, 90.0)
    assert (c101.x[0], c101.y[0]) == (40.0, 50.0)
    assert c101.demand.sum() == 1810.0


def test_unknown_format_json_names_file(tmp_path):
    """A JSON file raises InstanceError naming the file and the expected format."""
    path = tmp_path / "instance.json"
    path.write_text(json.dumps({"customers": [[0, 1, 2]], "vehicles": 3}))
    with pytest.raises(InstanceError, match="unknown file format") as err:
        read_solomon(path)
    assert str(path) in str(err.value)


def test_unknown_format_random_text_names_file(tmp_path):
    """A random text file raises InstanceError naming the file."""
    path = tmp_path / "notes.txt"
    rng = np.random.default_rng(3)
    path.write_text("\n".join(" ".join(str(v) for v in rng.integers(0, 100, 7)) for _ in range(20)))
    with pytest.raises(InstanceError, match="unknown file format") as err:
        read_solomon(path)
    assert str(path) in str(err.value)


def test_binary_file_names_file(tmp_path):
    """A binary file raises InstanceError (not UnicodeDecodeError) naming the file."""
    path = tmp_path / "blob.txt"
    path.write_bytes(bytes(range(128, 256)) * 4)
    with pytest.raises(InstanceError, match="not a text file") as err:
        read_solomon(path)
    assert str(path) in str(err.value)


def _c101_with(data, tmp_path, line_no: int, new_line: str):
    """A copy of C101 with one line (1-based) replaced."""
    lines = (data / "solomon" / "C101.txt").read_text().splitlines()
    assert lines[14].split()[0] == "5"  # line 15 is customer 5
    lines[line_no - 1] = new_line
    path = tmp_path / "C101_bad.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_short_customer_line_names_line(data, tmp_path):
    """A customer row with 6 fields raises InstanceError naming the file and line 15."""
    path = _c101_with(data, tmp_path, 15, "    5      42         65         10         15         67")
    with pytest.raises(InstanceError, match=r"line 15: expected 7 fields") as err:
        read_solomon(path)
    assert str(path) in str(err.value)


def test_non_numeric_field_names_line(data, tmp_path):
    """A customer row with a non-numeric field raises InstanceError naming line 15."""
    path = _c101_with(data, tmp_path, 15, "    5      42         6x5         10         15         67         90")
    with pytest.raises(InstanceError, match=r"line 15: field 'YCOORD.': not a number"):
        read_solomon(path)


def test_mangled_customer_id_names_line(data, tmp_path):
    """A customer row whose id is not a number raises InstanceError naming line 15."""
    path = _c101_with(data, tmp_path, 15, "    5a     42         65         10         15         67         90")
    with pytest.raises(InstanceError, match=r"line 15"):
        read_solomon(path)


def test_missing_vehicle_numbers_names_line(data, tmp_path):
    """A VEHICLE section without the count/capacity row raises InstanceError at the VEHICLE line (3)."""
    path = _c101_with(data, tmp_path, 5, "  twenty-five   two hundred")
    with pytest.raises(InstanceError, match=r"line 3: field 'NUMBER CAPACITY'.*after VEHICLE"):
        read_solomon(path)


def test_bad_customer_value_names_customer(data, tmp_path):
    """A row that parses but breaks the model (due < ready) is reported with the file and customer."""
    path = _c101_with(data, tmp_path, 15, "    5      42         65         10         67         15         90")
    with pytest.raises(InstanceError, match=r"customer 5: field 'due'") as err:
        read_solomon(path)
    assert str(path) in str(err.value)


def test_read_sintef_solution_parses_routes(data):
    """read_sintef_solution returns the route lines as lists of customer ids."""
    routes = read_sintef_solution(data / "homberger" / "bks_solutions" / "c1_2_1.20_2704.5678.txt")
    assert len(routes) == 20
    assert routes[0] == [32, 171, 65, 86, 115, 94, 51, 174, 136, 189]
    assert sorted(c for r in routes for c in r) == list(range(1, 201))


def test_read_sintef_solution_rejects_other_files(data, tmp_path):
    """A file with no 'Route N :' lines, or a non-integer id, raises InstanceError naming the file."""
    with pytest.raises(InstanceError, match="no 'Route N :' lines"):
        read_sintef_solution(data / "solomon" / "C101.txt")
    bad = tmp_path / "sol.txt"
    bad.write_text("Solution\nRoute 1 : 1 2 3\nRoute 2 : 4 five 6\n")
    with pytest.raises(InstanceError, match=r"sol.txt: line 3: field 'Route'"):
        read_sintef_solution(bad)


def _parse_bks_name(path):
    m = re.fullmatch(r"(.+)\.(\d+)_(\d+(?:\.\d+)?)", path.stem)
    assert m, f"unexpected BKS file name {path.name}"
    return m.group(1), int(m.group(2)), float(m.group(3))


def test_best_known_solution_evaluates_to_its_name(bks_path, data):
    """A best-known route set is feasible and reproduces the vehicle count and distance in its name."""
    name, vehicles, distance = _parse_bks_name(bks_path)
    inst = read_solomon(data / "homberger" / f"{name}.txt")
    ids = read_sintef_solution(bks_path)
    ev = evaluate(inst, routes_from_ids(inst, [(0, r) for r in ids]))
    assert ev.problems == ()
    assert ev.feasible
    assert ev.vehicles == vehicles == len(ids)
    assert_allclose(ev.distance_km, distance, atol=1e-3, rtol=0)
    # Solomon files: cost is distance, no fixed or time cost
    assert_allclose(ev.cost, ev.distance_km, rtol=1e-12)


def test_best_known_solution_broken_is_infeasible(data):
    """Dropping a customer from a best-known route set, or delaying a route, is reported as infeasible."""
    inst = read_solomon(data / "homberger" / "c1_2_1.txt")
    ids = read_sintef_solution(data / "homberger" / "bks_solutions" / "c1_2_1.20_2704.5678.txt")
    dropped = [(0, r) for r in ids]
    dropped[0] = (0, ids[0][1:])
    ev = evaluate(inst, routes_from_ids(inst, dropped))
    assert any(f"not served, e.g. id {ids[0][0]}" in p for p in ev.problems)
    reversed_route = [(0, r) for r in ids]
    reversed_route[0] = (0, ids[0][::-1])
    ev = evaluate(inst, routes_from_ids(inst, reversed_route))
    assert any("late" in p for p in ev.problems)


# ---------------------------------------------------------------- hostile files (issue 16)


@pytest.mark.parametrize("number", ["1000000000", "1e9", "100001", "2.5", "0", "-3"])
def test_vehicle_number_outside_bounds_names_line_and_field(data, tmp_path, number):
    """NUMBER must be a whole number 1..100,000 (1e9 used to exhaust memory): line 5, field 'NUMBER'."""
    path = _c101_with(data, tmp_path, 5, f"  {number}         200")
    with pytest.raises(
        InstanceError, match=r"C101_bad.txt: line 5: field 'NUMBER': vehicles must be a whole number from 1 to 100,000"
    ):
        read_solomon(path)


@pytest.mark.parametrize("capacity", ["0", "nan", "inf"])
def test_bad_capacity_names_line_and_field(data, tmp_path, capacity):
    path = _c101_with(data, tmp_path, 5, f"  25         {capacity}")
    with pytest.raises(InstanceError, match=r"line 5: field 'CAPACITY'|line 3: field 'NUMBER CAPACITY'"):
        read_solomon(path)


@pytest.mark.parametrize("cid", ["5.5", "-5", "5e0"])
def test_non_integer_or_negative_customer_id_names_line(data, tmp_path, cid):
    """A customer number that is not a whole number >= 0 is refused at its line, not truncated."""
    path = _c101_with(data, tmp_path, 15, f"    {cid}      42         65         10         15         67         90")
    with pytest.raises(InstanceError, match=r"C101_bad.txt: line 15: field 'CUST NO.': expected a whole number >= 0"):
        read_solomon(path)


def test_duplicate_customer_id_names_both_lines(data, tmp_path):
    path = _c101_with(data, tmp_path, 15, "    4      42         65         10         15         67         90")
    with pytest.raises(InstanceError, match=r"line 15: field 'CUST NO.': id 4 is already on line 14"):
        read_solomon(path)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_value_names_line_and_field(data, tmp_path, value):
    path = _c101_with(data, tmp_path, 15, f"    5      42         65         {value}         15         67         90")
    with pytest.raises(InstanceError, match=r"line 15: field 'DEMAND': must be a finite number"):
        read_solomon(path)


def test_utf8_byte_order_mark_is_accepted(data, tmp_path):
    """A file saved with a BOM reads as the same instance, its name without the mark."""
    path = tmp_path / "C101_bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + (data / "solomon" / "C101.txt").read_bytes())
    inst = read_solomon(path)
    assert inst.name == "C101" and inst.n_customers == 100


def test_dev_zero_is_one_clear_error():
    """/dev/zero (endless NUL bytes) is refused as binary after reading a bounded amount."""
    with pytest.raises(InstanceError, match=r"/dev/zero: unknown file format: binary data"):
        read_solomon("/dev/zero")


def test_huge_file_is_refused_without_reading_it_all(tmp_path):
    from optimizer.solomon import MAX_FILE_BYTES

    path = tmp_path / "huge.txt"
    path.write_bytes(b"1 2 3 4 5 6 7\n" * (MAX_FILE_BYTES // 14 + 1))
    with pytest.raises(InstanceError, match=r"huge.txt: larger than 64 MiB"):
        read_solomon(path)
