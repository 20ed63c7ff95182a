"""Packing: which box (and how many) an order ships in, and what the packaging emits.

``smart`` takes the smallest box whose usable volume (``fill_ratio`` of it) holds the
order; ``fixed`` always uses ``fixed_box``. When nothing is big enough, the order ships in
several of the largest (smart) or of the fixed box, as many as its volume needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.scenario import PackingConfig


@dataclass(frozen=True)
class PackChoice:
    box: str
    count: int
    weight_kg: float  # packaging weight of all boxes
    kg_co2e: float  # packaging footprint of all boxes
    volume_l: float = 0.0  # outer volume of all boxes: what the parcel takes in a vehicle


def choose_box(packing: PackingConfig, volume_l: float) -> PackChoice:
    """The box choice for an order of ``volume_l`` litres under the packing policy."""
    boxes = sorted(packing.boxes, key=lambda b: b.volume_l)
    if packing.policy == "smart":
        fitting = [b for b in boxes if b.volume_l * packing.fill_ratio >= volume_l]
        box = fitting[0] if fitting else boxes[-1]
    else:
        box = next(b for b in boxes if b.name == packing.fixed_box)
    count = max(1, math.ceil(volume_l / (box.volume_l * packing.fill_ratio) - 1e-12))
    return PackChoice(box.name, count, box.weight_kg * count, box.kg_co2e * count, box.volume_l * count)
