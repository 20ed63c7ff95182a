"""Small instances shared by the engine tests: a generated one (soft or hard windows, with or
without congestion, a mixed fleet) and the bundled Solomon R105."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optimizer import paper_instance, read_solomon
from optimizer.model import NO_CONGESTION

DATA = Path(__file__).resolve().parents[2] / "data"


def generated(n: int = 15, seed: int = 3, *, hard: bool = False, congestion: bool = False):
    inst = paper_instance(n, np.random.default_rng(seed), hard_windows=hard)
    if not congestion:
        inst = inst.replace(congestion=NO_CONGESTION)
    return inst


@pytest.fixture(scope="session")
def r105():
    return read_solomon(DATA / "solomon" / "R105.txt")


@pytest.fixture(scope="session")
def soft_free_flow():
    return generated(15, 3)


@pytest.fixture(scope="session")
def hard_free_flow():
    return generated(15, 4, hard=True)


@pytest.fixture(scope="session")
def soft_congested():
    return generated(15, 5, congestion=True)
