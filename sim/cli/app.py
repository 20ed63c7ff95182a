"""The ``carbonsim`` group: global options, and how an error reaches the user."""

from __future__ import annotations

import sqlite3

import click

from sim.errors import describe_sqlite_error
from sim.version import package_version


class CarbonsimGroup(click.Group):
    """Turns expected errors into one line on stderr (tracebacks only with --debug)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except (sqlite3.Error, OverflowError) as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            files = (ctx.obj or {}).get("files") or ["the event log"]
            click.echo(f"Error: {describe_sqlite_error(files[-1] if len(files) == 1 else ', '.join(files), exc)}", err=True)
            ctx.exit(2)
        except (ValueError, OSError, KeyError) as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            click.echo(f"Error: {msg}", err=True)
            ctx.exit(2)


@click.group(cls=CarbonsimGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_version(), prog_name="carbonsim")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.option("--tables", is_flag=True, envvar="CARBONSIM_TABLES",
              help="Print tables even when stdout is not a terminal (default there: JSON).")
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
