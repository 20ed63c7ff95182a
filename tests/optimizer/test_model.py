"""Parameters of the routing model: Table 2 / Table 6 values, the EV option and validation."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer.model import (
    HEAVY_TRUCK,
    LIGHT_TRUCK,
    MEDIUM_TRUCK,
    ROAD_GRADES,
    CongestionProfile,
    VehicleType,
    Weights,
)


def test_table2_emission_factors():
    """Empty / full kg CO2 per km are the seed paper's Table 2 values."""
    got = [(v.empty_kg_per_km, v.full_kg_per_km) for v in (LIGHT_TRUCK, MEDIUM_TRUCK, HEAVY_TRUCK)]
    assert got == [(0.18, 0.26), (0.35, 0.49), (0.68, 0.95)]


def test_table6_speeds_and_grade_ordering():
    """Table 6 speeds and congestion; the grade emission factor is lowest on expressways, highest on urban local roads."""
    assert [(g.speed_kmh, g.congestion) for g in ROAD_GRADES] == [(75.6, 1.05), (45.3, 1.18), (32.8, 1.32), (40.1, 1.22)]
    factors = {g.name: g.emission_factor for g in ROAD_GRADES}
    assert min(factors, key=factors.get) == "expressway"
    assert max(factors, key=factors.get) == "urban_local"
    assert factors["urban_arterial"] == 1.0


def test_electric_van_factors_come_from_energy_and_grid():
    """An electric van's kg/km are its kWh/km times the grid intensity, and it is flagged electric."""
    ev = VehicleType.electric_van(capacity=12, count=3, grid_kg_per_kwh=0.5, kwh_per_km_empty=0.2, kwh_per_km_full=0.3)
    assert ev.electric and ev.name == "electric_van" and ev.count == 3
    assert ev.empty_kg_per_km == pytest.approx(0.1)
    assert ev.full_kg_per_km == pytest.approx(0.15)
    clean = VehicleType.electric_van(capacity=12, count=3, grid_kg_per_kwh=0.0)
    assert clean.empty_kg_per_km == 0.0 and clean.full_kg_per_km == 0.0


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"capacity": 0}, "capacity"),
        ({"count": -1}, "count"),
        ({"empty_kg_per_km": 0.3, "full_kg_per_km": 0.2}, "empty_kg_per_km"),
        ({"cost_per_km": -1.0}, "cost_per_km"),
    ],
)
def test_vehicle_type_validation_names_the_field(kwargs, field):
    """A bad vehicle type is refused with a message naming the type and the field."""
    base = dict(name="van", capacity=10.0, count=2, empty_kg_per_km=0.1, full_kg_per_km=0.2)
    base.update(kwargs)
    with pytest.raises(ValueError, match=field) as err:
        VehicleType(**base)
    assert "'van'" in str(err.value)


def test_congestion_profile_must_tile_the_day():
    """A profile whose periods do not add up to 24 h is refused; the default one tiles it hourly."""
    with pytest.raises(ValueError, match="tile a day"):
        CongestionProfile(shape=(1.0, 2.0), period_minutes=60.0)
    prof = CongestionProfile()
    assert len(prof.shape) * prof.period_minutes == 1440
    table = prof.table(ROAD_GRADES)
    # at shape 1 the coefficient is the paper's mean; peaks are above it
    np.testing.assert_allclose(table[:, 10], [g.congestion for g in ROAD_GRADES])
    assert (table[:, 8] > table[:, 10]).all()


def test_weights_validation():
    """Negative weights, or zero weight on both cost and emissions, are refused."""
    with pytest.raises(ValueError):
        Weights(cost=-0.1)
    with pytest.raises(ValueError):
        Weights(cost=0.0, emissions=0.0)
    assert Weights().cost == 0.6 and Weights().emissions == 0.4
