"""Packing: smart picks the smallest fitting box, fixed always the same one."""

from __future__ import annotations

import pytest

from sim.world.packing import choose_box


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
    """The fixed L box (0.65 kg, 0.59 kg CO2e) for a lipstick; two of them for 40 litres."""
    packing = tiny().packing
    small = choose_box(packing, 0.5)
    assert (small.box, small.count, small.weight_kg, small.kg_co2e) == ("L", 1, 0.65, 0.59)
    big = choose_box(packing, 40.0)
    assert (big.count, big.weight_kg, big.kg_co2e) == (2, 1.3, 1.18)


def test_smart_packing_emits_less_than_fixed_for_small_orders(tiny):
    s, f = tiny("packing.policy=smart").packing, tiny().packing
    for v in (0.5, 3.0, 10.0, 30.0):
        assert choose_box(s, v).kg_co2e <= choose_box(f, v).kg_co2e
