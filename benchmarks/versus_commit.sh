#!/usr/bin/env bash
# A scenario's run at an earlier commit against the working tree, alternating, in one script on
# one machine: the "previous version" ratio BENCHMARKS.md quotes for a speed-up or a slow-down.
#
#   bash benchmarks/versus_commit.sh REV [SCENARIO] [ROUNDS]
#
# REV is checked out in a temporary git worktree and run from there with `python -m sim.cli`
# (its own code, this machine's packages and numba cache); each round runs REV then the working
# tree, and prints each run's wall_seconds, events and kg CO2e per order.
set -euo pipefail
rev=${1:?usage: versus_commit.sh REV [SCENARIO] [ROUNDS]}
scenario=${2:-scenarios/baseline.toml}
rounds=${3:-2}
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'git -C "$here" worktree remove --force "$tmp/ref" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
git -C "$here" worktree add --detach "$tmp/ref" "$rev" >/dev/null 2>&1
for round in $(seq "$rounds"); do
  for side in "$rev" working-tree; do
    dir=$here
    [ "$side" = "$rev" ] && dir=$tmp/ref
    rm -f "$tmp/run.db"
    (cd "$dir" && python -m sim.cli run "$scenario" --db "$tmp/run.db" --json) |
      python -c "import json, sys; d = json.load(sys.stdin); print('round $round', '$side', round(d['wall_seconds'], 1), 's', d['events'], 'events', round(d['kg_co2e_per_order'], 4), 'kg/order')"
  done
done
