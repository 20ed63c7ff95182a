"""Start-up time of the CLI: `carbonsim --help` and `carbonsim validate`, against a
reference checkout (the previous version) timed in the same script, on the same machine.

Each command runs in a fresh Python process, N times after one warm-up (so the OS file
cache is warm for both versions); the median wall time is reported.

Usage::

    git worktree add /tmp/carbonsim-ref 5a6e881
    python benchmarks/startup.py --reference /tmp/carbonsim-ref
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "carbonsim --help": ["--help"],
    "carbonsim validate scenarios/green.toml": ["validate", "scenarios/green.toml"],
}


def _median_seconds(tree: Path, args: list[str], repeats: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cmd = [sys.executable, "-m", "sim.cli", *args]
    subprocess.run(cmd, cwd=tree, env=env, capture_output=True, check=True)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=tree, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, help="a checkout of the previous version")
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    print(
        f"{date.today()}, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; median of {args.repeats} fresh processes"
    )
    print("| command | this version (s) | reference (s) | speed-up |\n|---|---|---|---|")
    for label, cli_args in COMMANDS.items():
        now = _median_seconds(ROOT, cli_args, args.repeats)
        if args.reference is None:
            print(f"| `{label}` | {now:.2f} | | |")
            continue
        ref = _median_seconds(args.reference.resolve(), cli_args, args.repeats)
        print(f"| `{label}` | {now:.2f} | {ref:.2f} | x{ref / now:.1f} |")


if __name__ == "__main__":
    main()
