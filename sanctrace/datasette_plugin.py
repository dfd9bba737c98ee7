"""Datasette plugin: a provenance page per figure (`/-/explain/<id>`) and the stored documents.

The page shows the chain `sanctrace explain` prints (the same function, re-parse included), with
links to the stored document and to the publisher's URL. Values and explain columns link to it.
Registered through the `datasette` entry point in pyproject.toml.
"""

from __future__ import annotations

import asyncio
import html
import json
import sqlite3
from functools import lru_cache
from pathlib import Path
from typing import Any

import markupsafe
from datasette import hookimpl
from datasette.utils.asgi import Response
from sqlalchemy import Engine, create_engine

from extractors.snapshots import SnapshotStore

from sanctrace.explain import NotFound, explain, render
from sanctrace.pipeline import Runtime
from sanctrace.settings import get_settings

EXPLAIN_COLUMNS = ("explain", "explain_current")


@hookimpl
def register_routes():
    return [(r"^/-/explain/(?P<observation_id>\d+)$", explain_page),
            (r"^/-/document/(?P<sha256>[0-9a-f]{64})$", document)]


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if value is None:
        return None
    if column in EXPLAIN_COLUMNS or column.endswith("_obs_id"):
        return _link(f"/-/explain/{int(value)}", f"explain {value}")
    if table == "observation" and column == "value":
        return _link(f"/-/explain/{row['id']}", f"{value:,.10g}")
    if column == "document" and table is None:  # canned queries; a table's foreign key links to its row
        return _link(f"/-/document/{value}", f"{value[:12]}…")
    if table == "source" and column == "name":
        return _link(f"/{database}/current_figures?source={row['id']}", value)
    return None


def _link(href: str, label: str) -> markupsafe.Markup:
    return markupsafe.Markup('<a href="{}">{}</a>').format(href, label)


def _runtime(datasette) -> Runtime:
    """The warehouse being browsed (Datasette's database), opened read-only, with the snapshot store
    from the settings."""
    path = datasette.get_database().path
    settings = get_settings().model_copy(update={"warehouse_url": f"sqlite:///{path}"})
    store = SnapshotStore(settings.snapshot_store, settings.snapshot_store_options)
    return Runtime(settings, read_only_engine(path), store)


@lru_cache(maxsize=8)
def read_only_engine(path: str) -> Engine:
    """SQLite opened with mode=ro: the provenance page cannot write, nor take the write lock a loader
    needs (the warehouse's own engine begins every transaction with BEGIN IMMEDIATE)."""
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"
    return create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False))


async def explain_page(datasette, request):
    observation_id = int(request.url_vars["observation_id"])
    try:
        chain = await asyncio.to_thread(explain, _runtime(datasette), observation_id)
    except NotFound as exc:
        return Response.html(_page("Not found", f"<p>{html.escape(str(exc))}</p>"), status=404)
    return Response.html(_page(f"Figure {observation_id}", _chain_html(chain)))


async def document(datasette, request):
    """The stored bytes, as a download: a publisher's HTML must not run as this site's page."""
    sha = request.url_vars["sha256"]
    rt = _runtime(datasette)
    if not rt.store.exists(sha):
        return Response.text(f"no stored document {sha}", status=404)
    content = await asyncio.to_thread(rt.store.get, sha)
    return Response(content, content_type="application/octet-stream",
                    headers={"content-disposition": f'attachment; filename="{sha}"',
                             "x-content-type-options": "nosniff", "content-security-policy": "sandbox"})


def _chain_html(chain: dict[str, Any]) -> str:
    s, snap, source = chain["series"], chain.get("snapshot", {}), chain["source"]
    rows = [
        ("value", f'<span id="value">{chain["value"]:,.10g}</span> {_e(s["unit"])} ({_e(chain["method"])})'),
        ("published as", _e(chain["published_as"])),
        ("series", _e(" ".join(f"{k}={v}" for k, v in s.items() if v))),
        ("period", _e(" .. ".join(chain["period"]))),
        ("source", f'{_e(source["id"])}: {_e(source["publisher"])}, {_e(source["name"])}'),
        ("stored document", f'<a id="sha256" href="/-/document/{_e(snap.get("sha256"))}">{_e(snap.get("sha256"))}</a>'),
        ("publisher's URL", f'<a id="publisher-url" href="{_e(snap.get("url"))}">{_e(snap.get("url"))}</a>'),
        ("fetched", _e(f"{snap.get('fetched_at')} HTTP {snap.get('http_status')} {snap.get('content_type')}")),
        ("locator", _e(chain["locator"])), ("text there", _e(repr(chain.get("text_at_locator")))),
        ("parser", _e(f"version {chain['parser_version']} (current {chain.get('current_parser_version')})")),
        ("reproduced", _e("yes" if chain.get("reproduced") else f"NO (re-parse gives {chain.get('reparsed_value')})")),
    ]
    if chain["cites_url"]:
        rows.append(("cites", f'<a href="{_e(chain["cites_url"])}">{_e(chain["cites_url"])}</a>'))
    rows.append(("versions", " ".join(f'<a href="/-/explain/{v["id"]}">#{v["id"]} {v["value"]}</a>'
                                      for v in chain["versions"])))
    table = "".join(f"<tr><th>{name}</th><td>{cell}</td></tr>" for name, cell in rows)
    return (f"<table>{table}</table><h2>sanctrace explain {chain['observation_id']}</h2>"
            f"<pre>{_e(render(chain))}</pre><details><summary>JSON</summary>"
            f"<pre>{_e(json.dumps(chain, indent=2, default=str, ensure_ascii=False))}</pre></details>")


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{_e(title)}</title>'
            '<link rel="stylesheet" href="/-/static/app.css"></head><body><section class="content">'
            f'<p><a href="/">home</a> / <a href="/warehouse">warehouse</a></p><h1>{_e(title)}</h1>{body}'
            "</section></body></html>")


def _e(value: Any) -> str:
    return html.escape(str(value))
