"""labels/hub_operations.toml and its reader (labels/hubs.py): every site of the chain, each with
its iLEAP hub type, a GLEC default intensity and where it comes from; the scenario's kWh a parcel
are what the file says they are derived from; a mistake names the file, the hub and the field."""

from __future__ import annotations

import pytest

from labels.hubs import HUB_TYPES, SITES, HubFileError, hub_operations, load_hubs
from sim.scenario import Scenario

MEAN_PARCEL_KG = 1.56  # what the file's `derived` texts assume


def test_every_site_has_a_sourced_glec_default():
    hubs = hub_operations()
    assert set(SITES) <= hubs.keys()
    for h in hubs.values():
        assert h.hub_type in HUB_TYPES and h.default_kg_per_tonne > 0
        assert "GLEC" in h.source and "kWh a parcel" in h.derived


def test_the_scenario_defaults_are_the_files_derivation():
    s = Scenario()
    grid = s.fleet.grid_kg_per_kwh
    hubs = hub_operations()
    stated = {
        "warehouse": s.warehouse.kwh_per_parcel,
        "hub": s.network.hub_kwh_per_parcel,
        "station": s.network.station_kwh_per_parcel,
    }
    for site, kwh in stated.items():
        derived = hubs[site].default_kg_per_tonne * MEAN_PARCEL_KG / 1000.0 / grid
        assert kwh == pytest.approx(derived, rel=0.03), site
        assert f"{kwh:g}" in hubs[site].derived.replace("0.050", "0.05")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[hub]]\nname = 'warehouse'\n", "field 'hub_type': missing"),
        (
            "[[hub]]\nname='warehouse'\nhub_type='Depot'\ndefault_kg_per_tonne=1.0\nsource='s'\nderived='d'\n",
            "'Depot' is not an iLEAP hub type",
        ),
        (
            "[[hub]]\nname='warehouse'\nhub_type='Warehouse'\ndefault_kg_per_tonne=-1\nsource='s'\nderived='d'\n",
            "field 'default_kg_per_tonne': must be a finite number >= 0",
        ),
        (
            "[[hub]]\nname='warehouse'\nhub_type='Warehouse'\ndefault_kg_per_tonne=1\nsource='s'\nderived='d'\n",
            "no hub named 'hub'",
        ),
        ("[[hub]\n", "not valid TOML"),
    ],
)
def test_a_bad_file_names_the_file_the_hub_and_the_field(tmp_path, text, message):
    path = tmp_path / "hubs.toml"
    path.write_text(text)
    with pytest.raises(HubFileError) as err:
        load_hubs(path)
    assert str(path) in str(err.value) and message in str(err.value)
