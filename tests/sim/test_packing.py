"""Packing: smart picks the smallest fitting box (a mailer for soft goods, a reusable box when
drawn), fixed always the same one; a box's kg CO2e is its weight x its material's factor."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from labels.materials import (
    MaterialFileError,
    default_materials_path,
    load_materials,
    material,
    materials,
    parse_materials,
)
from sim import EventLog, run
from sim.log.events import EventType
from sim.scenario import Scenario, ScenarioError
from sim.world.catalog import build_catalog
from sim.world.packing import choose_box
from sim.world.warehouse import Warehouse

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml"


@pytest.fixture(scope="module")
def baseline() -> Scenario:
    return Scenario.from_file(BASELINE)


@pytest.mark.parametrize(
    ("volume", "box", "count"),
    [
        (1.0, "S", 1),
        (4.8, "S", 1),
        (4.9, "M", 1),
        (16.0, "M", 1),
        (36.0, "L", 1),
        (72.0, "XL", 1),
        (73.0, "XL", 2),
        (150.0, "XL", 3),
    ],
)
def test_smart_takes_the_smallest_box_that_fits(volume, box, count, tiny):
    """Boxes S 6 L, M 20 L, L 45 L, XL 90 L at 80% usable volume."""
    choice = choose_box(tiny("packing.policy=smart").packing, volume)
    assert (choice.box, choice.count) == (box, count)


def test_fixed_uses_the_fixed_box_and_counts_its_footprint(tiny):
    """The fixed L box (0.65 kg of corrugated board at 0.491 kg CO2e per kg) for a lipstick; two
    of them for 40 litres."""
    packing = tiny().packing
    small = choose_box(packing, 0.5)
    assert (small.box, small.count, small.weight_kg) == ("L", 1, 0.65)
    assert small.kg_co2e == pytest.approx(0.65 * 0.491)
    big = choose_box(packing, 40.0)
    assert (big.count, big.weight_kg, big.kg_co2e) == (2, 1.3, pytest.approx(2 * 0.65 * 0.491))


def test_smart_packing_emits_less_than_fixed_for_small_orders(tiny):
    s, f = tiny("packing.policy=smart").packing, tiny().packing
    for v in (0.5, 3.0, 10.0, 30.0):
        assert choose_box(s, v).kg_co2e <= choose_box(f, v).kg_co2e


# -- materials ------------------------------------------------------------------------------


def test_a_box_emits_its_weight_times_its_materials_factor(baseline):
    """Every box of the baseline: weight x factor, and corrugated is FEFCO's 491 kg per tonne."""
    assert material("corrugated").kg_co2e_per_kg == 0.491
    for box in baseline.packing.boxes:
        m = material(box.material)
        if not m.reusable:
            assert box.kg_co2e == pytest.approx(box.weight_kg * m.kg_co2e_per_kg)
    c4 = next(b for b in baseline.packing.boxes if b.name == "C4")
    assert c4.kg_co2e == pytest.approx(0.26 * 0.491)
    heavier = Scenario().apply_overrides(["packing.boxes[0].weight_kg=0.30"]).packing.boxes[0]
    assert heavier.kg_co2e == pytest.approx(2 * Scenario().packing.boxes[0].kg_co2e)


def test_a_reusable_box_is_amortised_over_its_trips_and_a_lost_one_charged_whole():
    """production x (return_share / trips + 1 - return_share): the data file's 10 trips and 95 %."""
    m = material("reusable")
    assert m.reusable and m.trips == 10 and m.return_share == 0.95
    production = 0.45 * m.kg_co2e_per_kg
    assert m.kg_co2e_per_trip(0.45) == pytest.approx(production * (0.95 / 10 + 0.05))
    assert m.kg_co2e_per_trip(0.45) < production  # amortised below one use

    def reuse(trips: int, share: float):
        entry = {**_reusable_entry(), "trips": trips, "return_share": share}
        return parse_materials({"material": [_corrugated_entry(), entry]})["r"]

    assert reuse(10, 1.0).kg_co2e_per_trip(1.0) == pytest.approx(0.2)  # all back: production / trips
    assert reuse(10, 0.0).kg_co2e_per_trip(1.0) == pytest.approx(2.0)  # none back: all of it
    assert reuse(1, 0.5).kg_co2e_per_trip(1.0) == pytest.approx(2.0)  # one trip: single use
    # each point of loss costs more than the trips save
    assert reuse(20, 0.9).kg_co2e_per_trip(1.0) > reuse(10, 0.99).kg_co2e_per_trip(1.0)


