"""Issue 16 item 8 (scenarios): a cap on a run's expected work, a physical range on every
number, Faker locales, validate = every rule run applies, and hostile scenario files."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import types
import typing
from pathlib import Path

import pytest
from click.testing import CliRunner

import sim.scenario as schema
import sim.scenario.fields as fields
from sim.cli import main
from sim.scenario import MAX_EXPECTED_EVENTS, MAX_FILE_BYTES, Scenario, ScenarioError, Work, faker_locales
from sim.simulation import Simulation, run

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.toml"
PEAK = ROOT / "scenarios" / "peak_618.toml"
HUGE = ["simulation.days=3650", "demand.orders_per_day=1000000"]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path, overrides=(), **kw) -> str:
    with pytest.raises(ScenarioError) as info:
        Scenario.from_file(path, overrides, **kw)
    return str(info.value)


def one_error_line(res) -> str:
    """The CLI failed the way every bad input must: exit 2, nothing on stdout, one stderr line."""
    assert res.exit_code == 2, res.output
    assert res.stdout == ""
    (line,) = res.stderr.splitlines()
    assert line.startswith("Error: ")
    return line


# -- the cap on expected work ------------------------------------------------------------


def test_ten_years_at_a_million_orders_a_day_is_refused():
    """Days 3,650 x 1e6 orders a day validated before (terabytes of log); now one line with the
    estimate, the cap and the flag that lifts it."""
    msg = error_of(BASELINE, HUGE)
    assert "\n" not in msg
    assert msg.startswith(f"{BASELINE}: simulation.days = 3650 x demand.orders_per_day = 1,000,000 is 3,650,000,000 orders")
    assert f"above the cap of {MAX_EXPECTED_EVENTS:,} events" in msg
    assert "TB of log" in msg and "--allow-large" in msg


def test_allow_large_lifts_the_cap():
    s = Scenario.from_file(BASELINE, HUGE, allow_large=True)
    assert s.expected_work().events > 1000 * MAX_EXPECTED_EVENTS


def test_the_shipped_scenarios_are_far_below_the_cap():
    """The week-long scenarios are far below the cap (a fiftieth of it: the baseline's 4,000
    parcels a day, tripled on the 618 peak); city.toml (20,000 parcels a day, a real network's
    size, and city_mogwo.toml on it) is below a tenth of it."""
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        limit = MAX_EXPECTED_EVENTS / (10 if path.name.startswith("city") else 50)
        assert Scenario.from_file(path).expected_work().events < limit, path.name


def test_peaks_count_toward_the_cap(tmp_path):
    """A year at 5,000 orders a day passes; the same year with a 100x month-long peak does not."""
    year = ["simulation.days=365", "demand.orders_per_day=5000", "demand.mode=exogenous"]
    Scenario.from_file(BASELINE, year)
    peak = 'demand.peaks=[{name = "sale", start_day = 0, days = 30, multiplier = 100.0}]'
    msg = error_of(BASELINE, [*year, peak])
    assert "with demand.peaks is 16,675,000 orders" in msg  # 5,000 x (335 + 30 x 100)


def test_overflowing_peaks_are_refused_not_an_overflow_error():
    """1000 overlapping 100x peaks multiply past a float: the estimate is infinite and refused."""
    peaks = "demand.peaks=[" + ",".join(f'{{name = "p{i}", multiplier = 100.0}}' for i in range(200)) + "]"
    msg = error_of(BASELINE, [peaks])
    assert "more than 1e308" in msg and "above the cap" in msg


def test_sessions_that_rarely_buy_count_toward_the_cap():
    """In sessions mode the session rate is orders / conversion: a no-buy utility of 13 makes
    about 500,000 sessions per order, which the estimate counts (only the sessions with intent
    that click are logged, so it takes more than issue 5's no_buy of 12 to pass the cap)."""
    base = ["simulation.days=30", "demand.orders_per_day=100"]
    assert Scenario.from_file(BASELINE, base).expected_work().events < 100_000
    msg = error_of(BASELINE, [*base, "consumers.no_buy=13"])
    assert "sessions x 0.072 events" in msg  # almost no session buys: intent_share x 3 x browse_click


@pytest.mark.parametrize(
    "path, overrides, days",
    [
        (BASELINE, [], 2),
        (BASELINE, ["demand.mode=exogenous"], 2),
        (PEAK, [], 5),
        (BASELINE, ["consumers.no_buy=4"], 2),
        (BASELINE, ["recommender.slate_size=3"], 2),
        (BASELINE, ["demand.mode=exogenous", "demand.items_per_order=10"], 1),
    ],
    ids=["sessions", "exogenous", "peak", "rare-buyers", "three-product-slates", "big-baskets"],
)
def test_the_estimate_matches_real_runs(tmp_path, path, overrides, days):
    """The per-order and per-session figures come from real runs: the estimate is within 35 %
    of the events a real run logs (counted in its SQLite file). The margin is wide because a
    short run places fewer orders than orders_per_day (8-17 % fewer over two days while the
    shop's recommender learns), most where conversion is low; a cap needs the order of size."""
    scenario = Scenario.from_file(path, [*overrides, f"simulation.days={days}"])
    db = tmp_path / "run.db"
    run(scenario, db_path=db)
    with sqlite3.connect(db) as con:
        (events,) = con.execute("SELECT count(*) FROM events").fetchone()
    estimate = scenario.expected_work().events
    assert 0.7 < estimate / events < 1.35, (estimate, events)


def test_work_of_no_orders_is_zero():
    w = Scenario.from_file(BASELINE, ["demand.orders_per_day=0"]).expected_work()
    assert (w.orders, w.sessions, w.events) == (0, 0, 0)


def test_cli_validate_refuses_a_huge_run_in_one_line_and_allow_large_accepts_it():
    args = ["validate", str(BASELINE), *sum((["--set", o] for o in HUGE), [])]
    line = one_error_line(CliRunner().invoke(main, args))
    assert line.startswith(f"Error: {BASELINE}: simulation.days = 3650") and "--allow-large" in line
    res = CliRunner().invoke(main, ["--tables", *args, "--allow-large"])
    assert res.exit_code == 0, res.output
    assert "work" in res.stdout and "TB of log) expected" in res.stdout


def test_cli_run_refuses_before_creating_the_log(tmp_path):
    """run applies --days before the cap: the file says 7 days, --days 3650 makes it huge; no log is created."""
    db = tmp_path / "huge.db"
    res = CliRunner().invoke(
        main, ["run", str(BASELINE), "--set", "demand.orders_per_day=100000", "--days", "3650", "--db", str(db)]
    )
    line = one_error_line(res)
    assert "simulation.days = 3650 x demand.orders_per_day = 100,000" in line
    assert not db.exists()


@pytest.mark.parametrize("command", ["compare", "sweep"])
def test_cli_compare_and_sweep_refuse_a_huge_run(tmp_path, command):
    results = tmp_path / "results.db"
    res = CliRunner().invoke(
        main,
        [
            command,
            str(BASELINE),
            "--set",
            "demand.orders_per_day=1000000",
            "--days",
            "3650",
            "--db",
            str(results),
            "--seeds",
            "1",
        ],
    )
    assert "above the cap" in one_error_line(res)
    assert not results.exists()


@pytest.mark.parametrize("command", ["run", "validate", "compare", "sweep"])
def test_allow_large_is_offered_where_scenarios_are_loaded(command):
    res = CliRunner().invoke(main, [command, "--help"])
    assert res.exit_code == 0 and "--allow-large" in res.output


# -- a physical range on every number ---------------------------------------------------


def _numeric_fields():
    """(dotted name, field, type) of every number and array of numbers in the schema."""

    def walk(cls, prefix):
        hints = fields.type_hints(cls)
        for f in dataclasses.fields(cls):
            tp = hints[f.name]
            arms = typing.get_args(tp) if typing.get_origin(tp) in (types.UnionType, typing.Union) else (tp,)
            for arm in arms:
                if fields.is_section(arm):
                    yield from walk(arm, f"{prefix}{f.name}.")
                elif typing.get_origin(arm) is tuple and fields.is_section(typing.get_args(arm)[0]):
                    yield from walk(typing.get_args(arm)[0], f"{prefix}{f.name}[].")
                elif arm in (int, float) or (typing.get_origin(arm) is tuple and typing.get_args(arm)[0] in (int, float)):
                    yield f"{prefix}{f.name}", f, arm

    for top in dataclasses.fields(Scenario):
        yield from walk(fields.type_hints(Scenario)[top.name], f"{top.name}.")


def test_every_number_has_a_lower_and_an_upper_bound():
    """No numeric field is open-ended (supplier_km = 1.79e308 passed before and made 1.8e304 kg parcels)."""
    open_ended = []
    for name, f, tp in _numeric_fields():
        m = f.metadata
        if typing.get_origin(tp) is tuple:
            lo, hi = m.get("item_ge", m.get("item_gt")), m.get("item_le")
            lo = m["item_ge"] if m.get("item_ge") is not None else m.get("item_gt")
        else:
            lo = m["ge"] if m.get("ge") is not None else m.get("gt")
            hi = m["le"] if m.get("le") is not None else m.get("lt")
        if lo is None or hi is None:
            open_ended.append(name)
    assert open_ended == []


def test_every_array_has_a_size_limit():
    """Arrays of tables and of values are bounded too (an array of a million peaks is not a scenario)."""
    unbounded = []
    for table, rows in schema.field_reference():
        for r in rows:
            if r.type.startswith("array") and not any(w in r.allowed for w in ("exactly", "at most", " to ")):
                unbounded.append(f"{table}.{r.path}")
    assert unbounded == []


def test_every_range_is_in_the_readme_reference():
    """The allowed column of the generated reference states each numeric range."""
    rows = {f"{table}.{r.path}".replace("[]", ""): r for table, rows in schema.field_reference() for r in rows}
    for name, f, tp in _numeric_fields():
        m = f.metadata
        if typing.get_origin(tp) is tuple:
            rng = "each " + fields._range_text(m.get("item_ge"), m.get("item_gt"), m.get("item_le"))
        else:
            rng = fields._range_text(m.get("ge"), m.get("gt"), m.get("le"), m.get("lt"))
        assert rng in rows[name.replace("[]", "")].allowed, name


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[warehouse]\nsupplier_km = [250.0, 1.79e308]", "warehouse.supplier_km[1] = 1.79e+308: must be > 0 and <= 20000"),
        ("[warehouse]\nrail_over_km = 1e9", "warehouse.rail_over_km = 1000000000.0: must be > 0 and <= 20000"),
        ("[[world.depots]]\nx = 1e7\ny = 0", "world.depots[0].x = 10000000.0: must be between -5000 and 5000"),
        (
            '[[fleet.vehicles]]\nname = "v"\ncapacity_kg = 1e9',
            "fleet.vehicles[0].capacity_kg = 1000000000.0: must be > 0 and <= 100000",
        ),
        (
            '[[fleet.vehicles]]\nname = "v"\nfull_kg_per_km = 1e6',
            "fleet.vehicles[0].full_kg_per_km = 1000000.0: must be between 0 and 10",
        ),
        (
            '[[fleet.vehicles]]\nname = "v"\nfixed_cost = 1e300',
            "fleet.vehicles[0].fixed_cost = 1e+300: must be between 0 and 1000000",
        ),
        (
            '[[packing.boxes]]\nname = "B"\nvolume_l = 1e12',
            "packing.boxes[0].volume_l = 1000000000000.0: must be > 0 and <= 10000",
        ),
        ('[[packing.boxes]]\nname = "B"\nweight_kg = 5000', "packing.boxes[0].weight_kg = 5000.0: must be > 0 and <= 1000"),
        ("[[demand.peaks]]\nstart_day = 100000", "demand.peaks[0].start_day = 100000: must be between 0 and 3650"),
        (
            "[demand]\ndaily_profile = [1e300" + ", 1.0" * 23 + "]",
            "demand.daily_profile[0] = 1e+300: must be between 0 and 1000000",
        ),
        ("[routing]\nlate_weight = 1e20", "routing.late_weight = 1e+20: must be between 0 and 1000"),
        (
            "[incentives]\nbudget = 9223372036854775807",
            "incentives.budget = 9223372036854775807: must be between 0 and 1000000000000",
        ),
        ("[routing]\nw2 = 5", "routing.w2 = 5.0: must be between 0 and 1"),
        ("[labels]\ngrade_thresholds = [0.5, 1e9]", "labels.grade_thresholds[1] = 1000000000.0: must be > 0 and <= 100"),
        (
            "[simulation]\nstart_date = 9999-12-31",
            "simulation.start_date = 9999-12-31: must be between 1900-01-01 and 2199-12-31",
        ),
    ],
)
def test_absurd_physical_values_are_refused(tmp_path, text, expected):
    path = write(tmp_path, "bad.toml", text + "\n")
    assert error_of(path) == f"{path}: {expected}"


