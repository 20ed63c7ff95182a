"""Shared test data: repo-local benchmark files and session-scoped instances.

Every path is relative to this file, so the tests run from any working directory and in
CI, where only the repository itself is checked out.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from optimizer.generate import paper_instance
from optimizer.solomon import read_solomon

# Every run in the tests (in this process, its workers and the CLI's subprocesses) checks each
# event the world writes as the public record() would, and its data against its declaration
# (sim.log.payloads): the fast write path may skip the checks only because the tests prove it safe.
os.environ.setdefault("CARBONSIM_CHECK_EVENTS", "1")

#: tests/data: Solomon and Gehring-Homberger files, and SINTEF best-known route sets.
DATA = Path(__file__).parent / "data"
SOLOMON = DATA / "solomon"
HOMBERGER = DATA / "homberger"
BKS = HOMBERGER / "bks_solutions"


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.txt"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise tests over the data files by argument name.

    ``solomon_path``: every Solomon file; ``homberger_path``: every Gehring-Homberger file;
    ``bks_path``: every best-known route set (named ``<instance>.<vehicles>_<distance>.txt``).
    """
    for arg, folder in (("solomon_path", SOLOMON), ("homberger_path", HOMBERGER), ("bks_path", BKS)):
        if arg in metafunc.fixturenames:
            files = _files(folder)
            assert files, f"no test data under {folder}"
            metafunc.parametrize(arg, files, ids=[p.stem for p in files])


@pytest.fixture(scope="session")
def data() -> Path:
    """The tests/data folder."""
    return DATA


@pytest.fixture(scope="session")
def r101():
    """Solomon R101 (100 customers, 25 vehicles of capacity 200, hard windows)."""
    return read_solomon(SOLOMON / "R101.txt")


@pytest.fixture(scope="session")
def c101():
    """Solomon C101 (100 customers, 25 vehicles of capacity 200, hard windows)."""
    return read_solomon(SOLOMON / "C101.txt")


@pytest.fixture(scope="session")
def paper30():
    """A generated paper-style instance: 30 customers, soft windows, congestion, 3 types."""
    return paper_instance(30, np.random.default_rng(2024))


@pytest.fixture(scope="session")
def paper60():
    """A generated paper-style instance of 60 customers."""
    return paper_instance(60, np.random.default_rng(60))
