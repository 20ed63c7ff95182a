"""The penalised Split and the slot assignment: compiled and plain Python agree, the
fleet's counts hold."""

from __future__ import annotations

import numpy as np

from optimizer.engine.objective import objective_vector
from optimizer.engine.split import assign_slots, split_giant_tour

from .conftest import generated


def test_split_twin_and_slots():
    inst = generated(20, 31, hard=True)
    kd = inst.kernel_data
    obj = objective_vector(kd, w_cost=1.0, w_emis=0.3, w_dist=0.0, pen_load=5.0, pen_tw=2.0)
    rng = np.random.default_rng(0)
    slot_type = np.repeat(np.arange(len(inst.vehicle_types)), [v.count for v in inst.vehicle_types])
    for _ in range(10):
        tour = (rng.permutation(inst.n_customers) + 1).astype(np.int64)
        out = []
        for fn in (split_giant_tour, split_giant_tour.py_func):
            rs = np.zeros(inst.n_customers + 1, dtype=np.int64)
            rt = np.zeros(inst.n_customers, dtype=np.int64)
            nr = fn(tour, obj, kd.nodes, kd.arcs, kd.veh, kd.cfg, rs, rt)
            out.append((nr, rs[: nr + 1].copy(), rt[:nr].copy()))
        assert out[0][0] == out[1][0]
        np.testing.assert_array_equal(out[0][1], out[1][1])
        np.testing.assert_array_equal(out[0][2], out[1][2])
        nr, rs, rt = out[0]
        routes, rlen = assign_slots(tour, rs, rt, nr, slot_type, inst.n_customers + 2)
        assert rlen.sum() == inst.n_customers
        assert sorted(np.concatenate([routes[r, 1 : 1 + rlen[r]] for r in range(rlen.size)]).tolist()) == list(
            range(1, inst.n_customers + 1)
        )
