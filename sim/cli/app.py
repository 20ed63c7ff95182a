"""The ``carbonsim`` group: global options, and how an error reaches the user."""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import traceback

import click

from sim.errors import CarbonsimError, describe_sqlite_error
from sim.version import package_version


class CarbonsimGroup(click.Group):
    """How an error reaches the user. A user error (:class:`sim.errors.CarbonsimError`, SQLite
    unable to use a file the user named, an OS error about a named file) is one line on stderr
    and exit 2. Anything else is a bug in carbonsim: exit 1, the traceback saved to a file whose
    path is printed, and a line asking to report it. ``--debug`` shows every traceback instead."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            message = user_message(exc, (ctx.obj or {}).get("files") or [])
            if message is not None:
                click.echo(f"Error: {message}", err=True)
                ctx.exit(2)
            path = save_traceback(exc)
            click.echo(f"Error: internal error, {type(exc).__name__}: {exc}", err=True)
            where = f"the traceback saved in {path}" if path else "the traceback that --debug prints"
            click.echo(
                f"This is a bug in carbonsim, not in your input: please report it on the project's issue tracker with {where}.",
                err=True,
            )
            ctx.exit(1)


def user_message(exc: BaseException, files: list[str]) -> str | None:
    """The one line a user error is reported with, or None when ``exc`` is a bug."""
    if isinstance(exc, CarbonsimError):
        return str(exc)
    if isinstance(exc, (sqlite3.Error, OverflowError)):
        named = files[-1] if len(files) == 1 else ", ".join(files) if files else "the event log"
        return describe_sqlite_error(named, exc)
    if isinstance(exc, OSError) and exc.filename is not None:  # a file the user named, or one made from it
        return f"{exc.filename}: {exc.strerror or exc}"
    return None


def save_traceback(exc: BaseException) -> str | None:
    """Write the traceback to a new file in the temporary folder; its path (None if it cannot)."""
    text = "".join(traceback.format_exception(exc))
    try:
        fd, path = tempfile.mkstemp(prefix="carbonsim-bug-", suffix=".txt")
        with os.fdopen(fd, "w") as f:
            f.write(f"carbonsim {package_version()}, Python {sys.version.split()[0]}\n{' '.join(sys.argv)}\n\n{text}")
    except OSError:
        return None
    return path


@click.group(cls=CarbonsimGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_version(), prog_name="carbonsim")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.option(
    "--tables",
    is_flag=True,
    envvar="CARBONSIM_TABLES",
    help="Print tables even when stdout is not a terminal (default there: JSON).",
)
@click.pass_context
def main(ctx: click.Context, debug: bool, tables: bool) -> None:
    """carbonsim: green e-commerce logistics, routing and carbon footprints.

    \b
    Examples:
      carbonsim run scenarios/baseline.toml
      carbonsim check carbonsim.db
      carbonsim compare scenarios/baseline.toml scenarios/green.toml --seeds 10 --jobs 2
      carbonsim route tests/data/solomon/C101.txt --time-limit 10 --seed 1
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    ctx.obj["tables"] = tables
