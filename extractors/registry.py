"""The list of source modules. Each declares SOURCE, fetch(), parse() and check()."""

from __future__ import annotations

import importlib
from types import ModuleType

SOURCE_MODULES = (
    "extractors.unhcr",
    "extractors.iom_dtm",
    "extractors.ohchr",
    "extractors.eu_council",
    "extractors.eu_fsf",
    "extractors.eu_oj",
    "extractors.kz_stat",
    "extractors.kg_stat",
    "extractors.kz_taldau",
    "extractors.uz_stat",
    "extractors.comtrade",
    "extractors.eurostat_comext",
    "extractors.eurostat_sdmx",
)


def modules() -> dict[str, ModuleType]:
    found = {}
    for name in SOURCE_MODULES:
        module = importlib.import_module(name)
        found[module.SOURCE.id] = module
    return found


def get(source_id: str) -> ModuleType:
    known = modules()
    if source_id not in known:
        raise KeyError(f"unknown source {source_id!r}; known: {', '.join(sorted(known))}")
    return known[source_id]


def by_family(family: str) -> list[ModuleType]:
    return [m for m in modules().values() if m.SOURCE.family == family]


def families() -> list[str]:
    return sorted({m.SOURCE.family for m in modules().values()})
