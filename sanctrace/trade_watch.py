"""Transit indicators for watched goods: the `trade_watch` view, filtered for `sanctrace trade-watch`.

Per source, transit reporter, goods and year: exports to Russia, the change on the year before, the
mirror figure (Russia's reported imports from that reporter, where any source holds it) and the
reporter's imports from the EU and from China. Every figure comes with its observation id, so
`sanctrace explain ID` traces it back to the document.
"""

from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import Engine, text

TOTAL = "TOTAL"  # publishers that give only all-goods totals
IDS = (("exports", "exports_obs_id"), ("previous", "previous_obs_id"), ("mirror", "mirror_obs_id"),
       ("eu", "imports_from_eu_obs_id"), ("chn", "imports_from_chn_obs_id"))  # label, view column


def watch_rows(engine: Engine, hs_codes: Sequence[str], reporters: Sequence[str]) -> list[dict[str, Any]]:
    """Rows of the view for the reporters, for the watched HS codes (a code matches its sub-headings);
    where a source gives a reporter only all-goods totals, those rows stand in."""
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(text(
            "SELECT * FROM trade_watch ORDER BY reporter, source_id, commodity, year")).mappings()]
    rows = [r for r in rows if not reporters or r["reporter"] in set(reporters)]
    watched = [r for r in rows if _watched(r["commodity"], hs_codes)]
    covered = {(r["source_id"], r["reporter"]) for r in watched}
    totals = [r for r in rows if r["commodity"] == TOTAL and (r["source_id"], r["reporter"]) not in covered]
    return sorted(watched + totals, key=lambda r: (r["reporter"], r["source_id"], r["commodity"], r["year"]))


def _watched(commodity: str, hs_codes: Sequence[str]) -> bool:
    return any(commodity.startswith(code) for code in hs_codes)


def for_people(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The printed table: one column per figure, the ids to explain in the last column."""
    return [{
        "reporter": r["reporter"], "goods": "all goods" if r["commodity"] == TOTAL else f"HS {r['commodity']}",
        "year": r["year"], "exports to RUS (USD)": r["exports_to_rus_usd"],
        "change on year (%)": None if r["yoy_change_pct"] is None else round(r["yoy_change_pct"], 1),
        "RUS imports, mirror (USD)": r["mirror_rus_imports_usd"],
        "imports from EU (USD)": r["imports_from_eu_usd"], "imports from CHN (USD)": r["imports_from_chn_usd"],
        "source": r["source_id"], "explain ids": _ids(r),
    } for r in rows]


def _ids(row: dict[str, Any]) -> str:
    return " ".join(f"{label}={row[column]}" for label, column in IDS if row[column] is not None)