@pytest.mark.parametrize("value", ["inf", "nan", "-inf", "86401", "1e300"])
def test_routing_time_limit_refuses_infinite_and_absurd_limits(value):
    msg = error_of(BASELINE, [f"routing.time_limit={value}"])
    assert "routing.time_limit" in msg


def test_oversized_arrays_are_one_line(tmp_path):
    """An oversized array is reported once, not once per entry."""
    path = write(tmp_path, "many.toml", "[demand]\ndaily_profile = [" + ", ".join(['"x"'] * 50_000) + "]\n")
    msg = error_of(path)
    assert len(msg.splitlines()) == 1 and msg.endswith("must have exactly 24 entries, got 50000")
    path = write(tmp_path, "suppliers.toml", "[warehouse]\nsupplier_km = [" + ", ".join(["-1.0"] * 50_000) + "]\n")
    msg = error_of(path)
    assert len(msg.splitlines()) == 1 and msg.endswith("must have at most 1000 entries, got 50000")
    path = write(tmp_path, "peaks.toml", "".join(f'[[demand.peaks]]\nname = "p{i}"\n' for i in range(1001)))
    msg = error_of(path)
    assert len(msg.splitlines()) == 1 and "demand.peaks" in msg and "at most 1000 entries, got 1001" in msg


