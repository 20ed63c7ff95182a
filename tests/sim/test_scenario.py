"""Scenario files: schema, loading, extends, --set overrides, errors, hashing and `carbonsim validate`."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import tomllib
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.model import HEAVY_TRUCK, LIGHT_TRUCK, MEDIUM_TRUCK
from sim.cli import main
from sim.scenario import (
    RoutingConfig,
    Scenario,
    ScenarioError,
    VehicleConfig,
    dumps_toml,
    field_reference,
    reference_markdown,
)

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "baseline.toml"
GREEN = SCENARIOS / "green.toml"
PEAK = SCENARIOS / "peak_618.toml"
PAPER = SCENARIOS / "paper.toml"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path, overrides=()) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        Scenario.from_file(path, overrides)
    return info.value


def leaf_paths(data: dict, prefix: str = "") -> set[str]:
    """Dotted paths of every non-table value (arrays count as one value)."""
    out = set()
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out |= leaf_paths(value, name + ".")
        else:
            out.add(name)
    return out


# -- the shipped scenarios ---------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.name)
def test_shipped_scenarios_load(path):
    """Every scenario shipped in scenarios/ loads and validates."""
    scenario = Scenario.from_file(path)
    assert isinstance(scenario, Scenario)
    assert len(scenario.canonical_hash()) == 64


def test_at_least_the_three_issue_scenarios_ship():
    """baseline, green and peak_618 exist."""
    assert BASELINE.is_file() and GREEN.is_file() and PEAK.is_file()


def test_the_defaults_are_the_paper_world():
    """The code's defaults are the seed paper's world, each with its source: an empty scenario
    and paper.toml are equal and hash equal. The baseline (the realistic station network of
    issue 14) differs from them, each difference stated in baseline.toml."""
    paper = Scenario.from_file(SCENARIOS / "paper.toml")
    assert paper == Scenario()
    assert paper.canonical_hash() == Scenario().canonical_hash()
    assert Scenario.from_file(BASELINE).network.layout == "stations"


@pytest.mark.parametrize("name", ["baseline.toml", "paper.toml"])
def test_baseline_and_paper_state_every_field(name):
    """baseline.toml and paper.toml pin every field of the schema, so a changed code default cannot shift them."""
    stated = leaf_paths(tomllib.loads((SCENARIOS / name).read_text()))
    schema = leaf_paths(Scenario().to_dict())
    assert schema - stated == set()


def test_paper_is_the_seed_papers_world():
    """One depot over the Table 7 zones, hourly waves, next-day slots, paper Table 2's trucks."""
    p = Scenario.from_file(SCENARIOS / "paper.toml")
    assert p.network.layout == "depots" and p.world.depots == 1 and p.demand.promise == "slots"
    assert p.routing.wave_hours == () and p.routing.wave_interval_minutes == 60.0
    assert [v.name for v in p.fleet.vehicles] == ["light_truck", "medium_truck", "heavy_truck"]


def test_baseline_is_the_issue_baseline():
    """Baseline (issue 14): a hub and stations, day-definite promises, two waves, tricycles and
    vans by zone, smart packing; greedy routing, no green slots, no incentives."""
    b = Scenario.from_file(BASELINE)
    assert b.routing.policy == "greedy"
    assert b.network.layout == "stations" and b.demand.promise == "day_definite"
    assert b.routing.wave_hours == (7.5, 12.5)
    assert {v.name for v in b.fleet.vehicles} == {"e_tricycle", "mini_van"}
    assert b.packing.policy == "smart"
    assert b.demand.delivery_shares.green_slot == 0.0
    assert (b.incentives.points_per_green_purchase, b.incentives.points_per_green_slot, b.incentives.budget) == (0, 0, 0)
    assert b.warehouse.road_to_rail is False
    assert (b.simulation.days, b.demand.orders_per_day) == (7, 4000)


def test_green_inherits_from_baseline_and_overrides_what_it_states():
    """green.toml takes unstated fields from baseline and its own values where it states them."""
    b, g = Scenario.from_file(BASELINE), Scenario.from_file(GREEN)
    assert "extends" in tomllib.loads(GREEN.read_text())
    # inherited (not stated in green.toml)
    assert g.simulation == b.simulation
    assert g.fleet == b.fleet
    assert g.routing.w1 == b.routing.w1 and g.routing.wave_interval_minutes == b.routing.wave_interval_minutes
    assert g.warehouse.supplier_km == b.warehouse.supplier_km
    # stated
    assert g.routing.policy == "mogwo" and g.routing.w2 == 0.4
    assert g.routing.time_limit == 0 and g.routing.hard_windows  # reproducible, punctual plans
    assert g.packing.policy == "smart" and g.packing.boxes == b.packing.boxes
    assert g.demand.delivery_shares.green_slot > 0
    assert g.warehouse.road_to_rail is True
    assert g.incentives.points_per_green_slot > 0 and g.incentives.budget > 0
    assert g.canonical_hash() != b.canonical_hash()


