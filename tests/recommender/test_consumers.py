"""The consumer population's distributions."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.consumers import draw_consumers


def test_population_matches_its_targets():
    """45% fully trust labels (seed 000); mean price sensitivity 2; affinity in [0, 1] with
    mean 0.4; everyone has a favourite category; same seed, same people."""
    c = draw_consumers(20_000, 8, np.random.default_rng(1))
    assert np.mean(c.trust == 1.0) == pytest.approx(0.45, abs=0.01)
    assert c.trust.max() == 1.0 and np.all(c.trust[c.trust < 1] <= 0.5)
    assert c.price_sensitivity.mean() == pytest.approx(2.0, rel=0.02)
    assert 0 <= c.green_affinity.min() and c.green_affinity.max() <= 1
    assert c.green_affinity.mean() == pytest.approx(0.4, abs=0.01)
    assert np.all(c.taste.max(axis=1) > c.taste.mean(axis=1))
    again = draw_consumers(20_000, 8, np.random.default_rng(1))
    assert np.array_equal(c.taste, again.taste) and np.array_equal(c.trust, again.trust)
    assert len(c) == 20_000 and c.factors.shape == (20_000, 4)
    assert np.allclose(c.share.sum(axis=1), 1.0)


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="at least one consumer"):
        draw_consumers(0, 8, np.random.default_rng(0))