def test_the_data_file_loads_and_every_figure_has_a_source():
    known = load_materials(default_materials_path())
    assert {"corrugated", "ldpe_mailer", "reusable"} <= set(known)
    assert known == materials()
    assert known["ldpe_mailer"].mailer and not known["corrugated"].mailer
    for m in known.values():
        assert m.source.strip() and m.kg_co2e_per_kg > 0
        if m.reusable:
            assert m.trips_source and m.return_share_source
            assert "ours" in m.return_share_source or m.return_share_source.strip()
    assert "FEFCO" in known["corrugated"].source and known["ldpe_mailer"].weak


def _corrugated_entry() -> dict:
    return {"name": "corrugated", "form": "box", "kg_co2e_per_kg": 0.5, "source": "s"}


def _reusable_entry() -> dict:
    return {
        "name": "r",
        "form": "box",
        "kg_co2e_per_kg": 2.0,
        "source": "s",
        "trips": 10,
        "trips_source": "t",
        "return_share": 0.9,
        "return_share_source": "ours",
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"source": ""}, "material 2 (r): field 'source': must be non-empty text"),
        ({"kg_co2e_per_kg": -1}, "material 2 (r): field 'kg_co2e_per_kg': must be a finite number >= 0"),
        ({"form": "crate"}, "material 2 (r): field 'form': must be one of box, mailer"),
        ({"trips": 0}, "material 2 (r): field 'trips': must be an integer >= 1"),
        ({"return_share": 1.5}, "material 2 (r): field 'return_share': must be a number between 0 and 1"),
        ({"colour": "red"}, "material 2 (r): field 'colour': unknown field"),
    ],
)
def test_a_bad_material_names_the_file_the_material_and_the_field(tmp_path, change, message):
    entry = {**_reusable_entry(), **change}
    path = _write(tmp_path, [_corrugated_entry(), entry])
    with pytest.raises(MaterialFileError) as err:
        load_materials(path)
    assert str(err.value).startswith(f"{path}: {message}")


def test_a_reusable_material_states_all_its_reuse_fields(tmp_path):
    entry = {k: v for k, v in _reusable_entry().items() if k != "return_share_source"}
    with pytest.raises(MaterialFileError, match="field 'return_share_source': missing"):
        load_materials(_write(tmp_path, [_corrugated_entry(), entry]))
    with pytest.raises(MaterialFileError, match="material 'corrugated' is required"):
        load_materials(_write(tmp_path, [_reusable_entry()]))