def test_peak_618_adds_a_peak_and_nothing_else():
    """peak_618.toml is the baseline plus one 3x peak on days 3-5, ending on June 18."""
    b, p = Scenario.from_file(BASELINE), Scenario.from_file(PEAK)
    (peak,) = p.demand.peaks
    assert (peak.name, peak.start_day, peak.days, peak.multiplier) == ("618", 3, 3, 3.0)
    last = p.simulation.start_date.toordinal() + peak.start_day + peak.days - 1
    assert date.fromordinal(last) == date(2024, 6, 18)
    assert p.replace(demand=p.demand.replace(peaks=())) == b


# -- defaults, round trips, hashing -------------------------------------------------------


def test_empty_file_gives_defaults(tmp_path):
    """An empty file is a valid scenario equal to the defaults."""
    assert Scenario.from_file(write(tmp_path, "empty.toml", "")) == Scenario()


def test_empty_tables_give_defaults(tmp_path):
    """Tables stated without keys take every default."""
    text = "\n".join(f"[{t}]" for t in Scenario.TABLES)
    assert Scenario.from_file(write(tmp_path, "tables.toml", text)) == Scenario()


def test_to_dict_from_dict_round_trip():
    """to_dict -> from_dict gives back an equal scenario, for every shipped scenario."""
    for path in (BASELINE, GREEN, PEAK):
        s = Scenario.from_file(path)
        data = s.to_dict()
        json.dumps(data)  # plain JSON data
        assert Scenario.from_dict(data) == s


def test_to_toml_round_trip(tmp_path):
    """to_toml writes TOML that loads back to an equal scenario."""
    s = Scenario.from_file(GREEN, ["world.depots=[{x = 1.5, y = -2.0}, {x = 10, y = 3}]"])
    assert Scenario.from_file(write(tmp_path, "resolved.toml", s.to_toml())) == s


