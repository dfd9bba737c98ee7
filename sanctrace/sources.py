"""What `sanctrace sources` shows of each source: who publishes it, how it discovers new documents,
the hosts its live path may reach, and how far that live path was checked against real documents."""

from __future__ import annotations

from typing import Any

from extractors import registry
from extractors.base import LIVE_DECLARED, SourceInfo


def source_rows(last_success: dict[str, str]) -> list[dict[str, Any]]:
    return [_row(m.SOURCE, last_success.get(m.SOURCE.id)) for m in registry.modules().values()]


def _row(s: SourceInfo, last: str | None) -> dict[str, Any]:
    d = s.discovery
    return {"id": s.id, "family": s.family, "publisher": s.publisher, "cadence": s.cadence,
            "discovery": d.kind if d else "none", "index_url": d.index_url if d else "",
            "live_hosts": list(s.hosts), "live_status": d.status if d else LIVE_DECLARED,
            "discovery_note": d.note if d else "no discovery declared", "parser": s.parser_version,
            "last_success": last}
