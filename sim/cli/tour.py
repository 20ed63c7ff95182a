"""The README's command tour, regenerated from real runs: ``python -m sim.cli.tour [README.md]``.

A ``text`` code block of the README preceded by a ``<!-- tour -->`` line is a tour block:
its ``$ ...`` lines are shell commands, run in order in one scratch folder (so ``carbonsim
run`` leaves the ``carbonsim.db`` that ``check`` reads next), and each command's output
(stdout and stderr, as a user sees them) replaces the lines after it. ``<!-- tour: setup
CMD -->`` runs CMD silently first (e.g. to write the bad scenario a block validates). Blocks
without the marker are left as written (a Dask cluster, a hand-edited database).

Tables are printed as on a terminal ``COLUMNS`` wide, so the run table shows the KPI
registry's labels, groups and units (:mod:`sim.analysis.kpis`) exactly as ``carbonsim run``
prints them. ``--list`` shows the blocks and their commands without running them. Figures
such as wall-clock times differ on every regeneration; tests/sim/test_tour.py checks what
must not drift (the run table's rows are the registry's labels, in its order).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"^<!-- tour(?:: setup (?P<setup>.*?))? -->$")
#: Terminal width the tour's tables are drawn at (the README's blocks read well at it).
COLUMNS = 120
#: Files and folders of the repository a tour command may name, linked into the scratch folder.
SHARED = ("scenarios", "tests", "pyproject.toml")


@dataclass(frozen=True)
class Block:
    """One tour block: the lines of its fenced body (between the fences) and its setup."""

    start: int  # index of the first body line in the document's lines
    end: int  # index of the closing fence
    setup: str | None
    commands: tuple[str, ...]
    spaced: tuple[bool, ...]  # a blank line before the command, kept as written


def blocks(lines: list[str]) -> list[Block]:
    """The tour blocks of a document, in order; a marker not followed by a ``text`` block is an error."""
    found = []
    for i, line in enumerate(lines):
        m = MARKER.match(line)
        if not m:
            continue
        if i + 1 >= len(lines) or lines[i + 1] != "```text":
            raise ValueError(f"line {i + 1}: a tour marker must be followed by a ```text block")
        end = next((j for j in range(i + 2, len(lines)) if lines[j] == "```"), None)
        if end is None:
            raise ValueError(f"line {i + 2}: the tour block is not closed")
        body = lines[i + 2 : end]
        at = [k for k, b in enumerate(body) if b.startswith("$ ")]
        commands = tuple(body[k][2:] for k in at)
        spaced = tuple(k > 0 and body[k - 1] == "" for k in at)
        if not commands:
            raise ValueError(f"line {i + 2}: a tour block needs at least one '$ ' command line")
        found.append(Block(start=i + 2, end=end, setup=m.group("setup"), commands=commands, spaced=spaced))
    return found


def shell(workdir: Path) -> Callable[[str], str]:
    """A runner of one command line in ``workdir`` with ``carbonsim`` being this checkout's CLI."""
    env = {
        **os.environ,
        "COLUMNS": str(COLUMNS),
        "CARBONSIM_TABLES": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        "NO_COLOR": "1",
        "TERM": "dumb",
    }
    prelude = f'carbonsim() {{ {shlex.quote(sys.executable)} -m sim.cli "$@"; }}\n'

    def run(command: str) -> str:
        done = subprocess.run(
            ["bash", "-c", prelude + command],
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        return "\n".join(line.rstrip() for line in done.stdout.rstrip("\n").splitlines())

    return run


def regenerate(text: str, run: Callable[[str], str]) -> str:
    """The document with every tour block's output replaced by what its commands print now."""
    lines = text.split("\n")
    out: list[str] = []
    pos = 0
    for b in blocks(lines):
        out.extend(lines[pos : b.start])
        if b.setup:
            run(b.setup)
        body: list[str] = []
        for command, spaced in zip(b.commands, b.spaced):
            if spaced:
                body.append("")
            body.append(f"$ {command}")
            printed = run(command)
            if printed:
                body.extend(printed.split("\n"))
        out.extend(body)
        pos = b.end
    out.extend(lines[pos:])
    return "\n".join(out)


def scratch(into: Path) -> None:
    """Link the repository's files a command may name into the scratch folder."""
    for name in SHARED:
        (into / name).symlink_to(ROOT / name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("readme", nargs="?", default=str(ROOT / "README.md"))
    parser.add_argument("--list", action="store_true", help="only list the tour blocks and their commands")
    args = parser.parse_args(argv)
    path = Path(args.readme)
    text = path.read_text(encoding="utf-8")
    if args.list:
        for b in blocks(text.split("\n")):
            print(f"line {b.start}: " + " ; ".join(b.commands))
        return 0
    with tempfile.TemporaryDirectory(prefix="carbonsim-tour-") as tmp:
        scratch(Path(tmp))
        new = regenerate(text, shell(Path(tmp)))
    if new != text:
        path.write_text(new, encoding="utf-8")
    print(f"{path}: {len(blocks(new.split(chr(10))))} tour blocks regenerated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
