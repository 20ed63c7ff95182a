"""Every algorithm of the router's registry can be a simulation's routing policy (issue 12, item 5)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.log.eventlog import EventLog


@pytest.mark.parametrize("name", ["nsga2", "mopso", "moaco"])
def test_every_algorithm_can_be_a_simulation_policy(name, tmp_path, tiny):
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        tiny("routing.iterations=2", "routing.population=6", "routing.time_limit=0", "demand.orders_per_day=30").to_toml()
    )
    res = CliRunner().invoke(
        main, ["run", str(scenario), "--db", str(tmp_path / "r.db"), "--json", "--set", f"routing.policy={name}"]
    )
    assert res.exit_code == 0, res.output
    with EventLog.open_existing(tmp_path / "r.db") as log:
        waves = log.events(1, type="wave_planned")
    assert waves and {w.data["algorithm"] for w in waves} == {name}
