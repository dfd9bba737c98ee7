"""An API key (the UN Comtrade subscription key) is sent, and nowhere else: not in logs, stored
headers, snapshot or fetch rows, stored bytes, error messages, reports or the options a flow logs."""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from extractors import unhcr
from extractors.base import FetchError
from sanctrace import pipeline
from sanctrace.settings import get_settings, reset_settings
from tests.faults import sources
from tests.faults.server import FaultServer

HEADER = "Ocp-Apim-Subscription-Key"


@pytest.fixture
def key(monkeypatch):
    secret = f"sk-{uuid.uuid4().hex}"
    monkeypatch.setenv("SANCTRACE_COMTRADE_KEY", secret)
    reset_settings()
    yield secret
    reset_settings()


def everything_stored(rt) -> str:
    with rt.engine.connect() as conn:
        rows = [conn.execute(text(f'SELECT * FROM "{table}"')).fetchall() for table in ("snapshot", "fetch")]
    files = [p.read_bytes().decode("latin-1") for p in Path(rt.store.root).rglob("*") if p.is_file()]
    return json.dumps([[list(map(str, r)) for r in t] for t in rows]) + "".join(files)


def test_the_key_comes_from_the_environment_and_prints_masked(key, rt):
    """Through the source's own declaration (SourceInfo.secrets), as every run prepares its options."""
    from extractors import comtrade
    from extractors.base import FetchOptions

    assert [(s.name, s.env, s.block) for s in comtrade.SOURCE.secrets] == [
        ("comtrade_key", "SANCTRACE_COMTRADE_KEY", "sanctrace-comtrade-key")]
    options = pipeline.prepare_options(rt, "un-comtrade", FetchOptions(), "replay")
    assert options.secrets["comtrade_key"].get_secret_value() == key
    assert isinstance(options.params, comtrade.Params)
    assert key not in repr(get_settings()) and key not in repr(options) and key not in str(options.secrets)
    assert key not in options.params.model_dump_json()


def test_the_key_is_sent_but_never_stored_logged_or_reported(key, rt, caplog):
    caplog.set_level(logging.DEBUG)
    srv = FaultServer().start()
    try:
        docs = sources.serve(srv, unhcr.SOURCE.id)
        live = pipeline.Runtime(sources.live_settings(rt.settings, srv), rt.engine, rt.store)
        client = pipeline._client(live, unhcr.SOURCE, "live")
        headers = {HEADER: key}
        client.get(docs[0].url, headers=headers)
        errors = []
        for fault in ([("status", 503)] * 5, [("redirect", "http://attacker.example/x")], [("empty",)]):
            srv.serve(docs[1].path, docs[1].body, docs[1].content_type, fault)
            with pytest.raises(FetchError) as error:
                client.get(docs[1].url, headers=headers)
            errors.append(str(error.value))
    finally:
        srv.stop()
    assert srv.requests[0]["headers"][HEADER] == key  # it is sent to the source's own host
    assert not any(HEADER in r["headers"] for r in srv.requests if "attacker" in r["path"])
    assert key not in everything_stored(rt)
    assert key not in caplog.text and all(key not in e for e in errors)
    report = pipeline.SourceReport(unhcr.SOURCE.id, "displacement", failures=errors)
    assert key not in json.dumps(report.as_dict())