def test_canonical_hash_is_sha256_of_sorted_json():
    """canonical_hash is the SHA-256 of to_dict as sorted-key compact JSON."""
    s = Scenario.from_file(GREEN)
    expected = hashlib.sha256(
        json.dumps(s.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    assert s.canonical_hash() == expected


def test_canonical_hash_stable_and_sensitive(tmp_path):
    """The hash ignores comments, key order and 1 vs 1.0, and changes when any field changes."""
    a = write(tmp_path, "a.toml", "[routing]\nw1 = 1\nw2 = 0.5\n[simulation]\ndays = 3\n")
    b = write(tmp_path, "b.toml", "# same, reordered\n[simulation]\ndays = 3\n[routing]\nw2 = 0.5\nw1 = 1.0\n")
    ha = Scenario.from_file(a).canonical_hash()
    assert ha == Scenario.from_file(b).canonical_hash() == Scenario.from_file(a).canonical_hash()
    changed = Scenario.from_file(a, ["routing.w2=0.51"])
    assert changed.canonical_hash() != ha
    assert Scenario.from_file(a, ["simulation.seed=1"]).canonical_hash() != ha


def test_scenarios_are_frozen_and_replace_validates():
    """Sections are frozen; replace() and direct construction run the same validation."""
    s = Scenario()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.routing.w2 = 0.9  # type: ignore[misc]
    assert s.routing.replace(w2=0.9).w2 == 0.9
    with pytest.raises(ScenarioError, match=r"w2 = 1.7: must be between 0 and 1"):
        RoutingConfig(w2=1.7)
    with pytest.raises(ScenarioError, match=r"routing.w2 = -1.0: must be between 0 and 1"):
        Scenario(routing={"w2": -1.0})  # type: ignore[arg-type]


def test_default_fleet_is_the_optimizer_model_trucks():
    """The default vehicles are optimizer.model's light/medium/heavy trucks, capacity in kg."""
    models = Scenario().fleet.vehicle_types()
    assert models == (LIGHT_TRUCK, MEDIUM_TRUCK, HEAVY_TRUCK)
    assert VehicleConfig.from_model(LIGHT_TRUCK).capacity_kg == 1500.0


def test_ev_share_splits_electric_vans_off_the_named_type():
    """ev_share replaces that share of ev_replaces vehicles by electric vans with grid-based factors."""
    fleet = Scenario().apply_overrides(["fleet.ev_share=0.5", "fleet.grid_kg_per_kwh=0.5"]).fleet
    types = {v.name: v for v in fleet.vehicle_types()}
    assert types["light_truck"].count == 5 and types["electric_van"].count == 5
    ev = types["electric_van"]
    assert ev.electric and ev.capacity == LIGHT_TRUCK.capacity
    assert ev.empty_kg_per_km == pytest.approx(0.20 * 0.5) and ev.full_kg_per_km == pytest.approx(0.28 * 0.5)
    assert sum(v.count for v in fleet.vehicle_types()) == 17


# -- overrides ----------------------------------------------------------------------------


def test_set_overrides_apply():
    """--set values are parsed as TOML (bare words as strings) and land on the right fields."""
    s = Scenario.from_file(
        BASELINE,
        [
            "routing.w2=0.8",
            "routing.policy=mogwo",
            'labels.method="tonne_km"',
            "routing.hard_windows=true",
            "simulation.start_date=2024-06-18",
            "demand.delivery_shares.green_slot=0.1",
            "demand.delivery_shares.standard=0.7",
            "demand.delivery_shares.expedited=0.2",
            "fleet.vehicles[1].count=7",
            'demand.peaks=[{name = "x", start_day = 1, days = 2, multiplier = 1.5}]',
        ],
    )
    assert s.routing.w2 == 0.8 and s.routing.policy == "mogwo" and s.routing.hard_windows is True
    assert s.labels.method == "tonne_km"
    assert s.simulation.start_date == date(2024, 6, 18)
    assert s.demand.delivery_shares.green_slot == 0.1 and s.demand.delivery_shares.expedited == 0.2
    assert [v.count for v in s.fleet.vehicles] == [24, 7]
    assert s.demand.peaks[0].name == "x" and s.demand.peaks[0].multiplier == 1.5
    assert s.routing.w1 == 0.6  # untouched


def test_set_override_on_a_default_array_entry(tmp_path):
    """An indexed override works when the file does not state the array (the default is used)."""
    s = Scenario.from_file(write(tmp_path, "empty.toml", ""), ["packing.boxes[0].weight_kg=0.2"])
    assert s.packing.boxes[0].weight_kg == 0.2 and s.packing.boxes[1] == Scenario().packing.boxes[1]


def test_scenario_apply_overrides_method():
    """Scenario.apply_overrides returns a validated copy and leaves the original alone."""
    s = Scenario()
    t = s.apply_overrides(["routing.w2=0.8"])
    assert t.routing.w2 == 0.8 and s.routing.w2 == 0.4
    with pytest.raises(ScenarioError, match="routing.w2 = 1.7: must be between 0 and 1"):
        s.apply_overrides(["routing.w2=1.7"])


def test_set_value_is_validated():
    """An overridden value is validated; the error names the file, the --set, the field and the range."""
    err = error_of(BASELINE, ["routing.w2=1.7"])
    assert str(err) == f"{BASELINE} (--set routing.w2=1.7): routing.w2 = 1.7: must be between 0 and 1"


def test_set_without_equals_is_an_error():
    """--set routing.w2 (no '=') is a syntax error naming the override and the expected form."""
    err = error_of(BASELINE, ["routing.w2"])
    assert str(BASELINE) in str(err) and "'routing.w2'" in str(err)
    assert "expected TABLE.KEY=VALUE" in str(err)


@pytest.mark.parametrize("text", ["w2=0.8", "routing..w2=1", "routing.w-2=1", "=1"])
def test_set_bad_path_syntax(text):
    """Overrides without a table.key path are syntax errors that show the expected form."""
    assert "expected TABLE.KEY=VALUE" in str(error_of(BASELINE, [text]))


def test_set_unknown_path_is_an_error():
    """--set on a field that does not exist names it and lists the allowed fields."""
    msg = str(error_of(BASELINE, ["routing.polcy=mogwo"]))
    assert "routing.polcy: unknown field (did you mean 'policy'?); allowed: policy, w1, w2," in msg
    assert "unknown table" in str(error_of(BASELINE, ["routng.w2=0.8"]))
    assert "not a table" in str(error_of(BASELINE, ["routing.w2.x=1"]))
    assert "out of range" in str(error_of(BASELINE, ["fleet.vehicles[3].count=1"]))
    assert "not an array of tables" in str(error_of(BASELINE, ["routing.w2[0]=1"]))


def test_set_bad_value_syntax():
    """A value that is neither TOML nor a bare word is an error naming the field."""
    msg = str(error_of(BASELINE, ["routing.w2=[0.1,"]))
    assert "routing.w2: bad override value '[0.1,': not a TOML value" in msg


def test_all_override_and_file_errors_reported_together(tmp_path):
    """Bad overrides and bad file values are collected into one error, one line each."""
    path = write(tmp_path, "bad.toml", "[simulation]\ndays = 0\n")
    err = error_of(path, ["routing.w2", "routing.w1=2"])
    lines = str(err).splitlines()
    assert len(lines) == len(err.problems) == 3
    assert any("simulation.days = 0" in line for line in lines)
    assert any("routing.w1 = 2" in line for line in lines)


# -- bad input: one test per kind ----------------------------------------------------------


def test_unknown_table(tmp_path):
    """An unknown table names the file, the table and the allowed tables."""
    path = write(tmp_path, "bad.toml", "[routng]\nw2 = 0.5\n")
    msg = str(error_of(path))
    assert msg.startswith(f"{path}: routng: unknown table (did you mean 'routing'?); allowed: simulation, world,")
    assert "incentives" in msg


def test_unknown_key(tmp_path):
    """An unknown key names the file, the dotted field and the allowed keys."""
    path = write(tmp_path, "bad.toml", '[routing]\npolcy = "mogwo"\n')
    msg = str(error_of(path))
    assert msg == (
        f"{path}: routing.polcy: unknown field (did you mean 'policy'?); allowed: policy, w1, w2, choose, "
        "time_limit, wave_interval_minutes, wave_hours, lookahead_minutes, max_orders_per_wave, service_minutes, population, "
        "iterations, ls_passes, engine_children, hard_windows, late_weight, early_weight"
    )


def test_unknown_key_in_an_array_of_tables(tmp_path):
    """Unknown keys inside an array-of-tables entry are reported with the entry's index."""
    path = write(tmp_path, "bad.toml", '[[packing.boxes]]\nname = "S"\nvolume = 6\n')
    assert "packing.boxes[0].volume: unknown field (did you mean 'volume_l'?); allowed: name, volume_l," in str(error_of(path))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[routing]\npolicy = 3", 'routing.policy = 3: must be one of "mogwo", "nsga2", "mopso", "moaco", "greedy"'),
        ('[simulation]\ndays = "7"', 'simulation.days = "7": must be an integer between 1 and 3650'),
        ("[simulation]\ndays = 7.0", "simulation.days = 7.0: must be an integer between 1 and 3650"),
        ("[simulation]\nseed = true", "simulation.seed = true: must be an integer between 0 and 2^63-1"),
        ("[routing]\nw2 = true", "routing.w2 = true: must be a number between 0 and 1"),
        ('[routing]\nw2 = "0.4"', 'routing.w2 = "0.4": must be a number between 0 and 1'),
        ("[warehouse]\nroad_to_rail = 1", "warehouse.road_to_rail = 1: must be true or false"),
        ("[packing]\nfixed_box = 1", "packing.fixed_box = 1: must be a string"),
        (
            "[simulation]\nstart_date = 2024-06-13T08:00:00",
            "simulation.start_date = 2024-06-13T08:00:00: must be a date like 2024-06-13",
        ),
        ('[simulation]\nstart_date = "June"', 'simulation.start_date = "June": must be a date (YYYY-MM-DD)'),
        ("routing = 5", "routing = 5: must be a table"),
        ("[demand]\npeaks = 3", "demand.peaks = 3: must be an array of tables"),
        ("[world]\ndepots = true", "world.depots = true: must be an integer or an array of tables"),
        ('[demand]\ndaily_profile = [1, 2, "x"]', 'demand.daily_profile[2] = "x": must be a number'),
        ("[routing]\nw2 = nan", "routing.w2 = nan: must be a finite number"),
    ],
)
def test_wrong_types(tmp_path, text, expected):
    """Wrong types (int for string and back, bool for int, float for int, ...) name file, field, value and kind."""
    path = write(tmp_path, "bad.toml", text + "\n")
    assert str(error_of(path)).startswith(f"{path}: {expected}")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[routing]\nw2 = 1.7", "routing.w2 = 1.7: must be between 0 and 1"),
        ("[simulation]\ndays = 0", "simulation.days = 0: must be between 1 and 3650"),
        ("[warehouse]\nalpha = 0", "warehouse.alpha = 0.0: must be > 0 and <= 1"),
        ("[world]\ncircuity = 0.9", "world.circuity = 0.9: must be between 1 and 3"),
        ("[world]\ndepots = 0", "world.depots = 0: must be between 1 and 100"),
        ("[world]\ndepots = []", "world.depots = []: must have at least 1 entry"),
        ("[demand]\ndaily_profile = [1.0, 2.0]", "demand.daily_profile = [1.0, 2.0]: must have exactly 24 entries, got 2"),
        ("[warehouse]\nsupplier_km = [300.0, -5.0]", "warehouse.supplier_km[1] = -5.0: must be > 0 and <= 20000"),
        ('[[fleet.vehicles]]\nname = "v"\ncapacity_kg = -1', "fleet.vehicles[0].capacity_kg = -1.0: must be > 0 and <= 100000"),
        ("[[demand.peaks]]\nmultiplier = 0", "demand.peaks[0].multiplier = 0.0: must be > 0 and <= 100"),
        ("[simulation]\ndrain_days = -1", "simulation.drain_days = -1: must be between 0 and 60"),
        ("[world]\ntravel_time_cv = 3", "world.travel_time_cv = 3.0: must be between 0 and 2"),
        ("[demand]\nfailed_attempt_share = 1.5", "demand.failed_attempt_share = 1.5: must be between 0 and 1"),
        ("[demand]\nmax_attempts = 0", "demand.max_attempts = 0: must be between 1 and 10"),
        ("[demand]\ndelivery_start_hour = 24", "demand.delivery_start_hour = 24.0: must be >= 0 and < 24"),
        ("[catalog]\ngreen_uptake = -0.1", "catalog.green_uptake = -0.1: must be between 0 and 1"),
        ("[catalog]\ngreen_footprint_cut = 2", "catalog.green_footprint_cut = 2.0: must be between 0 and 1"),
        ("[warehouse]\npickers = 0", "warehouse.pickers = 0: must be between 1 and 10000"),
        ("[warehouse]\nrail_kg_per_tkm = -0.1", "warehouse.rail_kg_per_tkm = -0.1: must be between 0 and 2"),
        ("[packing]\nfill_ratio = 0", "packing.fill_ratio = 0.0: must be > 0 and <= 1"),
        ("[routing]\nlookahead_minutes = -5", "routing.lookahead_minutes = -5.0: must be between 0 and 2880"),
        ("[routing]\nmax_orders_per_wave = 0", "routing.max_orders_per_wave = 0: must be between 1 and 100000"),
        ("[routing]\nls_passes = -1", "routing.ls_passes = -1: must be between 0 and 1000"),
        ("[routing]\nservice_minutes = 300", "routing.service_minutes = 300.0: must be between 0 and 240"),
        ("[labels]\nhysteresis = 2", "labels.hysteresis = 2.0: must be between 0 and 1"),
        ('[labels]\nlow_carbon_max_grade = "F"', 'labels.low_carbon_max_grade = "F": must be one of the grades A, B, C, D, E'),
    ],
)
def test_out_of_range(tmp_path, text, expected):
    """Values out of range name the file, the dotted field (with array index), the value and the range."""
    path = write(tmp_path, "bad.toml", text + "\n")
    assert str(error_of(path)) == f"{path}: {expected}"


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            '[routing]\npolicy = "fastest"',
            'routing.policy = "fastest": must be one of "mogwo", "nsga2", "mopso", "moaco", "greedy"',
        ),
        ('[demand]\nmode = "Sessions"', 'demand.mode = "Sessions": must be one of "sessions", "exogenous"'),
        ('[labels]\nscope = "wtt"', 'labels.scope = "wtt": must be one of "ttw", "wtw"'),
        ('[packing]\npolicy = "tight"', 'packing.policy = "tight": must be one of "fixed", "smart"'),
    ],
)
def test_bad_enum_values(tmp_path, text, expected):
    """A value outside a fixed set of choices lists the choices."""
    path = write(tmp_path, "bad.toml", text + "\n")
    assert str(error_of(path)) == f"{path}: {expected}"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[world.zones]\nurban_core = 0.5", "world.zones = {urban_core = 0.5, "),
        ("[world.zones]\nurban_core = 0.5", "shares must sum to 1, got 1.15"),
        (
            "[demand.delivery_shares]\ngreen_slot = 0.3",
            "demand.delivery_shares = {standard = 0.8, expedited = 0.2, green_slot = 0.3}: shares must sum to 1, got 1.3",
        ),
        ('[packing]\nfixed_box = "XXL"', 'packing.fixed_box = "XXL": must name a box in packing.boxes; allowed: S, M, L, XL'),
        ("[warehouse]\norder_up_to = 2.0", "warehouse.order_up_to = 2.0: must be >= reorder_point (3)"),
        ("[labels]\ngrade_thresholds = [1.0, 0.5]", "labels.grade_thresholds = [1.0, 0.5]: must be strictly increasing"),
        ("[routing]\nw1 = 0\nw2 = 0", "routing.w2 = 0.0: w1 + w2 must be > 0"),
        (
            '[fleet]\nev_share = 0.5\nev_replaces = "bike"',
            'fleet.ev_replaces = "bike": must name a vehicle type; allowed: light_truck, medium_truck, heavy_truck',
        ),
        ('[catalog]\ncategories = ["a", "b", "a"]', "catalog.categories[2] = \"a\": duplicate category 'a'"),
        ("[catalog]\nproducts = 3", "catalog.products = 3: must be >= the number of categories (8)"),
        ('[[fleet.vehicles]]\nname = "v"\ncount = 0', 'fleet.vehicles = [{name = "v", '),
        ("[demand]\ndaily_profile = " + str([0] * 24), "demand.daily_profile = [0.0, 0.0"),
    ],
)
def test_cross_field_rules(tmp_path, text, expected):
    """Rules across fields (shares sum to 1, names exist, S >= s, ...) name the field and the rule."""
    path = write(tmp_path, "bad.toml", text + "\n")
    msg = str(error_of(path))
    assert msg.startswith(f"{path}: ") and expected in msg