def _write(tmp_path: Path, entries: list[dict]) -> Path:
    lines = []
    for e in entries:
        lines.append("[[material]]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in e.items()]
    path = tmp_path / "materials.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_box_of_an_unknown_material_names_the_field_and_the_allowed_ones(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[packing]\nfixed_box = "B"\n\n[[packing.boxes]]\nname = "B"\nmaterial = "bamboo"\n')
    with pytest.raises(ScenarioError) as err:
        Scenario.from_file(path)
    text = str(err.value)
    assert 'packing.boxes[0].material = "bamboo": unknown packaging material; allowed: corrugated, ldpe_mailer, reusable' in text
    assert "packaging_materials.toml" in text


def test_the_packing_rules_name_their_fields():
    with pytest.raises(ScenarioError, match=r"packing.reusable_share = 0.2: needs a box of a reusable material"):
        Scenario().apply_overrides(["packing.reusable_share=0.2"])
    with pytest.raises(ScenarioError, match=r"packing.boxes.*must hold a single-use box"):
        Scenario().apply_overrides(['packing.boxes=[{name = "L", material = "ldpe_mailer"}]'])


# -- mailers and reusable boxes -----------------------------------------------------------


def test_soft_orders_that_fit_ship_in_a_mailer_and_others_in_a_carton(baseline):
    """The baseline's bag holds 5 litres at 80 %: 4 litres of soft goods; more, or a rigid
    order, gets the smallest carton."""
    packing = baseline.packing
    bag = choose_box(packing, 3.5, soft=True)
    assert (bag.box, bag.material, bag.count) == ("bag", "ldpe_mailer", 1)
    assert bag.kg_co2e == pytest.approx(0.015 * material("ldpe_mailer").kg_co2e_per_kg)
    assert choose_box(packing, 3.5).box == "C7"  # the same litres of electronics
    assert choose_box(packing, 4.5, soft=True).box == "C5"  # too big for the bag (4 litres usable)
    assert choose_box(packing, 1.0).box == "C9"
    fixed = baseline.apply_overrides(["packing.policy=fixed"]).packing
    assert choose_box(fixed, 1.0, soft=True).box == "C3"  # fixed ignores mailers


def test_reusable_orders_get_the_reusable_box_and_its_amortised_footprint(baseline):
    packing = baseline.packing
    r = choose_box(packing, 10.0, reusable=True)
    assert (r.box, r.material, r.count) == ("R20", "reusable", 1)
    assert r.kg_co2e == pytest.approx(0.45 * 2.1 * (0.95 / 10 + 0.05))
    assert choose_box(packing, 10.0).box == "C4"  # never without the draw
    assert choose_box(packing, 25.0, reusable=True).box == "C2"  # too big for R20: a carton
    assert choose_box(packing, 3.0, soft=True, reusable=True).box == "bag"  # a mailer is lighter still


def test_the_warehouse_marks_only_mailer_categories_as_soft(tiny, make_context):
    s = tiny()
    ctx, _ = make_context(s)
    catalog = build_catalog(s, ctx.streams.get("catalog"))
    wh = Warehouse(ctx, catalog, on_packed=lambda order: None)
    names = [catalog.categories[c] for c in catalog.category]
    assert [bool(x) for x in wh.mailer_ok] == [n in s.packing.mailer_categories for n in names]
    assert 0 < wh.mailer_ok.mean() < 1
    ctx2, _ = make_context(tiny("packing.mailer_categories=[]"))
    assert not Warehouse(ctx2, catalog, on_packed=lambda order: None).mailer_ok.any()


def test_a_run_ships_mailers_reusable_boxes_and_their_footprints(tiny, tmp_path):
    """A day of the tiny world with the baseline's boxes and half the boxed orders drawn for
    the reusable box: soft orders in bags, about half the others in R20, and each footprint's
    packaging part is its boxes' figure."""
    boxes = Scenario.from_file(BASELINE).packing
    s = tiny().replace(packing=boxes.replace(reusable_share=0.5))
    db = tmp_path / "pack.db"
    run(s, db_path=db)
    with EventLog.open(db) as log:
        packed = {e.order_id: e for e in log.events(1, type=EventType.PACKED)}
        footprints = log.events(1, type=EventType.FOOTPRINT_COMPUTED)
    kg = {b.name: b.kg_co2e for b in s.packing.boxes}
    by_box = Counter(e.data["box"] for e in packed.values())
    assert by_box["bag"] > 0 and by_box["R20"] > 0
    boxed = sum(n for name, n in by_box.items() if name != "bag")
    assert 0.2 < by_box["R20"] / boxed < 0.7  # half drawn, less those too big for R20
    for e in packed.values():
        assert e.kg_co2e == pytest.approx(kg[e.data["box"]] * e.quantity)
    assert footprints
    for f in footprints:
        assert f.data["packaging"] == pytest.approx(packed[f.order_id].kg_co2e)
