"""Apportionment of a route's emissions to its orders: hand-computed examples and sums."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labels.apportion import SUM_REL_TOL, DrivenArc, DrivenRoute, apportion


def example() -> DrivenRoute:
    """depot -> A (3 km) -> B (4 km) -> depot (5 km); 1 kg/km + 1 kg/km per 1000 kg on board;
    A 100 kg, B 200 kg; A is 3 km and B 5 km from the depot by road."""
    return DrivenRoute(
        arcs=(
            DrivenArc(3.0, 1.3 * 3.0, {"A": 100.0, "B": 200.0}),
            DrivenArc(4.0, 1.2 * 4.0, {"B": 200.0}),
            DrivenArc(5.0, 1.0 * 5.0, {}),
        ),
        mass_kg={"A": 100.0, "B": 200.0},
        sfd_km={"A": 3.0, "B": 5.0},
    )


def test_demand_share_by_hand():
    """Arc 1 (3.9 kg) splits 1:2, arc 2 (4.8 kg) is all B's, the empty return (5 kg) splits
    by mass 1:2: A 1.3 + 5/3, B 2.6 + 4.8 + 10/3."""
    s = apportion(example(), "demand_share")
    assert s["A"] == pytest.approx(1.3 + 5 / 3, rel=1e-12)
    assert s["B"] == pytest.approx(2.6 + 4.8 + 10 / 3, rel=1e-12)
    assert math.fsum(s.values()) == pytest.approx(example().kg_co2e, rel=SUM_REL_TOL)


def test_tonne_km_by_hand():
    """13.7 kg split by mass x SFD: A 100 x 3 = 300, B 200 x 5 = 1000."""
    s = apportion(example(), "tonne_km")
    assert s["A"] == pytest.approx(13.7 * 300 / 1300, rel=1e-12)
    assert s["B"] == pytest.approx(13.7 * 1000 / 1300, rel=1e-12)
    # the first-dropped, nearer parcel pays more under tonne-km than by what it rode
    assert s["A"] > apportion(example(), "demand_share")["A"]


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="unknown apportionment method 'mass'"):
        apportion(example(), "mass")  # type: ignore[arg-type]
    bad = DrivenRoute(example().arcs, {"A": 100.0}, {"A": 3.0})
    with pytest.raises(ValueError, match="not in mass_kg"):
        apportion(bad)
    with pytest.raises(ValueError, match="missing"):
        apportion(DrivenRoute(example().arcs, example().mass_kg, {"A": 3.0}), "tonne_km")


@st.composite
def routes(draw):
    n = draw(st.integers(1, 12))
    mass = {i: draw(st.floats(0.01, 2000.0)) for i in range(n)}
    order = draw(st.permutations(list(range(n))))
    arcs, on_board = [], dict(mass)
    for i in order:
        arcs.append(DrivenArc(draw(st.floats(0.0, 80.0)), draw(st.floats(0.0, 50.0)), dict(on_board)))
        on_board.pop(i)
    arcs.append(DrivenArc(draw(st.floats(0.0, 80.0)), draw(st.floats(0.0, 50.0)), {}))
    sfd = {i: draw(st.floats(0.1, 60.0)) for i in range(n)}
    return DrivenRoute(tuple(arcs), mass, sfd)


@settings(max_examples=300, deadline=None)
@given(routes(), st.sampled_from(["demand_share", "tonne_km"]))
def test_shares_add_up_to_the_route(route, method):
    """On random routes and loads the shares are non-negative, cover every order, and their
    exact sum equals the route's emissions to the stated 1e-12 relative."""
    s = apportion(route, method)
    assert set(s) == set(route.mass_kg)
    assert all(v >= -1e-12 for v in s.values())
    assert abs(math.fsum(s.values()) - route.kg_co2e) <= SUM_REL_TOL * max(1.0, route.kg_co2e)
