"""Options and arguments that several commands share, declared once (sqlite-utils' way)."""

from __future__ import annotations

from pathlib import Path

import click

from optimizer.units import MINUTES_PER_DAY

#: Lifts the cap on a scenario's expected events (sim.scenario.MAX_EXPECTED_EVENTS).
ALLOW_LARGE = click.option(
    "--allow-large", is_flag=True, help="Accept a scenario expected to log more than 50 million events (refused by default)."
)


#: Ids as SQLite stores them: 64-bit signed integers (a larger one is an error, not an overflow).
RUN_ID = click.IntRange(min=1, max=2**63 - 1)


OBJECT_ID = click.IntRange(min=0, max=2**63 - 1)


def remember_file(ctx: click.Context, param: click.Parameter | None, value):
    """Note a file the command works on, so that a SQLite or OS failure later names it."""
    if value is not None:
        values = value if isinstance(value, tuple) else (value,)
        ctx.find_root().ensure_object(dict).setdefault("files", []).extend(str(v) for v in values)
    return value


#: The run database argument and run choice that every command reading a run back takes.
RUN_DB = click.argument(
    "db", metavar="RUN_DB", type=click.Path(exists=True, dir_okay=False, path_type=Path), callback=remember_file
)


RUN_OPTION = click.option("--run", "run_id", type=RUN_ID, help="Run id (default: the last run in the file).")


OVERRIDE_HELP = "Override one field (repeatable); VALUE is TOML, a bare word is a string."


SCHEDULER_HELP = (
    "Run on this Dask distributed scheduler's workers instead of local processes "
    "(pip install 'carbonsim[cluster]'; carbonsim must be installed on the workers)."
)


def parse_minutes(text: str | None) -> float | None:
    """Simulated time from the command line: minutes, or days with a `d` suffix (2d = 2880)."""
    if text is None:
        return None
    try:
        return float(text[:-1]) * MINUTES_PER_DAY if text.endswith("d") else float(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a time: give minutes (90) or days (1.5d)") from None


def run_ref(text: str) -> tuple[Path, int | None]:
    """``FILE`` or ``FILE:RUN``: a run database and, optionally, the run in it."""
    path = Path(text)
    if not path.exists() and ":" in text:
        head, _, tail = text.rpartition(":")
        if tail.isdigit():
            path, run = Path(head), int(tail)
            if path.exists():
                return path, run
    if not path.is_file():
        raise click.BadParameter(f"{text}: no such run database (give FILE or FILE:RUN_ID)", param_hint="RUN_DB")
    return path, None
