"""Transit indicators for watched goods: the `trade_watch` view, filtered for `sanctrace trade-watch`.

Per source, transit reporter, goods and year: exports to Russia, the change on the year before, the
mirror figure (Russia's reported imports from that reporter, where any source holds it) and the
reporter's imports from the EU and from China. Every figure comes with its observation id, so
`sanctrace explain ID` traces it back to the document.

``eu_product_rows`` adds the EU side at product level (Comext, EUR; no view: a query over the
derived EU totals): the EU's exports of each watched code to each transit country by year, the
change since 2021, and beside them its exports of the same code to Russia.
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


# The EU side at product level (Comext): the EU's exports of each watched code to each transit
# country by year, with the change since 2021 (the last year before the invasion), and beside them
# its exports of the same code to Russia. Derived sums of the member states' rows, so each may be
# partial (':' cells, months not yet published): the flag travels with the figure.
EU = "AGG-EU27_2020"
BASE_YEAR = 2021
EU_IDS = (("eu", "eu_exports_obs_id"), ("eu2021", "base_2021_obs_id"), ("rus", "eu_to_rus_obs_id"),
          ("rus2021", "rus_base_2021_obs_id"))


def eu_product_rows(engine: Engine, hs_codes: Sequence[str], partners: Sequence[str]) -> list[dict[str, Any]]:
    """One row per watched code, transit partner and year the warehouse holds EU figures for."""
    with engine.connect() as conn:
        found = conn.execute(text("""
            SELECT o.id, o.source_id, s.partner, s.commodity, o.value, o.flags, o.period_start, o.period_end
            FROM observation o JOIN series s ON s.id = o.series_id
            WHERE o.superseded_at IS NULL AND s.indicator = 'trade_value' AND s.unit = 'EUR'
              AND s.geo = :eu AND s.flow = 'X'"""), {"eu": EU}).mappings().all()
    years = {}
    for r in found:
        start, end = str(r["period_start"]), str(r["period_end"])
        if start[5:] == "01-01" and end[5:] == "12-31" and start[:4] == end[:4] and r["commodity"] in hs_codes:
            years[(r["commodity"], r["partner"], int(start[:4]))] = r
    rows = []
    for (code, partner, year), r in sorted(years.items()):
        if partner == "RUS" or (partners and partner not in partners):
            continue
        base, rus = years.get((code, partner, BASE_YEAR)), years.get((code, "RUS", year))
        rus_base = years.get((code, "RUS", BASE_YEAR))
        rows.append({
            "source_id": r["source_id"], "commodity": code, "partner": partner, "year": year,
            "eu_exports_eur": r["value"], "eu_exports_obs_id": r["id"], "partial": "partial" in r["flags"].split(","),
            "change_since_2021_pct": _change(r, base), "base_2021_obs_id": base["id"] if base else None,
            "eu_to_rus_eur": rus["value"] if rus else None, "eu_to_rus_obs_id": rus["id"] if rus else None,
            "rus_change_since_2021_pct": _change(rus, rus_base),
            "rus_base_2021_obs_id": rus_base["id"] if rus_base else None,
        })
    return rows


def _change(row, base) -> float | None:
    if row is None or base is None or not base["value"]:
        return None
    return 100.0 * (row["value"] - base["value"]) / base["value"]


def eu_for_people(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{
        "goods": f"HS {r['commodity']}", "EU exports to": r["partner"], "year": r["year"],
        "EUR": r["eu_exports_eur"], "partial": "yes" if r["partial"] else "",
        "change since 2021 (%)": None if r["change_since_2021_pct"] is None else round(r["change_since_2021_pct"], 1),
        "EU exports to RUS (EUR)": r["eu_to_rus_eur"],
        "RUS change since 2021 (%)": None if r["rus_change_since_2021_pct"] is None
        else round(r["rus_change_since_2021_pct"], 1),
        "source": r["source_id"],
        "explain ids": " ".join(f"{label}={r[col]}" for label, col in EU_IDS if r[col] is not None),
    } for r in rows]
