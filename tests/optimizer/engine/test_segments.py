"""Segment concatenation equals the direct walk of kernels.route_eval, in any grouping."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer import kernels
from optimizer.engine import segments as sg

from .conftest import generated

INSTANCES = {
    "soft": generated(12, 1),
    "hard": generated(12, 2, hard=True),
    "tight": generated(12, 7, hard=True).replace(due=generated(12, 7).ready + 5.0),
}


def _direct(inst, seq, k):
    return kernels.route_eval(np.asarray(seq, dtype=np.int64), 0, len(seq), k, *inst.kernel_data)


def _fold(inst, seq, cut, merge):
    """Route segment built as (depot + seq[:cut]) joined to (seq[cut:] + depot)."""
    kd = inst.kernel_data
    left = np.empty(sg.NSEG)
    tmp = np.empty(sg.NSEG)
    sg.depot_start_segment(kd.nodes, left)
    for c in seq[:cut]:
        sg.node_segment(c, kd.nodes, tmp)
        merge(left, tmp, kd.arcs, left)
    right = np.empty(sg.NSEG)
    sg.depot_end_segment(kd.nodes, right)
    for c in reversed(seq[cut:]):
        sg.node_segment(c, kd.nodes, tmp)
        merge(tmp, right, kd.arcs, right)
    out = np.empty(sg.NSEG)
    merge(left, right, kd.arcs, out)
    return out


routes = st.sampled_from(sorted(INSTANCES)).flatmap(
    lambda name: st.tuples(
        st.just(name),
        st.permutations(list(range(1, 13))).flatmap(lambda p: st.integers(1, 12).map(lambda m: p[:m])),
        st.integers(0, 12),
        st.integers(0, len(INSTANCES[name].vehicle_types) - 1),
    )
)


@settings(max_examples=150, deadline=None)
@given(routes)
def test_concatenation_equals_direct_evaluation(case):
    """Loads, km, cost-km, emissions are exact in any grouping; times and the penalty are
    exact when the route is on time, and time warp is 0 exactly when the walk is never late."""
    name, seq, cut, k = case
    inst = INSTANCES[name]
    kd = inst.kernel_data
    cut = min(cut, len(seq))
    direct = _direct(inst, seq, k)
    for merge in (sg.merge, sg.merge.py_func):
        seg = _fold(inst, seq, cut, merge)
        cost, emis, pen, km, dur, over, tw = sg.segment_objectives(seg, k, kd.veh, kd.cfg)
        assert np.isclose(km, direct[kernels.DIST], rtol=1e-12, atol=1e-9)
        assert np.isclose(emis, direct[kernels.EMIS], rtol=1e-12, atol=1e-9)
        assert np.isclose(over, direct[kernels.OVERLOAD], atol=1e-9)
        assert np.isclose(seg[sg.LOAD], inst.demand[list(seq)].sum())
        assert (tw > 1e-9) == (direct[kernels.LATE] > 1e-9)
        if tw <= 1e-9:
            assert np.isclose(dur, direct[kernels.DURATION], rtol=1e-12, atol=1e-9)
            assert np.isclose(cost, direct[kernels.COST], rtol=1e-12, atol=1e-9)
            assert np.isclose(pen, direct[kernels.PEN], rtol=1e-12, atol=1e-9)


def test_python_twin_equals_compiled_merge():
    """merge.py_func and the compiled merge give bit-identical summaries."""
    inst = INSTANCES["hard"]
    kd = inst.kernel_data
    rng = np.random.default_rng(0)
    for _ in range(50):
        a = np.empty(sg.NSEG)
        b = np.empty(sg.NSEG)
        sg.node_segment(int(rng.integers(1, 13)), kd.nodes, a)
        sg.node_segment(int(rng.integers(1, 13)), kd.nodes, b)
        out1 = np.empty(sg.NSEG)
        out2 = np.empty(sg.NSEG)
        sg.merge(a, b, kd.arcs, out1)
        sg.merge.py_func(a, b, kd.arcs, out2)
        np.testing.assert_array_equal(out1, out2)


def test_route_segment_on_solomon_bks_routes(r105):
    """A whole route folded by route_segment scores like route_eval on a real instance."""
    kd = r105.kernel_data
    seq = np.array([2, 15, 43, 42, 57, 87, 97, 95, 94, 92, 98], dtype=np.int64)
    seg = np.empty(sg.NSEG)
    sg.route_segment(seq, kd.nodes, kd.arcs, seg)
    direct = _direct(r105, seq, 0)
    assert np.isclose(seg[sg.DIST], direct[kernels.DIST])
    assert (seg[sg.TW] > 1e-9) == (direct[kernels.LATE] > 1e-9)


def test_tuple_core_twin():
    """The tuple core merge_t gives the same summary compiled and as plain Python."""
    kd = INSTANCES["tight"].kernel_data
    a = sg.node_t(3, kd.nodes)
    b = sg.node_t(5, kd.nodes)
    assert sg.merge_t(a, b, kd.arcs) == sg.merge_t.py_func(a, b, kd.arcs)
    assert sg.merge_t(sg.depot_start_t(kd.nodes), a, kd.arcs) == sg.merge_t.py_func(
        sg.depot_start_t.py_func(kd.nodes), a, kd.arcs
    )