def test_cli_run_refuses_an_absurd_supplier_distance(tmp_path):
    """Before: 1.8e304 kg CO2e a parcel and `check` passed. Now: exit 2, one line, no log."""
    db = tmp_path / "r.db"
    res = CliRunner().invoke(main, ["run", str(BASELINE), "--set", "warehouse.supplier_km=[1.79e308]", "--db", str(db)])
    assert one_error_line(res) == (
        f"Error: {BASELINE} (--set warehouse.supplier_km=[1.79e308]): warehouse.supplier_km[0] = 1.79e+308: must be > 0 "
        f"and <= 20000"
    )
    assert not db.exists()


def test_the_readme_says_which_ranges_are_ours():
    """The reference marks plausibility limits as ours (they are not sourced values)."""
    rows = {f"{table}.{r.path}": r for table, rows in schema.field_reference() for r in rows}
    assert "(ours: four times the payload of a 40 t articulated truck)" in rows["fleet.vehicles[].capacity_kg"].allowed
    assert "half the Earth's circumference" in rows["warehouse.supplier_km"].allowed
    text = (ROOT / "scenarios" / "README.md").read_text()
    assert "plausibility" in text and "ours" in text


# -- Faker locales ---------------------------------------------------------------------------


def test_locale_must_be_one_faker_knows():
    assert "zh_CN" in faker_locales() and "en_US" in faker_locales()
    msg = error_of(BASELINE, ["world.locale=klingon"])
    assert msg.startswith(
        f'{BASELINE} (--set world.locale=klingon): world.locale = "klingon": not a Faker locale; allowed: am_ET, '
    )
    assert "zh_CN" in msg


