"""Code tables that know which of their entries a run used, so a run reports the entries never used
(zavod's way: a table full of dead entries hides the one that is wrong).

Usage is tracked per run in a context variable: sources transformed side by side in threads each see
only their own lookups.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator, Mapping

_USED: ContextVar[dict[str, set[str]] | None] = ContextVar("sanctrace_code_table_usage", default=None)
TABLES: dict[str, "CodeTable"] = {}


class CodeTable:
    def __init__(self, name: str, entries: Mapping[str, str]):
        self.name, self.entries = name, dict(entries)
        TABLES[name] = self

    def get(self, key: str) -> str | None:
        code = self.entries.get(key)
        used = _USED.get()
        if code is not None and used is not None:
            used.setdefault(self.name, set()).add(key)
        return code


@contextmanager
def tracking() -> Iterator[dict[str, set[str]]]:
    used: dict[str, set[str]] = {}
    token = _USED.set(used)
    try:
        yield used
    finally:
        _USED.reset(token)


def unused_report(used: dict[str, set[str]], limit: int = 15) -> list[str]:
    """One line per table this run looked up in: its entries the run never used."""
    lines = []
    for name, keys in sorted(used.items()):
        idle = sorted(set(TABLES[name].entries) - keys)
        if idle:
            shown = ", ".join(repr(k) for k in idle[:limit]) + (f" (+{len(idle) - limit} more)" if len(idle) > limit else "")
            lines.append(f"code table {name!r}: {len(idle)} of {len(TABLES[name].entries)} entries never used: {shown}")
    return lines
