"""Compare scenarios over replications with common random numbers.

Every scenario runs with the same seeds (1..N by default), so replication i of each scenario
faces the same consumers, sessions and travel noise (each subsystem has its own stream, see
:mod:`sim.context`): the paired difference of a KPI between two scenarios over the same seed
has far less variance than the difference of two independent means. For each KPI the
comparison gives every scenario's mean with a 95% confidence interval (Student t over the
replications) and the mean paired difference against the first scenario with its interval.

Runs go to worker processes (``jobs``); each run writes its own event log in ``logs`` (a
temporary folder unless given) and its KPIs come back to the parent, which alone writes
the ``results`` table, one row per run. A run's result depends only on its scenario and
seed, so the comparison is the same whatever the number of workers (as long as no MOGWO
wave is cut by ``routing.time_limit``, which depends on the machine's speed).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
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
    "on_time_share": "on time (share)",
    "km": "km",
    "load_factor": "load factor",
    "green_sales_share": "green share of units",
    "green_slot_uptake": "green slot uptake",
    "points_issued": "points issued",
    "stockouts": "stock-outs (lines)",
    "orders": "orders",
}


@dataclass(frozen=True)
class Job:
    """One run: a scenario (as TOML text, so it pickles plainly), its name and a seed."""

    name: str
    scenario_toml: str
    seed: int
    log: str  # event-log file of this run

    def run(self) -> dict:
        from .simulation import run

        scenario = Scenario.from_toml(self.scenario_toml, source=self.name)
        summary = run(scenario, db_path=self.log, seed=self.seed, name=self.name)
        return summary.to_dict()


def _run_job(job: Job) -> dict:
    return job.run()


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
) -> Comparison:
    """Run every scenario (name -> scenario, the first is the baseline) with every seed.

    ``results_db``: append one row per run to its ``results`` table (run_id is the row's
    own key; ``log`` and ``log_run_id`` locate the run's events). ``swept``: parameter
    columns stored with every row (the ``--set`` overrides, say); ``params``: more of them
    per scenario name (a sweep's grid point).
    """
    if not scenarios or not seeds:
        raise ValueError("need at least one scenario and one seed")
    with tempfile.TemporaryDirectory(prefix="carbonsim-compare-") as tmp:
        folder = Path(logs) if logs is not None else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        job_list = [
            Job(name, sc.to_toml(), seed, str(folder / f"{name}-seed{seed}.db"))
            for name, sc in scenarios.items() for seed in seeds
        ]
        for j in job_list:  # a fresh log per run, so a rerun does not append to an old one
            Path(j.log).unlink(missing_ok=True)
        if jobs <= 1:
            results = [j.run() for j in job_list]
        else:
            # spawn: workers start clean (no inherited SimPy or numba state), so a run is the
            # same in a worker as in the parent
            with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
                results = list(pool.map(_run_job, job_list))
        runs: dict[str, list[dict]] = {name: [] for name in scenarios}
        for j, r in zip(job_list, results):
            runs[j.name].append(r)
        if results_db is not None:
            _store(results_db, job_list, results, swept or {}, params or {}, keep_logs=logs is not None)
    return Comparison(list(scenarios), list(seeds), runs)


def _store(
    path, job_list: list[Job], results: list[dict], swept: dict[str, str], params: dict[str, dict[str, str]], keep_logs: bool,
) -> None:
    db = Database(path)
    if "results" not in db.table_names():
        db["results"].create({"run_id": int, "scenario": str, "seed": int}, pk="run_id")
    rows = []
    for j, r in zip(job_list, results):
        columns = {**swept, **params.get(j.name, {})}
        row = {"scenario": j.name, "seed": j.seed, **{f"param_{k}": v for k, v in columns.items()}}
        row.update({k: v for k, v in r.items() if k not in ("run_id", "scenario", "seed")})
        row["log"] = j.log if keep_logs else None
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
