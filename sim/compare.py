"""Compare scenarios over replications with common random numbers.

Every scenario runs with the same seeds (1..N by default), so replication i of each scenario
faces the same consumers, sessions and travel noise (each subsystem has its own stream, see
:mod:`sim.context`): the paired difference of a KPI between two scenarios over the same seed
has far less variance than the difference of two independent means. For each KPI the
comparison gives every scenario's mean with a 95% confidence interval (Student t over the
replications) and the mean paired difference against the first scenario with its interval.

Runs go to local worker processes (``jobs``) or to the workers of a Dask distributed
cluster (``scheduler="tcp://HOST:PORT"``, the ``cluster`` extra). Each run writes its own
event log, in ``logs`` if given (on a cluster that folder must be one every worker can
write, a shared filesystem say) or in a temporary file of the worker's that is deleted after
the run. Only the KPIs come back to the parent, which alone writes the ``results`` table, one
row per run. A run's result depends only on its scenario and seed, so the comparison is the
same whatever the executor and the number of workers (as long as no MOGWO wave is cut by
``routing.time_limit``, which depends on the machine's speed).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from .scenario import Scenario

#: The KPIs compared, as keys of :class:`sim.summary.RunSummary`, with their table labels.
KPIS: dict[str, str] = {
    "kg_co2e_per_order": "kg CO2e per order",
    "kg_co2e_per_order_transport": "  transport",
    "kg_co2e_per_order_packaging": "  packaging",
    "footprint_trunk_per_order": "  trunk (label)",
    "cost_per_order": "cost per order (yuan)",
    "on_time_share": "on time",
    "km": "km",
    "load_factor": "load factor",
    "green_sales_share": "green share of units",
    "green_slot_uptake": "green slot uptake",
    "points_issued": "points issued",
    "stockouts": "stock-outs (lines)",
    "orders": "orders",
}
#: KPIs that are shares (0..1): tables print them in %, differences in percentage points.
SHARES: frozenset[str] = frozenset({"on_time_share", "load_factor", "green_sales_share", "green_slot_uptake"})


@dataclass(frozen=True)
class Job:
    """One run: a scenario (as TOML text, so it pickles plainly to any worker), its name, a
    seed and the file of its event log (None: a temporary file of the worker's)."""

    name: str
    scenario_toml: str
    seed: int
    log: str | None = None

    def run(self) -> dict:
        from .simulation import run

        scenario = Scenario.from_toml(self.scenario_toml, source=self.name)
        if self.log is not None:
            log = Path(self.log)
            log.parent.mkdir(parents=True, exist_ok=True)  # a cluster worker may not have it yet
            log.unlink(missing_ok=True)  # a fresh log per run: a rerun must not append to an old one
            return run(scenario, db_path=self.log, seed=self.seed, name=self.name).to_dict()
        with tempfile.TemporaryDirectory(prefix="carbonsim-run-") as tmp:
            return run(scenario, db_path=Path(tmp) / "run.db", seed=self.seed, name=self.name).to_dict()


def _run_job(job: Job) -> dict:
    return job.run()


#: ``progress(done, total)`` after each finished run.
Progress = Callable[[int, int], None]


def _limit_threads(threads: int) -> None:
    import numba

    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))