def test_all_errors_reported_in_one_go(tmp_path):
    """Several problems in several tables are all reported, one line each, in file order of tables."""
    path = write(
        tmp_path,
        "bad.toml",
        '[simulation]\ndays = "7"\n[routing]\nw2 = 1.7\npolcy = "x"\n[bogus]\n[fleet]\nev_share = 2\n',
    )
    err = error_of(path)
    lines = str(err).splitlines()
    assert len(lines) == 5
    assert all(line.startswith(f"{path}: ") for line in lines)
    for field in ("bogus", "simulation.days", "routing.polcy", "routing.w2", "fleet.ev_share"):
        assert sum(field in line for line in lines) == 1, field
    assert [p.path for p in err.problems][0] == ("bogus",)


def test_invalid_toml_names_the_file(tmp_path):
    """A file that is not TOML is reported with its name and the parser's position."""
    path = write(tmp_path, "bad.toml", "[routing\nw2 = 1\n")
    msg = str(error_of(path))
    assert msg.startswith(f"{path}: not valid TOML:") and "line 1" in msg


def test_missing_file_is_an_error(tmp_path):
    """A missing scenario file is a ScenarioError naming it."""
    assert str(error_of(tmp_path / "nope.toml")) == f"{tmp_path / 'nope.toml'}: file not found"


