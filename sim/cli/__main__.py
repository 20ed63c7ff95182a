"""``python -m sim.cli``: the same entry point as the ``carbonsim`` command."""

from sim.cli import main

main()