@pytest.mark.parametrize("typo, meant", [("zh-CN", "zh_CN"), ("en-us", "en_US"), ("de_De", "de_DE"), ("zh_CM", "zh_CN")])
def test_locale_typo_gets_a_did_you_mean(typo, meant):
    assert f"did you mean {meant!r}?" in error_of(BASELINE, [f"world.locale={typo}"])


def test_every_faker_locale_is_accepted():
    for locale in ("en_US", "de_DE", "ja_JP", "fr_FR"):
        assert Scenario.from_file(BASELINE, [f"world.locale={locale}"]).world.locale == locale


# -- validate runs every rule run runs ------------------------------------------------------


def test_forty_grade_thresholds_fail_in_validate_naming_file_and_field(tmp_path):
    """Before: 40 thresholds passed validate, then run failed with 'need 1 to 25 thresholds' and no file or field."""
    path = write(
        tmp_path, "grades.toml", "[labels]\ngrade_thresholds = [" + ", ".join(str(0.1 * (i + 1)) for i in range(40)) + "]\n"
    )
    res = CliRunner().invoke(main, ["validate", str(path)])
    line = one_error_line(res)
    assert line.startswith(f"Error: {path}: labels.grade_thresholds = [") and "must have at most 25 entries, got 40" in line


def test_twenty_five_thresholds_run(tmp_path):
    """The most thresholds labels/grades.py accepts (25, grades A..Z) validate and build."""
    thresholds = "[" + ",".join(str(0.1 * (i + 1)) for i in range(25)) + "]"
    s = Scenario.from_file(
        BASELINE,
        [
            f"labels.grade_thresholds={thresholds}",
            "labels.low_carbon_max_grade=Z",
            "simulation.days=1",
            "demand.orders_per_day=40",
            "world.customers=100",
            "catalog.products=16",
        ],
    )
    events = []
    sim = Simulation.build(s, events.append)
    counters = sim.run()
    assert counters.orders > 0 and counters.open_orders == 0  # the day ran and every order ended
    grades = {e.data["to"] for e in events if e.type == "grade_changed"}
    assert grades and grades <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")  # the 26 grades of 25 thresholds


