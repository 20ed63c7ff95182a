"""Getting the numba kernels ready without spending a time limit waiting for them.

On a machine where the kernels were never compiled (an empty numba cache), their first use
compiles them: about 45 s for the pack decoder and a minute more for the engine step
(benchmarks/cold_compile.py), longer than most time limits. A time-limited
:func:`optimizer.solve` therefore starts :data:`KERNELS` (loading or compiling every kernel
in a background thread, by running them once on a tiny instance), builds its start plan
meanwhile without them (plain Python and numpy), and searches only if the kernels are ready
before its deadline; otherwise it returns the start plan and says why. The thread goes on
compiling, so a later call in the same process (the next dispatch wave of a simulation)
finds the kernels ready, and each compiled kernel is written to numba's cache as it is
done, so a later process does too.

This is process-wide state on purpose: compiled code is process-wide in numba.
"""

from __future__ import annotations

import threading


def exercise_kernels() -> None:
    """Run every kernel the solver calls once, on a 3-customer instance, with the argument
    types real calls use (so each is compiled, or loaded from the cache, for them)."""
    import numpy as np

    from .archive import Archive, ArchiveParams
    from .deadline import Deadline
    from .generate import paper_instance
    from .greedy import nearest_neighbour
    from .intensify import Intensifier, IntensifyParams
    from .problem import RoutingProblem
    from .solution import evaluate

    inst = paper_instance(3, np.random.default_rng(0))
    problem = RoutingProblem(inst, ls_passes=1)  # evaluates the greedy plan: route_eval, route_detail
    weights = np.full((1, 3), 1 / 3)
    batch = problem.decode(np.random.default_rng(0).random((1, inst.n_customers)), weights)
    evaluate(inst, nearest_neighbour(inst))
    # the engine's step between updates (optimizer.intensify): Split, slots, local search
    archive = Archive(ArchiveParams(), np.random.default_rng(0))
    archive.update(batch)
    Intensifier(problem, weights, IntensifyParams(), np.random.default_rng(0)).step(archive, Deadline(None))


class KernelWarmup:
    """The background loading of the kernels (one per process: :data:`KERNELS`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self.error: BaseException | None = None

    def start(self) -> None:
        """Start loading the kernels in a daemon thread (once; later calls do nothing)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="optimizer-kernels", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        try:
            exercise_kernels()
        except BaseException as exc:  # reported by the first real call, which fails the same way
            self.error = exc
        finally:
            self._done.set()

    @property
    def started(self) -> bool:
        return self._thread is not None

    def ready(self, timeout: float | None = 0.0) -> bool:
        """Whether the kernels are loaded, waiting up to ``timeout`` seconds (None: until they
        are). True also when the loading failed: the caller's own call then shows why."""
        if timeout is not None and timeout <= 0:
            return self._done.is_set()
        return self._done.wait(timeout)

    def settle(self) -> None:
        """Wait for a loading in progress (so no two threads run the parallel kernels at once)."""
        if self.started:
            self._done.wait()


#: The process's kernel loading.
KERNELS = KernelWarmup()
