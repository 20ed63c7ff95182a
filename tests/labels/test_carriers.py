"""Energy carriers (issue 15, item 1): the data file and its checks, the two scopes, and a vehicle
type's carrier in the scenario."""

from __future__ import annotations

import pytest

from labels.carriers import ELECTRICITY, CarrierFileError, carrier, carriers, load_carriers, parse_carriers
from sim import Scenario, ScenarioError


def test_the_package_file_has_sourced_carriers_and_wtw_is_wtt_plus_ttw():
    known = carriers()
    assert {"diesel", "petrol", "cng", ELECTRICITY} <= known.keys()
    for c in known.values():
        assert c.source.strip(), c.name
        wtw, ttw = c.scopes(2.0)
        if c.electric:
            assert (wtw, ttw) == (2.0, 0.0)  # the grid's lifecycle kg is the WTW; nothing from a tailpipe
        else:
            assert ttw == 2.0 and wtw == pytest.approx(2.0 * (c.ttw + c.wtt) / c.ttw)
    assert carrier("diesel").ttw + carrier("diesel").wtt == pytest.approx(3.24)  # EN 16258 fossil diesel WTW per litre
    assert carrier("petrol").in_scope(1.0, "wtw") == pytest.approx(2.80 / 2.42)


def test_an_unknown_carrier_or_scope_is_named():
    with pytest.raises(KeyError, match="unknown energy carrier 'coal'.*known: diesel"):
        carrier("coal")
    with pytest.raises(ValueError, match="unknown scope 'gate'"):
        carrier("diesel").in_scope(1.0, "gate")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"name": "x", "unit": "l", "ttw": 1.0, "source": "s"}, r"field 'wtt': missing"),
        ({"name": "x", "unit": "l", "ttw": -1.0, "wtt": 0.1, "source": "s"}, r"field 'ttw': must be a finite number >= 0"),
        ({"name": "x", "unit": "l", "ttw": 0.0, "wtt": 0.1, "source": "s"}, r"field 'ttw': must be > 0 for a fuel"),
        ({"name": "x", "unit": "l", "ttw": 1.0, "wtt": 0.1}, r"field 'source': missing"),
        ({"name": "x", "unit": "l", "ttw": 1.0, "wtt": 0.1, "source": "s", "colour": "red"}, r"field 'colour': unknown field"),
    ],
)
def test_a_bad_carrier_names_the_file_the_carrier_and_the_field(entry, message):
    electricity = {"name": ELECTRICITY, "unit": "kWh", "ttw": 0.0, "source": "grid"}
    with pytest.raises(CarrierFileError, match=rf"^my\.toml: carrier 1 \(x\): {message}"):
        parse_carriers({"carrier": [entry, electricity]}, "my.toml")


def test_the_file_must_keep_electricity_and_list_each_carrier_once(tmp_path):
    with pytest.raises(CarrierFileError, match="'electricity'.*required by electric vehicles"):
        parse_carriers({"carrier": [{"name": "diesel", "unit": "l", "ttw": 2.67, "wtt": 0.57, "source": "s"}]}, "f")
    bad = tmp_path / "c.toml"
    bad.write_text("[[carrier]\n")
    with pytest.raises(CarrierFileError, match=rf"{bad}: not valid TOML"):
        load_carriers(bad)


def test_a_vehicle_types_carrier_is_checked_against_the_file_and_its_drive():
    base = 'fleet.vehicles=[{name = "van", capacity_kg = 800.0, count = 2, energy_carrier = "%s"%s}]'
    assert Scenario().apply_overrides([base % ("petrol", "")]).fleet.vehicles[0].carrier == "petrol"
    assert Scenario().apply_overrides([base % ("auto", ", electric = true")]).fleet.vehicles[0].carrier == ELECTRICITY
    with pytest.raises(ScenarioError, match=r"energy_carrier.*unknown carrier; allowed: auto, diesel"):
        Scenario().apply_overrides([base % ("coal", "")])
    with pytest.raises(ScenarioError, match=r"energy_carrier.*electricity goes with electric = true"):
        Scenario().apply_overrides([base % ("electricity", "")])


def test_the_baseline_runs_its_micro_vans_on_petrol_and_its_tricycles_on_electricity():
    b = Scenario.from_file("scenarios/baseline.toml")
    assert {v.name: v.carrier for v in b.fleet.vehicles} == {"e_tricycle": ELECTRICITY, "mini_van": "petrol"}
    assert b.labels.scope == "wtw"