# -- extends -----------------------------------------------------------------------------


def test_extends_chain_merges_tables_and_replaces_arrays(tmp_path):
    """A chain a -> b -> c merges tables key by key and replaces arrays wholesale."""
    write(tmp_path, "c.toml", '[routing]\nw1 = 0.5\nw2 = 0.5\n[[demand.peaks]]\nname = "p1"\n[[demand.peaks]]\nname = "p2"\n')
    write(
        tmp_path, "b.toml", 'extends = "c.toml"\n[routing]\nw2 = 0.2\n[demand.delivery_shares]\nstandard = 0.7\nexpedited = 0.3\n'
    )
    sub = tmp_path / "sub"
    sub.mkdir()
    a = write(sub, "a.toml", 'extends = "../b.toml"\n[routing]\npolicy = "mogwo"\n[[demand.peaks]]\nname = "only"\n')
    s = Scenario.from_file(a)
    assert (s.routing.policy, s.routing.w1, s.routing.w2) == ("mogwo", 0.5, 0.2)
    assert s.demand.delivery_shares.standard == 0.7
    assert [p.name for p in s.demand.peaks] == ["only"]


def test_error_in_a_parent_names_the_parent_file(tmp_path):
    """A bad value inherited from a parent is reported against the parent, a child's against the child."""
    parent = write(tmp_path, "parent.toml", "[routing]\nw2 = 1.5\n")
    child = write(tmp_path, "child.toml", 'extends = "parent.toml"\n[simulation]\ndays = -1\n')
    lines = str(error_of(child)).splitlines()
    assert f"{child}: simulation.days = -1: must be between 1 and 3650" in lines
    assert f"{parent}: routing.w2 = 1.5: must be between 0 and 1" in lines