def test_customer_depot_pairs_are_bounded():
    """A million customers x 100 depots validated, then the world builder needed several GB."""
    msg = error_of(BASELINE, ["world.customers=1000000", "world.depots=100", "fleet.vehicles[0].count=100"])
    assert "world.customers = 1000000: 1,000,000 customers x 100 depots is more than 10,000,000 pairs" in msg


TINY = ["simulation.days=1", "demand.orders_per_day=40", "world.customers=100", "catalog.products=16"]


@pytest.mark.parametrize(
    "overrides",
    [
        ["world.depots=[{x = -5000.0, y = -5000.0}, {x = 5000.0, y = 5000.0}]"],
        ["warehouse.supplier_km=[20000.0, 1e-9]", "warehouse.road_to_rail=true", "warehouse.rail_over_km=20000.0"],
        ["simulation.start_date=2199-12-31", "simulation.drain_days=60"],
        ["simulation.start_date=1900-01-01", "demand.mode=exogenous"],
        [
            'fleet.vehicles=[{name = "big", capacity_kg = 100000.0, count = 5, empty_kg_per_km = 10.0, full_kg_per_km = 10.0,'
            " cost_per_km = 1000.0, fixed_cost = 1000000.0, cost_per_minute = 1000.0}]",
            "routing.late_weight=1000.0",
        ],
        ['packing.boxes=[{name = "P", volume_l = 10000.0, weight_kg = 1000.0, material = "corrugated"}]', "packing.fixed_box=P"],
        [
            'demand.peaks=[{name = "x", start_day = 0, days = 3650, multiplier = 100.0}]',
            "demand.daily_profile=[1e6" + ", 0.0" * 23 + "]",
        ],
        ["world.locale=ar_AA"],
    ],
    ids=["far-depots", "far-suppliers", "last-date", "first-date", "huge-truck", "huge-box", "peak-profile", "locale"],
)
def test_extreme_valid_values_build_and_run_a_day(overrides):
    """What validation accepts, a run accepts: the corners of the ranges build and run a day
    (a customer's name and address included, which is where the locale is used)."""
    s = Scenario.from_file(BASELINE, [*TINY, *overrides])
    events = []
    sim = Simulation.build(s, events.append)
    counters = sim.run()
    assert counters.orders > 0 and counters.open_orders == 0  # the day ran and every order ended
    grades = {e.data["to"] for e in events if e.type == "grade_changed"}
    assert grades and grades <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")  # the 26 grades of 25 thresholds
    name, address = sim.world.customers.identity(0)
    assert name and address


