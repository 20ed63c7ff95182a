"""The README's command tour (sim/cli/tour.py): its blocks, its generator, and that the run
table it shows is the KPI registry's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.analysis.kpis import GROUPS, KPIS
from sim.cli.tour import blocks, regenerate, scratch, shell

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _block_of(command_prefix: str) -> list[str]:
    lines = README.split("\n")
    for b in blocks(lines):
        if b.commands[0].startswith(command_prefix):
            return lines[b.start : b.end]
    raise AssertionError(f"no tour block starts with {command_prefix!r}")


def test_the_readme_tour_covers_the_commands_users_run_first():
    firsts = [b.commands[0].split()[1] for b in blocks(README.split("\n")) if b.commands[0].startswith("carbonsim ")]
    for command in ("run", "check", "compare", "sweep", "events", "trace", "report", "footprint", "validate"):
        assert command in firsts, f"the tour has no generated block for carbonsim {command}"


def test_the_run_table_in_the_readme_is_the_registrys_rows_in_its_order():
    rows = [m.group(1).strip() for line in _block_of("carbonsim run") if (m := re.match(r"│ (.+?)│", line))]
    labels = {k.label: k for k in KPIS}
    group_at = [r for r in rows if r in GROUPS]
    assert group_at == [g for g in GROUPS if g in group_at] and len(group_at) >= 4
    order = [k.label for k in KPIS]
    shown = [r for r in rows if r not in GROUPS and r]
    unknown = [r for r in shown if r not in labels]
    assert not unknown, f"README run table rows not in the KPI registry: {unknown} (regenerate: python -m sim.cli.tour)"
    positions = [order.index(r) for r in shown]
    assert positions == sorted(positions), "README run table rows are not in the registry's order"
    # every KPI that every run shows is in the table
    always = [k.label for k in KPIS if not k.optional]
    assert set(always) <= set(shown), f"missing from the README run table: {sorted(set(always) - set(shown))}"


def test_markers_must_precede_a_text_block_with_commands():
    with pytest.raises(ValueError, match="followed by a ```text block"):
        blocks(["<!-- tour -->", "```json", "{}", "```"])
    with pytest.raises(ValueError, match="at least one"):
        blocks(["<!-- tour -->", "```text", "no command", "```"])
    with pytest.raises(ValueError, match="not closed"):
        blocks(["<!-- tour -->", "```text", "$ true"])


def test_regenerate_replaces_only_marked_blocks_with_real_output(tmp_path):
    doc = "\n".join(
        [
            "intro",
            "<!-- tour: setup printf '[routing]\\npolcy = 1\\n' > bad.toml -->",
            "```text",
            "$ carbonsim validate scenarios/baseline.toml",
            "stale output",
            "",
            "$ carbonsim validate bad.toml",
            "```",
            "```text",
            "$ carbonsim run never-run.toml",
            "left as written",
            "```",
        ]
    )
    scratch(tmp_path)
    new = regenerate(doc, shell(tmp_path)).split("\n")
    assert new[0] == "intro" and "stale output" not in new
    assert new[3] == "$ carbonsim validate scenarios/baseline.toml"
    assert new[4] == "scenarios/baseline.toml: valid"
    bad = new.index("$ carbonsim validate bad.toml")
    assert new[bad - 1] == "", "the blank line before a command is kept"
    assert "routing.polcy: unknown field (did you mean 'policy'?)" in new[bad + 1]
    assert new[-3:] == ["$ carbonsim run never-run.toml", "left as written", "```"]