def test_extends_missing_file(tmp_path):
    """extends naming a file that does not exist names the extending file and the missing path."""
    path = write(tmp_path, "child.toml", 'extends = "nope.toml"\n')
    msg = str(error_of(path))
    assert msg.startswith(f'{path}: extends = "nope.toml": file not found (looked for ')
    assert "nope.toml)" in msg


def test_extends_must_be_a_string(tmp_path):
    """extends with a non-string value is a type error."""
    path = write(tmp_path, "child.toml", "extends = 3\n")
    assert str(error_of(path)) == f"{path}: extends = 3: must be a file name (a string), relative to this file"


def test_extends_cycle_detected(tmp_path):
    """A cycle a -> b -> a is reported with the chain, instead of recursing forever."""
    a = write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    msg = str(error_of(a))
    assert "cycle: a.toml -> b.toml -> a.toml" in msg
    assert msg.startswith(f'{tmp_path / "b.toml"}: extends = "a.toml"')


def test_extends_self_cycle_detected(tmp_path):
    """A file that extends itself is a cycle."""
    a = write(tmp_path, "a.toml", 'extends = "a.toml"\n')
    assert "cycle: a.toml -> a.toml" in str(error_of(a))


def test_extends_only_at_top_level(tmp_path):
    """extends inside a table is an unknown field, not silently ignored."""
    path = write(tmp_path, "bad.toml", '[routing]\nextends = "baseline.toml"\n')
    assert "routing.extends: unknown field" in str(error_of(path))


# -- documentation -----------------------------------------------------------------------


