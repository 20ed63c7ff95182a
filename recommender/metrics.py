"""Exposure by slate position (DOMAIN.md 4.3).

A slot's weight is 1 / log2(1 + position) (position 1 = top; Singh & Joachims 2018, the DCG
discount): the same weights give the position-weighted green exposure share the run summary
reports and the attention term of the choice model, so what counts as "shown" and what
consumers look at agree.
"""

from __future__ import annotations

import numpy as np


def position_weights(k: int) -> np.ndarray:
    """Weights of positions 1..k."""
    return 1.0 / np.log2(1.0 + np.arange(1, k + 1))


def green_exposure(green_in_slate: np.ndarray) -> tuple[float, float]:
    """(position-weighted green exposure, total weight) of one slate, in slate order."""
    w = position_weights(green_in_slate.size)
    return float(w @ green_in_slate.astype(float)), float(w.sum())
