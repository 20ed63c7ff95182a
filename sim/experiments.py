"""Compare scenarios over replications with common random numbers.

Every scenario runs with the same seeds (1..N by default), so replication i of each scenario
faces the same consumers, sessions and travel noise (each subsystem has its own stream, see
:mod:`sim.world.context`): the paired difference of a KPI between two scenarios over the same seed
has far less variance than the difference of two independent means. For each KPI the
comparison gives every scenario's mean with a 95% confidence interval (Student t over the
replications) and the mean paired difference against the first scenario with its interval.

Runs go to local worker processes (``jobs``) or to the workers of a Dask distributed
cluster (``scheduler="tcp://HOST:PORT"``, the ``cluster`` extra). Each run writes its own
event log, in ``logs`` if given (on a cluster that folder must be one every worker can
write, a shared filesystem say) or in a temporary file of the worker's that is deleted after
the run. A kept log is a new file named after the run and the invocation's ``compare_id``,
created exclusively: no run's log is ever deleted, reused or appended to by another. Only
the KPIs come back to the parent, which alone writes the ``results`` table, one row per run
naming its invocation and its log. Local workers never outlive the parent: they watch it
and stop (their run marked interrupted) when it dies, and a stopped comparison stops them.
A run's result depends only on its scenario and seed, so the comparison is the same whatever
the executor and the number of workers (as long as no MOGWO wave is cut by
``routing.time_limit``, which depends on the machine's speed).
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import multiprocessing
import os
import re
import secrets
import signal
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from sim.analysis.kpis import BY_KEY, COMPARED
from sim.errors import InputError
from sim.scenario import Scenario

#: The KPIs compared, as keys of :class:`sim.analysis.summary.RunSummary`: those the registry
#: marks as compared (:data:`sim.analysis.kpis.COMPARED`, with their labels and units).
KPIS: tuple[str, ...] = tuple(k.key for k in COMPARED)

#: Seconds a writer of the results file waits for another one before giving up.
RESULTS_BUSY_TIMEOUT = 60.0
#: Seconds a stopped worker gets to mark its run interrupted before it is killed.
STOP_GRACE = 10.0
#: Seconds between a worker's checks that its parent is still there.
PARENT_POLL = 0.2

# --------------------------------------------------------------------------------------------
# Log files: one new file per run, never an existing one
# --------------------------------------------------------------------------------------------

#: Characters a log file name keeps from the run's name; anything else (separators, NUL,
#: quotes, Windows' reserved characters) becomes ``_``.
_UNSAFE = re.compile(r"[^\w.=,+@\[\]-]+")
#: Bytes of a log file name's stem (a file name has at most 255; the seed, id and suffix follow).
STEM_BYTES = 120


def new_compare_id() -> tuple[str, str]:
    """A fresh invocation id and its start time (ISO 8601 UTC): the id is the start time to the
    second plus random hex, so ids sort by time and two invocations in one second differ."""
    now = time.gmtime()
    return f"{time.strftime('%Y%m%dT%H%M%SZ', now)}-{secrets.token_hex(3)}", time.strftime("%Y-%m-%dT%H:%M:%SZ", now)


def log_file_stem(name: str) -> str:
    """The part of a log file's name that comes from the run's name: path separators, ``..``,
    NUL and other path-hostile characters replaced, at most :data:`STEM_BYTES` bytes. A name
    that had to change gets a digest of the original, so two names never share a stem."""
    stem = _UNSAFE.sub("_", name)
    stem = re.sub(r"\.{2,}", "_", stem)
    stem = re.sub(r"_{2,}", "_", stem).lstrip(".-") or "run"
    if stem == name and len(stem.encode()) <= STEM_BYTES:
        return stem
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    while len(stem.encode()) > STEM_BYTES - 9:
        stem = stem[:-1]
    return f"{stem}-{digest}"


def reserve_log(folder: str | os.PathLike[str], name: str, seed: int, compare_id: str) -> Path:
    """Create a new, empty log file for one run in ``folder`` and return its absolute path:
    ``<name>-seed<seed>-<compare_id>.db``, with ``-2``, ``-3``... if that name is taken. The
    file is created with O_EXCL (and O_NOFOLLOW), so it never is another run's log, a file
    someone else made, or the target of a symlink, even with other processes reserving names
    in the same folder at the same time."""
    base = Path(folder).resolve()
    base.mkdir(parents=True, exist_ok=True)  # a cluster worker may not have it yet
    stem = f"{log_file_stem(name)}-seed{seed}-{log_file_stem(compare_id)}"
    for k in range(1, 10_000):
        path = base / (f"{stem}.db" if k == 1 else f"{stem}-{k}.db")
        if path.parent != base:  # cannot happen with a sanitised stem; the guarantee is checked, not assumed
            raise InputError(f"--logs {base}: log name {path.name!r} would leave the folder")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except FileExistsError:
            continue
        os.close(fd)
        return path
    raise InputError(f"--logs {base}: no free log name for {stem}.db")


def prepare_logs(folder: str | os.PathLike[str]) -> Path:
    """Create ``folder`` if needed and check a file can be made in it, so an unusable --logs
    fails before anything is simulated, in one line naming the folder."""
    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):  # an unnamed file (O_TMPFILE): nothing is left behind
            pass
    except OSError as exc:
        raise InputError(f"--logs {path}: cannot write log files there ({exc.strerror or exc})") from None
    return path.resolve()


@dataclass(frozen=True)
class Job:
    """One run: a scenario (as TOML text, so it pickles plainly to any worker), its name, a
    seed, the folder of its event log (None: a temporary file of the worker's) and the id of
    the invocation, which goes into the log's file name."""

    name: str
    scenario_toml: str
    seed: int
    logs: str | None = None
    compare_id: str = ""

    def run(self) -> tuple[str | None, dict]:
        """Run it; return the log's path (None if discarded) and the run's summary as a dict."""
        from sim.simulation import run

        scenario = Scenario.from_toml(self.scenario_toml, source=self.name)
        if self.logs is not None:
            log = reserve_log(self.logs, self.name, self.seed, self.compare_id)
            return str(log), run(scenario, db_path=log, seed=self.seed, name=self.name).to_dict()
        with tempfile.TemporaryDirectory(prefix="carbonsim-run-") as tmp:
            return None, run(scenario, db_path=Path(tmp) / "run.db", seed=self.seed, name=self.name).to_dict()


def _run_job(job: Job) -> tuple[str | None, dict]:
    return job.run()


#: ``progress(done, total)`` after each finished run.
Progress = Callable[[int, int], None]


# --------------------------------------------------------------------------------------------
# Local workers: they never outlive the parent
# --------------------------------------------------------------------------------------------


def _exit_on_signal(signum: int, frame) -> None:
    from sim.signals import raise_or_hold

    raise_or_hold(SystemExit(128 + signum))  # held while the event log commits a batch


def _exit_when_orphaned(parent_pid: int) -> None:
    """A worker's watchdog thread: once the parent is gone (the worker was re-parented), stop
    like a terminated worker (the run is marked interrupted), and hard after a grace period."""
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(STOP_GRACE)
    os._exit(128 + signal.SIGTERM)  # the main thread did not get to the handler (stuck in native code)


def _init_worker(threads: int, parent_pid: int) -> None:
    # Ctrl-C reaches the whole process group: the parent decides and stops its workers with
    # SIGTERM, which ends the run as interrupted (SystemExit) and then the worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        threading.Thread(target=_exit_when_orphaned, args=(parent_pid,), daemon=True, name="carbonsim-parent-watch").start()
        _limit_threads(threads)
    except SystemExit as exc:  # stopped while starting up: leave quietly, there is nothing to mark
        os._exit(exc.code if isinstance(exc.code, int) else 1)


def _run_in_worker(job: Job, parent_pid: int) -> tuple[str | None, dict]:
    if os.getppid() != parent_pid:  # the parent died: a run queued before must not start
        os._exit(128 + signal.SIGTERM)
    try:
        return job.run()
    except SystemExit as exc:  # SIGTERM: the run is marked interrupted; the pool would start the next one
        os._exit(exc.code if isinstance(exc.code, int) else 1)


def _limit_threads(threads: int) -> None:
    import numba

    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and stop the workers: SIGTERM (each marks its run
    interrupted), then SIGKILL for any still there after :data:`STOP_GRACE`."""
    # Python < 3.14 has no public terminate_workers(); the executor's process table is the
    # only handle on them.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        if p.is_alive():
            p.terminate()
    deadline = time.monotonic() + STOP_GRACE
    for p in processes:
        p.join(timeout=max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            p.kill()
            p.join(timeout=5)


def _run_local(job_list: list[Job], jobs: int, progress: Progress | None) -> list[tuple[str | None, dict]]:
    results: list = [None] * len(job_list)
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
    parent = os.getpid()
    pool = ProcessPoolExecutor(
        max_workers=jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker, initargs=(threads, parent)
    )
    try:
        futures = {pool.submit(_run_in_worker, j, parent): i for i, j in enumerate(job_list)}
        for done, f in enumerate(as_completed(futures), 1):
            results[futures[f]] = f.result()
            if progress is not None:
                progress(done, len(job_list))
    except BaseException:  # a failed run, Ctrl-C, SIGTERM: no run goes on or starts after us
        _stop_workers(pool)
        raise
    pool.shutdown(wait=True)
    return results


def _run_dask(job_list: list[Job], scheduler: str, progress: Progress | None, timeout: float) -> list[tuple[str | None, dict]]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise InputError(
            f"--scheduler {scheduler}: running on a Dask cluster needs Dask distributed; "
            "install it with: pip install 'carbonsim[cluster]'"
        ) from None
    try:
        client = Client(scheduler, timeout=timeout)
    except OSError as exc:  # distributed raises OSError (timeouts included) when it cannot connect
        raise InputError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({exc})") from None
    with client:
        # pure=False: two jobs are never the same task to Dask, even if they look alike
        futures = client.map(_run_job, job_list, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        results: list = [None] * len(job_list)
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
    #: The invocation's id: the ``compare_id`` of its results rows and the end of its log names.
    compare_id: str = ""
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
            "compare_id": self.compare_id,
            "scenarios": self.scenarios,
            "seeds": self.seeds,
            "baseline": self.scenarios[0],
            "kpis": {
                kpi: {
                    "label": BY_KEY[kpi].label,
                    "unit": BY_KEY[kpi].unit,
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
    given ``connect_timeout`` seconds to answer. Local workers stop when this process dies
    or the comparison is interrupted; a run that was going is marked interrupted in its log.
    ``logs``: keep each run's event log there, in a new file of its own named
    ``<name>-seed<N>-<compare_id>.db`` (see :func:`reserve_log`); nothing there is ever
    deleted or appended to (default: discarded after the run).

    ``results_db``: append one row per run to its ``results`` table (run_id is the row's
    own key; ``compare_id`` and ``compare_started_at`` name the invocation; ``log``, the
    log's absolute path, and ``log_run_id`` locate the run's events). ``swept``: parameter
    columns stored with every row (the ``--set`` overrides, say); ``params``: more of them
    per scenario name (a sweep's grid point). The results file and the logs folder are
    checked before anything runs.
    """
    if not scenarios or not seeds:
        raise ValueError("need at least one scenario and one seed")
    compare_id, started_at = new_compare_id()
    folder = None
    if logs is not None:
        # on a cluster the folder is the workers' (a shared filesystem, say): they create it
        folder = prepare_logs(logs) if scheduler is None else Path(logs).resolve()
    if results_db is not None:
        prepare_results(results_db)
    job_list = [
        Job(name, sc.to_toml(), seed, None if folder is None else str(folder), compare_id)
        for name, sc in scenarios.items()
        for seed in seeds
    ]
    if scheduler is not None:
        results = _run_dask(job_list, scheduler, progress, connect_timeout)
    else:
        results = _run_local(job_list, jobs, progress)
    runs: dict[str, list[dict]] = {name: [] for name in scenarios}
    for j, (_, summary) in zip(job_list, results):
        runs[j.name].append(summary)
    if results_db is not None:
        rows = [
            _results_row(j, log, summary, compare_id, started_at, {**(swept or {}), **(params or {}).get(j.name, {})})
            for j, (log, summary) in zip(job_list, results)
        ]
        store_results(results_db, rows)
    return Comparison(list(scenarios), list(seeds), runs, compare_id)


# --------------------------------------------------------------------------------------------
# The results table: created and extended under one write lock, whoever comes first
# --------------------------------------------------------------------------------------------

#: The columns every results table has; the parameter and KPI columns are added as they come.
_RESULTS_DDL = (
    "CREATE TABLE IF NOT EXISTS results (run_id INTEGER PRIMARY KEY, compare_id TEXT, compare_started_at TEXT,"
    " scenario TEXT, seed INTEGER, log TEXT, log_run_id INTEGER)"
)
_RESULTS_KEYS = ("run_id", "scenario", "seed")


def _results_row(job: Job, log: str | None, summary: dict, compare_id: str, started_at: str, columns: dict[str, str]) -> dict:
    row = {
        "compare_id": compare_id,
        "compare_started_at": started_at,
        "scenario": job.name,
        "seed": job.seed,
        **{f"param_{k}": v for k, v in columns.items()},
    }
    row.update({k: v for k, v in summary.items() if k not in ("run_id", "scenario", "seed")})
    row["log"] = log
    row["log_run_id"] = summary["run_id"]
    return row


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_type(values: list) -> str:
    """The declared type of a new column, from its first non-null value (none: no affinity,
    so later values are stored as given)."""
    for v in values:
        if v is not None:
            return "INTEGER" if isinstance(v, (bool, int)) else "REAL" if isinstance(v, float) else "TEXT"
    return ""


@contextlib.contextmanager
def _results_transaction(path: str | os.PathLike[str]) -> Iterator[sqlite3.Connection]:
    """A write transaction on the results file (BEGIN IMMEDIATE: concurrent writers queue on the
    busy timeout instead of racing), its table created if missing; every failure is one
    ValueError naming the file."""
    path = Path(path)
    if not path.parent.is_dir():
        problem = "is not a folder" if path.parent.exists() else "does not exist"
        raise InputError(f"results file {path}: cannot create it, the folder {path.parent} {problem}")
    if path.is_dir():
        raise InputError(f"results file {path}: is a folder")
    try:
        conn = sqlite3.connect(path, timeout=RESULTS_BUSY_TIMEOUT, isolation_level=None)
    except sqlite3.Error as exc:
        raise InputError(f"results file {path}: cannot open it ({exc})") from None
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(_RESULTS_DDL)
            missing = [k for k in _RESULTS_KEYS if k not in _results_columns(conn)]
            if missing:
                raise InputError(
                    f"results file {path}: its table results is not a carbonsim results table (no column {', '.join(missing)})"
                )
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        waited = f" after waiting {RESULTS_BUSY_TIMEOUT:g} s" if "locked" in str(exc) or "busy" in str(exc) else ""
        raise InputError(f"results file {path}: {exc}{waited}") from None
    except sqlite3.Error as exc:
        raise InputError(f"results file {path}: {exc}") from None
    finally:
        conn.close()


def _results_columns(conn: sqlite3.Connection) -> set[str]:
    return {row[1] for row in conn.execute("PRAGMA table_info(results)")}


def prepare_results(path: str | os.PathLike[str]) -> None:
    """Create the results file and its table if missing, or check the existing ones, so a bad
    ``--db`` fails before anything is simulated. Safe from many processes at once."""
    with _results_transaction(path):
        pass


def store_results(path: str | os.PathLike[str], rows: list[dict]) -> None:
    """Append ``rows`` to the results table in one transaction, adding the columns it lacks.
    Safe from many processes at once (each waits for the others' transactions)."""
    with _results_transaction(path) as conn:
        have = _results_columns(conn)
        new = [k for r in rows for k in r if k not in have]
        for column in dict.fromkeys(new):
            conn.execute(f"ALTER TABLE results ADD COLUMN {_quote(column)} {_sql_type([r.get(column) for r in rows])}")
        for r in rows:
            conn.execute(
                f"INSERT INTO results ({', '.join(map(_quote, r))}) VALUES ({', '.join('?' * len(r))})", list(r.values())
            )


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
            raise InputError(f"--set {text!r}: expected FIELD=VALUE[,VALUE...]")
        key, values = text.split("=", 1)
        axes.append([(key.strip(), v) for v in split_values(values)])
    return [dict(point) for point in itertools.product(*axes)]