def test_readme_field_reference_matches_the_schema():
    """scenarios/README.md carries the generated field reference verbatim (every field, unit, default)."""
    text = (SCENARIOS / "README.md").read_text()
    start, end = text.index("<!-- fields:start -->\n"), text.index("<!-- fields:end -->")
    assert text[start + len("<!-- fields:start -->\n") : end] == reference_markdown()


def test_every_field_has_unit_doc_and_default():
    """Every field of the schema declares a unit, a meaning and a default."""
    rows = [r for _, table in field_reference() for r in table]
    assert len(rows) > 80
    for r in rows:
        assert r.unit and r.meaning and r.default, r.path


def test_delivery_day_must_hold_the_widest_window(tmp_path):
    """An 8 h green slot does not fit a 10:00-16:00 delivery day."""
    path = write(tmp_path, "bad.toml", "[demand]\ndelivery_start_hour = 10.0\ndelivery_end_hour = 16.0\n")
    assert str(error_of(path)) == (
        f"{path}: demand.delivery_end_hour = 16.0: the delivery day 10-16 h is shorter than the widest window (8 h)"
    )


def test_every_depot_needs_a_vehicle():
    """Fewer vehicles than depots is an error naming the field and the counts."""
    msg = str(error_of(PAPER, ["world.depots=20"]))
    assert "fleet.vehicles = 17: the fleet has 17 vehicles for 20 depots; every depot needs at least one" in msg


def test_electric_vans_need_their_name_free():
    msg = str(error_of(BASELINE, ["fleet.ev_share=0.5", "fleet.ev_replaces=electric_van", "fleet.vehicles[0].name=electric_van"]))
    assert "may not be named electric_van when ev_share > 0" in msg


def test_issue_fixed_names_exist():
    """The names other tools rely on exist exactly: simulation.days/seed, demand.orders_per_day, routing.*, fleet.ev_share."""
    d = Scenario().to_dict()
    assert {"days", "seed"} <= d["simulation"].keys()
    assert "orders_per_day" in d["demand"]
    assert {"policy", "w1", "w2", "time_limit"} <= d["routing"].keys()
    assert "ev_share" in d["fleet"]
    assert Scenario.from_file(BASELINE, ["routing.policy=mogwo"]).routing.policy == "mogwo"


# -- property: random valid values survive TOML ------------------------------------------

names = st.text(min_size=1, max_size=8).filter(lambda s: s.strip())
unit_floats = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def scenario_data(draw):
    """Random valid values for a broad subset of fields, as plain data."""
    w1 = draw(unit_floats)
    return {
        "simulation": {
            "days": draw(st.integers(1, 3650)),
            "seed": draw(st.integers(0, 2**63 - 1)),
            "start_date": draw(st.dates(date(2000, 1, 1), date(2099, 12, 31))),
        },
        "world": {
            "depots": draw(
                st.one_of(
                    st.integers(1, 17),  # the default fleet has 17 vehicles, one per depot at least
                    st.lists(
                        st.fixed_dictionaries({"x": st.floats(-5e3, 5e3), "y": st.floats(-5e3, 5e3)}), min_size=1, max_size=3
                    ),
                )
            ),
            "circuity": draw(st.floats(1.0, 3.0)),
            # at most 17 depots: stay under the world's cap of 10 million customer x depot pairs
            "customers": draw(st.integers(1, 500_000)),
        },
        "demand": {
            "mode": draw(st.sampled_from(["exogenous", "sessions"])),
            "orders_per_day": draw(st.integers(0, 1_000_000)),
            "daily_profile": draw(st.lists(st.floats(0.0, 1e6), min_size=24, max_size=24).filter(lambda xs: sum(xs) > 0)),
            "peaks": draw(
                st.lists(
                    st.fixed_dictionaries(
                        {
                            "name": names,
                            "start_day": st.integers(0, 3650),
                            "days": st.integers(1, 100),
                            "multiplier": st.floats(1e-6, 100.0),
                        }
                    ),
                    max_size=3,
                    unique_by=lambda p: p["name"],
                )
            ),
        },
        "catalog": {
            "categories": draw(st.lists(names.filter(lambda s: s.strip()), min_size=1, max_size=5, unique=True)),
            "products": 1000,
        },
        "fleet": {"ev_share": draw(unit_floats), "grid_kg_per_kwh": draw(st.floats(0.0, 2.0))},
        "routing": {
            "policy": draw(st.sampled_from(["greedy", "mogwo"])),
            "w1": w1,
            "w2": draw(st.floats(0.01, 1.0)),
            "time_limit": draw(st.floats(0.0, 3600.0)),
            "population": draw(st.integers(2, 10_000)),
            "hard_windows": draw(st.booleans()),
        },
        "labels": {"method": draw(st.sampled_from(["demand_share", "tonne_km"])), "scope": draw(st.sampled_from(["ttw", "wtw"]))},
        "consumers": {
            "trust_share": draw(unit_floats),
            "price_sensitivity": draw(st.floats(0.01, 50.0)),
            "green_affinity": draw(st.floats(0.01, 0.99)),
            "no_buy": draw(st.floats(-10.0, 20.0)),
        },
        "recommender": {
            "model": draw(st.sampled_from(["popularity", "learned"])),
            "green_boost": draw(st.floats(0.0, 10.0)),
            "slate_size": draw(st.integers(1, 40)),
            "candidates": draw(st.integers(40, 10_000)),
        },
        "incentives": {
            "points_per_green_purchase": draw(st.integers(0, 10**6)),
            "points_per_green_slot": draw(st.integers(0, 10**6)),
            "budget": draw(st.integers(1, 10**12)),
            "point_value": draw(st.floats(0.0, 100.0)),
        },
    }


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_data())
def test_random_valid_values_round_trip_through_toml(data):
    """Random valid values -> TOML text -> load gives the same values (and to_toml reproduces the scenario)."""
    s = Scenario.from_toml(dumps_toml(data))
    loaded = s.to_dict()
    for table, values in data.items():
        for key, value in values.items():
            got = loaded[table][key]
            if isinstance(value, date):
                value = value.isoformat()
            assert got == value, f"{table}.{key}"
    assert Scenario.from_toml(s.to_toml()) == s


