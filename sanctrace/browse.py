"""`sanctrace browse` / `make browse`: Datasette over the SQLite warehouse, read-only.

The metadata (what each table and column holds, units, each source's publisher, licence and landing
page) and the canned queries are built here from the warehouse's `source` table and the source
modules; the provenance page per figure is the project's plugin (`sanctrace.datasette_plugin`).
"""

from __future__ import annotations

import html
import json
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from extractors import registry

FIGURE_COLUMNS = (
    "o.id AS explain, o.value, s.unit, o.published_unit, o.period_start, o.period_end, s.indicator, s.geo, "
    "s.partner, s.commodity, s.flow, o.source_id, n.url AS document_url, n.fetched_at, o.vintage, o.flags, "
    "n.sha256 AS document")
FIGURES_FROM = ("FROM observation o JOIN series s ON s.id = o.series_id "
                "LEFT JOIN snapshot n ON n.id = o.snapshot_id")
QUERIES = {
    "current_figures": {
        "title": "Current figures of a source",
        "description": "Every current figure (superseded_at empty) of one source, e.g. kz-stat-trade; the "
                       "explain column opens the figure's provenance page.",
        "sql": f"SELECT {FIGURE_COLUMNS} {FIGURES_FROM} WHERE o.superseded_at IS NULL AND o.source_id = :source "
               "ORDER BY s.indicator, s.geo, s.partner, s.commodity, s.flow, o.period_end",
    },
    "revisions": {
        "title": "Revisions",
        "description": "Figures a later document changed: the superseded version beside the current one.",
        "sql": "SELECT old.id AS explain, old.value AS old_value, new.id AS explain_current, new.value AS new_value, "
               "s.unit, s.indicator, s.geo, s.partner, s.commodity, s.flow, old.period_start, old.period_end, "
               "old.source_id, old.superseded_at, old.vintage AS old_vintage, new.vintage AS new_vintage "
               "FROM observation old JOIN observation new ON new.series_id = old.series_id "
               "AND new.source_id = old.source_id AND new.period_start = old.period_start "
               "AND new.period_end = old.period_end AND new.superseded_at IS NULL "
               "JOIN series s ON s.id = old.series_id WHERE old.superseded_at IS NOT NULL "
               "ORDER BY old.source_id, s.geo, s.partner, s.flow, old.period_start",
    },
    "trade_watch": {
        "title": "Trade watch",
        "description": "Transit indicators (the trade_watch view) of one reporter, ISO alpha-3 (e.g. KAZ); "
                       "the *_obs_id columns open each figure's provenance page.",
        "sql": "SELECT * FROM trade_watch WHERE reporter = :reporter ORDER BY source_id, commodity, year",
    },
    "figures_of_document": {
        "title": "Figures of one document",
        "description": "Every figure read from one stored document, by its sha256.",
        "sql": f"SELECT {FIGURE_COLUMNS}, o.locator, o.superseded_at {FIGURES_FROM} "
               "WHERE n.sha256 = :sha256 ORDER BY o.locator",
    },
}
TABLES = {
    "source": ("One row per source: its publisher, licence, landing page and cadence. A source's name opens "
               "its current figures.", {
                   "id": "source id, as `sanctrace sources` lists it", "publisher": "who publishes the figures",
                   "homepage": "the publisher's landing page", "licence": "terms the figures are published under",
                   "cadence": "how often the publisher releases", "last_success_at": "last run that loaded it (UTC)"}),
    "snapshot": ("One stored document, named by the SHA-256 of its bytes.", {
        "sha256": "SHA-256 of the stored bytes (the document's name in the snapshot store)",
        "url": "the URL the bytes were fetched from (the publisher's document)",
        "fetched_at": "when it was fetched (UTC)", "size_bytes": "size of the stored bytes",
        "headers": "HTTP response headers kept (JSON)", "storage_uri": "where the bytes are stored"}),
    "fetch": ("Every request made or replayed, 304s and failures included.", {
        "mode": "live or replay", "not_modified": "1 where the publisher answered 304 Not Modified"}),
    "parseddocument": ("A document already parsed by a parser version: unchanged input is not parsed again.", {}),
    "series": ("A measured thing: indicator, place, partner, goods, flow and unit.", {
        "indicator": "what is measured, e.g. trade_value, idps, civilians_killed",
        "geo": "the place (ISO 3166 alpha-3; AGG-... for groups; UA-.. for Ukrainian oblasts); the reporter in trade",
        "partner": "trade partner or origin (ISO alpha-3; WLD the world)",
        "commodity": "HS code, or TOTAL for all goods", "flow": "X exports, M imports, T turnover",
        "unit": "unit of every value of the series (USD, EUR, persons, ...)"}),
    "observation": ("One version of a figure. The current version has superseded_at empty. A value opens its "
                    "provenance page.", {
                        "value": "the figure, in its series' unit", "period_start": "first day the figure covers",
                        "period_end": "last day it covers (a cut-off or update date for running totals)",
                        "method": "published (stated by the publisher) or derived (summed by sanctrace)",
                        "snapshot_id": "the stored document it was read from (its row in snapshot, with its sha256)",
                        "locator": "where in the document the value stands",
                        "raw": "the value as printed", "published_unit": "the unit as printed (e.g. thousand USD)",
                        "parser_version": "version of the parser that read it",
                        "superseded_at": "when a later version replaced it (revised, older release)",
                        "last_seen_at": "when a document last stated it; for a current figure, the later of this "
                                        "and its document's row in document_sighting",
                        "vintage": "release date of the document it came from",
                        "cites_url": "the primary release a secondary source quotes", "flags": "notes on the value"}),
    "document_sighting": ("When a source last found every current figure of a document in it: a current "
                          "figure was last seen at the later of this and its own last_seen_at.", {}),
    "derivation": ("Which observations a derived figure adds up.", {}),
    "notice": ("EU legal acts and press releases about sanctions.", {}),
    "designation": ("Entries of the EU consolidated sanctions list.", {}),
    "trade_watch": ("Current annual USD trade figures joined into transit indicators (exports to Russia, change "
                    "on the year, mirror figure, imports from the EU and China).", {}),
}
UNITS = {"snapshot": {"size_bytes": "byte"}, "parseddocument": {}}