def _run_local(job_list: list[Job], jobs: int, progress: Progress | None) -> list[dict]:
    results: list[dict | None] = [None] * len(job_list)
    if jobs <= 1:
        for i, j in enumerate(job_list):
            results[i] = j.run()
            if progress is not None:
                progress(i + 1, len(job_list))
        return results
    # spawn: workers start clean (no inherited SimPy or numba state), so a run is the same in
    # a worker as in the parent. MOGWO decodes its population on numba threads, one per core
    # by default: J workers share the cores instead of each oversubscribing all of them (the
    # plans do not depend on the thread count).
    threads = max(1, (os.cpu_count() or 1) // jobs)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_limit_threads, initargs=(threads,)) as pool:
        futures = {pool.submit(_run_job, j): i for i, j in enumerate(job_list)}
        for done, f in enumerate(as_completed(futures), 1):
            results[futures[f]] = f.result()
            if progress is not None:
                progress(done, len(job_list))
    return results


def _run_dask(job_list: list[Job], scheduler: str, progress: Progress | None, timeout: float) -> list[dict]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise ValueError(
            f"--scheduler {scheduler}: running on a Dask cluster needs Dask distributed; "
            "install it with: pip install 'carbonsim[cluster]'"
        ) from None
    try:
        client = Client(scheduler, timeout=timeout)
    except OSError as exc:  # distributed raises OSError (timeouts included) when it cannot connect
        raise ValueError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({exc})") from None
    with client:
        # pure=False: two jobs are never the same task to Dask, even if they look alike
        futures = client.map(_run_job, job_list, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[dict | None] = [None] * len(job_list)
        for done, f in enumerate(dask_completed(futures), 1):
            results[index[f.key]] = f.result()
            if progress is not None:
                progress(done, len(job_list))
    return results


@dataclass
class Interval:
    mean: float
    low: float
    high: float
    n: int

    def to_dict(self) -> dict:
        return {"mean": self.mean, "low": self.low, "high": self.high, "n": self.n}


def interval(values: list[float], level: float = 0.95) -> Interval:
    """Mean and Student-t confidence interval (a single value gives a zero-width interval)."""
    from scipy import stats

    n = len(values)
    mean = math.fsum(values) / n
    if n < 2:
        return Interval(mean, mean, mean, n)
    var = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * math.sqrt(var / n)
    return Interval(mean, mean - half, mean + half, n)


@dataclass
class Comparison:
    """Every run's KPIs (``runs[scenario][i]`` for ``seeds[i]``) and the statistics of :data:`KPIS`."""

    scenarios: list[str]
    seeds: list[int]
    runs: dict[str, list[dict]]
    stats: dict[str, dict[str, Interval]] = field(init=False)
    diffs: dict[str, dict[str, Interval]] = field(init=False)

    def __post_init__(self) -> None:
        first = self.scenarios[0]
        self.stats = {kpi: {} for kpi in KPIS}
        self.diffs = {kpi: {} for kpi in KPIS}
        for kpi in KPIS:
            for name in self.scenarios:
                values = [float(r[kpi] or 0.0) for r in self.runs[name]]
                self.stats[kpi][name] = interval(values)
                if name != first:
                    paired = [float(b[kpi] or 0.0) - float(a[kpi] or 0.0) for a, b in zip(self.runs[first], self.runs[name])]
                    self.diffs[kpi][name] = interval(paired)

    def to_dict(self) -> dict:
        return {
            "scenarios": self.scenarios,
            "seeds": self.seeds,
            "baseline": self.scenarios[0],
            "kpis": {
                kpi: {
                    "label": KPIS[kpi].strip(),
                    "scenarios": {n: i.to_dict() for n, i in self.stats[kpi].items()},
                    "difference_vs_baseline": {n: i.to_dict() for n, i in self.diffs[kpi].items()},
                }
                for kpi in KPIS
            },
        }


def compare(
    scenarios: dict[str, Scenario],
    seeds: list[int],
    *,
    jobs: int = 1,
    logs: str | os.PathLike[str] | None = None,
    results_db: str | os.PathLike[str] | None = None,
    swept: dict[str, str] | None = None,
    params: dict[str, dict[str, str]] | None = None,
    scheduler: str | None = None,
    connect_timeout: float = 20.0,
    progress: Progress | None = None,
) -> Comparison:
    """Run every scenario (name -> scenario, the first is the baseline) with every seed.

    ``jobs``: local worker processes; ``scheduler``: instead, the address of a Dask
    distributed scheduler (``tcp://HOST:PORT``) whose workers have carbonsim installed,
    given ``connect_timeout`` seconds to answer.
    ``logs``: keep each run's event log there (default: discarded after the run).

    ``results_db``: append one row per run to its ``results`` table (run_id is the row's
    own key; ``log`` and ``log_run_id`` locate the run's events). ``swept``: parameter
    columns stored with every row (the ``--set`` overrides, say); ``params``: more of them
    per scenario name (a sweep's grid point).
    """
    if not scenarios or not seeds:
        raise ValueError("need at least one scenario and one seed")
    folder = Path(logs).resolve() if logs is not None else None
    job_list = [
        Job(name, sc.to_toml(), seed, None if folder is None else str(folder / f"{name}-seed{seed}.db"))
        for name, sc in scenarios.items() for seed in seeds
    ]
    if scheduler is not None:
        results = _run_dask(job_list, scheduler, progress, connect_timeout)
    else:
        results = _run_local(job_list, jobs, progress)
    runs: dict[str, list[dict]] = {name: [] for name in scenarios}
    for j, r in zip(job_list, results):
        runs[j.name].append(r)
    if results_db is not None:
        _store(results_db, job_list, results, swept or {}, params or {})
    return Comparison(list(scenarios), list(seeds), runs)


def _store(
    path, job_list: list[Job], results: list[dict], swept: dict[str, str], params: dict[str, dict[str, str]],
) -> None:
    db = Database(path)
    if "results" not in db.table_names():
        db["results"].create({"run_id": int, "scenario": str, "seed": int}, pk="run_id")
    rows = []
    for j, r in zip(job_list, results):
        columns = {**swept, **params.get(j.name, {})}
        row = {"scenario": j.name, "seed": j.seed, **{f"param_{k}": v for k, v in columns.items()}}
        row.update({k: v for k, v in r.items() if k not in ("run_id", "scenario", "seed")})
        row["log"] = j.log
        row["log_run_id"] = r["run_id"]
        rows.append(row)
    with db.conn:
        db["results"].insert_all(rows, alter=True)


def split_values(text: str) -> list[str]:
    """``"0,0.2,0.4"`` -> ``["0", "0.2", "0.4"]``; commas inside brackets or quotes (a TOML
    array or string value) do not split."""
    out, depth, quote, start = [], 0, None, 0
    for i, ch in enumerate(text):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return [v.strip() for v in out]


def grid(overrides: list[str]) -> list[dict[str, str]]:
    """The parameter grid of ``FIELD=V1,V2,...`` overrides: every combination, in order
    (the first field varies slowest)."""
    import itertools

    axes = []
    for text in overrides:
        if "=" not in text:
            raise ValueError(f"--set {text!r}: expected FIELD=VALUE[,VALUE...]")
        key, values = text.split("=", 1)
        axes.append([(key.strip(), v) for v in split_values(values)])
    return [dict(point) for point in itertools.product(*axes)]