# -- scenario files a user should not have given --------------------------------------------


def test_a_utf8_bom_is_accepted(tmp_path):
    """Windows editors write a BOM: before it was 'Invalid statement (at line 1, column 1)'."""
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf[routing]\nw2 = 0.5\n")
    assert Scenario.from_file(path).routing.w2 == 0.5
    res = CliRunner().invoke(main, ["--tables", "validate", str(path)])
    assert res.exit_code == 0 and res.stdout.startswith(f"{path}: valid")


def test_a_100000_deep_array_is_one_line(tmp_path):
    """Before: a RecursionError traceback."""
    path = write(tmp_path, "deep.toml", "x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    line = one_error_line(CliRunner().invoke(main, ["validate", str(path)]))
    assert line == f"Error: {path}: not valid TOML: tables or arrays nested more than 32 levels deep"


def test_deep_tables_are_one_line(tmp_path):
    path = write(tmp_path, "deep.toml", "[" + ".".join(["a"] * 5000) + "]\n")
    assert "nested more than 32 levels deep" in one_error_line(CliRunner().invoke(main, ["validate", str(path)]))


def test_a_deep_set_value_is_one_line():
    value = "[" * 50_000 + "]" * 50_000
    line = one_error_line(CliRunner().invoke(main, ["validate", str(BASELINE), "--set", f"routing.w2={value}"]))
    assert "routing.w2: bad override value: tables or arrays nested more than 32 levels deep" in line
    assert len(line) < 400  # the 100,000-character value is not echoed


def test_a_binary_file_is_one_line(tmp_path):
    path = tmp_path / "photo.toml"
    path.write_bytes(bytes(range(256)) * 40)
    assert one_error_line(CliRunner().invoke(main, ["validate", str(path)])) == (
        f"Error: {path}: is a binary file (it contains NUL bytes), not a TOML scenario"
    )


def test_a_file_in_another_encoding_is_one_line(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('[world]\nlocale = "dé"\n'.encode("latin-1"))
    assert one_error_line(CliRunner().invoke(main, ["validate", str(path)])) == (
        f"Error: {path}: is not UTF-8 text (byte 0xe9 at offset 19); save it as UTF-8"
    )


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_is_one_line_and_does_not_hang():
    """Before: read_text on /dev/zero grew until memory ran out."""
    line = one_error_line(CliRunner().invoke(main, ["validate", "/dev/zero"]))
    assert line == "Error: /dev/zero: is not a regular file (a device or a socket); give a .toml scenario file"


def test_extends_dev_zero_is_one_line(tmp_path):
    path = write(tmp_path, "child.toml", 'extends = "/dev/zero"\n')
    assert "/dev/zero: is not a regular file" in error_of(path)


def test_a_file_past_the_size_cap_is_one_line(tmp_path):
    path = tmp_path / "huge.toml"
    with path.open("w") as fh:
        fh.write("# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    assert one_error_line(CliRunner().invoke(main, ["validate", str(path)])) == (
        f"Error: {path}: larger than 10 MB, the most a scenario file may be; is it the right file?"
    )


def test_a_pipe_is_read_up_to_the_cap(tmp_path):
    """A FIFO (process substitution) is still a valid source: read once, capped."""
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    import threading

    def feed():
        with open(fifo, "w") as fh:
            fh.write("[routing]\nw2 = 0.7\n")

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        assert Scenario.from_file(fifo).routing.w2 == 0.7
    finally:
        writer.join(timeout=10)


def test_work_dataclass_is_exported():
    assert Work.of(Scenario()).orders == 600 * 7