def metadata(engine: Engine, database: str = "warehouse") -> dict[str, Any]:
    """Datasette names a database after its file (data/warehouse.db: "warehouse")."""
    sources = _sources(engine)
    tables = {name: {"description": desc, "columns": cols, **({"units": UNITS[name]} if UNITS.get(name) else {})}
              for name, (desc, cols) in TABLES.items()}
    return {
        "title": "sanctrace warehouse",
        "description": "Figures about Russia's war against Ukraine and the sanctions around it, each with its "
                       "provenance: open a figure's value for the chain back to the stored document.",
        "databases": {database: {"description_html": _sources_html(sources, database), "tables": tables,
                                    "queries": QUERIES}},
    }


def _sources(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(text("SELECT * FROM source ORDER BY id")).mappings()]
    modules = registry.modules()
    for row in rows:
        module = modules.get(row["id"])
        row["landing"] = list(module.SOURCE.landing_urls) if module else [row["homepage"]]
    return rows


def _sources_html(sources: list[dict[str, Any]], database: str) -> str:
    cells = "".join(
        f"<tr><td><a href=\"/{database}/current_figures?source={html.escape(s['id'])}\">{html.escape(s['id'])}</a>"
        f"</td><td>{html.escape(s['publisher'])}</td><td>{html.escape(s['licence'])}</td><td>"
        + " ".join(f'<a href="{html.escape(u)}">{html.escape(u)}</a>' for u in s["landing"]) + "</td></tr>"
        for s in sources)
    return ("<p>Sources: publisher, licence and landing page.</p><table><tr><th>source</th><th>publisher</th>"
            f"<th>licence</th><th>landing page</th></tr>{cells}</table>")


def sqlite_path(url: str) -> Path:
    """The warehouse file behind a SQLite URL; Datasette reads SQLite only."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        raise ValueError(f"Datasette browses a SQLite warehouse only, not {parsed.get_backend_name()}: export "
                         "one with `sanctrace export-sqlite FILE` and browse that")
    return Path(parsed.database)


def write_metadata(engine: Engine, path: Path, database: str = "warehouse") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(metadata(engine, database), indent=2, ensure_ascii=False), "utf-8")
    return path


def command(database: Path, metadata_path: Path, port: int, host: str = "127.0.0.1") -> list[str]:
    """The datasette command line. A mutable database is opened read-only by Datasette; the project's
    plugin is found through its `datasette` entry point."""
    return [sys.executable, "-m", "datasette", "serve", str(database), "--metadata", str(metadata_path),
            "--host", host, "--port", str(port), "--setting", "sql_time_limit_ms", "5000"]