# -- the CLI -------------------------------------------------------------------------------


def test_cli_validate_valid_file():
    """`carbonsim validate FILE` prints 'FILE: valid', a summary with the hash, and exits 0."""
    res = CliRunner().invoke(main, ["--tables", "validate", str(GREEN)])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[0] == f"{GREEN}: valid"
    s = Scenario.from_file(GREEN)
    assert s.canonical_hash() in res.stdout
    assert "mogwo" in res.stdout and "4,000" in res.stdout
    assert "waves at 07:30, 12:30" in res.stdout  # the stations' loading waves, not the unused interval
    assert res.stderr == ""


def test_cli_validate_with_set_and_resolved():
    """--set overrides are applied (the hash follows them) and --resolved prints loadable TOML."""
    res = CliRunner().invoke(main, ["--tables", "validate", str(BASELINE), "--set", "routing.w2=0.8", "--resolved"])
    assert res.exit_code == 0, res.output
    s = Scenario.from_file(BASELINE, ["routing.w2=0.8"])
    assert s.canonical_hash() in res.stdout
    toml_text = res.stdout[res.stdout.index("[simulation]") :]
    assert Scenario.from_toml(toml_text) == s


def test_cli_validate_bad_file_exits_2_with_one_line(tmp_path):
    """A bad file exits 2 with one stderr line naming the file, the field and what is allowed."""
    path = write(tmp_path, "bad.toml", "[routing]\nw2 = 1.7\n")
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 2
    assert res.stdout == ""
    assert res.stderr.splitlines() == [f"Error: {path}: routing.w2 = 1.7: must be between 0 and 1"]


def test_cli_validate_bad_set_exits_2(tmp_path):
    """A --set without '=' exits 2 with one line naming the override."""
    res = CliRunner().invoke(main, ["validate", str(BASELINE), "--set", "routing.w2"])
    assert res.exit_code == 2
    (line,) = res.stderr.splitlines()
    assert re.match(r"Error: .*baseline\.toml \(--set routing\.w2\): bad override 'routing\.w2': no '='", line)


def test_cli_validate_help_has_an_example():
    """validate --help shows a runnable example."""
    res = CliRunner().invoke(main, ["validate", "--help"])
    assert res.exit_code == 0 and "carbonsim validate scenarios/green.toml" in res.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[world]\ntrust_share = 0.5", "world.trust_share: has moved: write it as consumers.trust_share"),
        (
            "[incentives]\npoints_per_green_order = 5",
            "incentives.points_per_green_order: has moved: write it as incentives.points_per_green_purchase",
        ),
        ('[labels]\ndisplay = "grade"', 'labels.display = "grade": must be true or false'),
        (
            "[incentives]\npoints_per_green_slot = 10",
            "incentives.budget = 0: points are offered but the budget is 0; set a budget in points",
        ),
        (
            "[recommender]\nslate_size = 60",
            "recommender.slate_size = 60: must be <= recommender.candidates (50): the slate is filled from the candidates",
        ),
        ("[catalog]\nproducts = 6000", "catalog.products = 6000: must be <= 5000 in `sessions` mode"),
    ],
)
def test_recommender_era_fields_explain_themselves(tmp_path, text, expected):
    """Renamed fields say where they went; the sessions-mode rules name the field and the limit."""
    path = write(tmp_path, "s.toml", text + "\n")
    assert str(error_of(path)).startswith(f"{path}: {expected}")
