"""What is wrong with a scenario: one :class:`Problem` per field, gathered in one :class:`ScenarioError`."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sim.errors import CarbonsimError
from sim.scenario.toml_text import is_tomlable, plain, toml_value

MISSING = object()


Path_ = tuple[str | int, ...]


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where (a dotted path), the value, and what is allowed."""

    path: Path_
    message: str
    value: Any = MISSING
    source: str | None = None

    def prefixed(self, prefix: Path_) -> Problem:
        return dataclasses.replace(self, path=tuple(prefix) + tuple(self.path))

    def render(self) -> str:
        head = f"{self.source}: " if self.source else ""
        if not self.path:
            return f"{head}{self.message}"
        shown = "" if self.value is MISSING else f" = {_show(self.value)}"
        return f"{head}{_dotted(self.path)}{shown}: {self.message}"


class ScenarioError(CarbonsimError, ValueError):
    """A scenario file, an override or a field value is invalid.

    ``str(error)`` has one line per problem, each naming the file (or ``--set``), the dotted
    field, the bad value and what is allowed. ``error.problems`` holds them as data.
    """

    def __init__(self, message: str | None = None, problems: Sequence[Problem] = ()) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if message is None:
            message = "\n".join(p.render() for p in self.problems)
        super().__init__(message)

    @classmethod
    def of(cls, problems: Iterable[Problem], source: str | None = None) -> ScenarioError:
        ps = [p if p.source or source is None else dataclasses.replace(p, source=source) for p in problems]
        return cls(None, ps)


def _show(value: Any, limit: int = 80) -> str:
    """A value as it would be written in TOML, shortened for messages."""
    text = toml_value(plain(value)) if is_tomlable(value) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
