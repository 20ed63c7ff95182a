"""The ``carbonsim`` command line: one entry point, one subcommand per job.

Tables go to stdout when it is a terminal; when stdout is a pipe or a file, a command prints
JSON instead (``--json``/``--csv`` choose explicitly; ``carbonsim --tables`` or
CARBONSIM_TABLES=1 keeps the tables). Progress and errors go to stderr. An error is one
clear line and a non-zero exit; ``--debug`` shows the traceback.

One module per group of commands; each registers its commands on :data:`sim.cli.app.main`
when imported, so importing this package builds the whole command line. The commands import
the simulation, the router and the readers inside their bodies: ``carbonsim --help`` stays fast.
"""

from __future__ import annotations

from sim.cli import calibrate, compare, export, footprints, log, routing, run  # noqa: F401, E402  (registers the commands)
from sim.cli.app import main
from sim.cli.routing import route

__all__ = ["main", "route"]
