"""The installed carbonsim version, without importing anything heavy (the CLI's --version)."""

from __future__ import annotations


def package_version() -> str:
    """The installed carbonsim version (``0+unknown`` in a source tree never installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("carbonsim")
    except PackageNotFoundError:  # running from a source tree
        return "0+unknown"
