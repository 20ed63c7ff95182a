"""Packing: which box (and how many) an order ships in, and what the packaging emits.

``smart`` takes the smallest container whose usable volume (``fill_ratio`` of it) holds the
order: a mailer (a box of a ``mailer`` material) when every line is of
``packing.mailer_categories``, a reusable box when the order was drawn for one
(``packing.reusable_share``), else a single-use box. A mailer or reusable box is one container
or none: an order too big for it falls back to single-use boxes. ``fixed`` always uses
``fixed_box``. When no single-use box is big enough, the order ships in several of the largest
(smart) or of the fixed box, as many as its volume needs.

A box's kg CO2e is its weight x its material's factor (labels/packaging_materials.toml),
the amortised figure for a reusable one (:meth:`labels.materials.Material.kg_co2e_per_trip`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.scenario import BoxConfig, PackingConfig


@dataclass(frozen=True)
class PackChoice:
    box: str
    count: int
    weight_kg: float  # packaging weight of all boxes
    kg_co2e: float  # packaging footprint of all boxes
    volume_l: float = 0.0  # outer volume of all boxes: what the parcel takes in a vehicle
    material: str = "corrugated"


def choose_box(packing: PackingConfig, volume_l: float, *, soft: bool = False, reusable: bool = False) -> PackChoice:
    """The box choice for an order of ``volume_l`` litres under the packing policy; ``soft``: every
    line may travel in a mailer; ``reusable``: the order was drawn for a reusable box."""
    boxes = sorted(packing.boxes, key=lambda b: b.volume_l)
    if packing.policy == "fixed":
        box = next(b for b in boxes if b.name == packing.fixed_box)
        return _pack(box, _count(packing, box, volume_l))
    if soft:
        mailer = _smallest_fitting(packing, [b for b in boxes if b.made_of.mailer], volume_l)
        if mailer is not None:
            return _pack(mailer, 1)
    if reusable:
        crate = _smallest_fitting(packing, [b for b in boxes if b.made_of.reusable], volume_l)
        if crate is not None:
            return _pack(crate, 1)
    single = [b for b in boxes if not b.made_of.mailer and not b.made_of.reusable]
    box = _smallest_fitting(packing, single, volume_l) or single[-1]
    return _pack(box, _count(packing, box, volume_l))


def _smallest_fitting(packing: PackingConfig, boxes: list[BoxConfig], volume_l: float) -> BoxConfig | None:
    return next((b for b in boxes if b.volume_l * packing.fill_ratio >= volume_l), None)


def _count(packing: PackingConfig, box: BoxConfig, volume_l: float) -> int:
    return max(1, math.ceil(volume_l / (box.volume_l * packing.fill_ratio) - 1e-12))


def _pack(box: BoxConfig, count: int) -> PackChoice:
    return PackChoice(box.name, count, box.weight_kg * count, box.kg_co2e * count, box.volume_l * count, box.material)
