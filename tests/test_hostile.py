"""Hostile and malformed input: each fails with a clear error naming what was wrong, nothing loaded."""

import io
import json
import re
import zipfile
from datetime import date

import pytest
from sqlalchemy import func, select

from extractors import unhcr
from extractors.base import Document, FetchError, LayoutChanged
from extractors.client import ReplayClient
from extractors.guard import check, safe_parse
from extractors.numbers import parse_number
from extractors.snapshots import SnapshotStore
from sanctrace import pipeline, runs
from tests.conftest import replay_file
from transforms.common import ValidationFailed, records_frame, validate
from transforms.codes import country_code
from warehouse.models import Observation

SUB = replay_file(unhcr.SOURCE.id, "sublocation_widget283575_popgroups5459-5478_2022-08-05.json").read_bytes()


def doc(content: bytes) -> Document:
    return Document.from_bytes(unhcr.SOURCE.id, "https://data.unhcr.org/population/get/sublocation", content)


@pytest.mark.parametrize("text, decimal, expected", [
    ("8 836", ".", 8836.0), ("8,836", ".", 8836.0), ("8.836", ",", 8836.0), ("8\u00a0836", ".", 8836.0),
    ("1.2 million", ".", 1_200_000.0), ("8 836 тыс.", ".", 8_836_000.0), ("n/a", ".", None), ("-", ".", None),
    ("9091390.9169", ".", 9091390.9169), ("1,5", ",", 1.5), (498000, ".", 498000.0),
])
def test_numbers_in_every_format_sources_use(text, decimal, expected):
    assert parse_number(text, decimal) == expected


@pytest.mark.parametrize("text", ["8,83,6", "twelve", "1.2.3", "8 836 apples", True])
def test_garbage_is_not_a_number(text):
    with pytest.raises(ValueError, match="not a number"):
        parse_number(text)


def test_zip_bomb_is_refused_before_parsing():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 50_000_000)  # 50 MB of zeros -> ~50 KB
    with pytest.raises(LayoutChanged, match="zip bomb"):
        check(doc(buffer.getvalue()))


def test_billion_laughs_and_external_entities_are_refused():
    laughs = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><a>&lol2;</a>'
    external = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>'
    for content in (laughs, external):
        with pytest.raises(LayoutChanged, match="entities"):
            check(doc(content))


def test_non_utf8_text_where_utf8_is_declared():
    # Derived from the real bytes: one name re-encoded as Latin-1 (a single 0xFC byte for "ü").
    latin1 = SUB.replace(b'"Poland"', "\"Pol\u00fcnd\"".encode("latin-1"))
    assert latin1 != SUB
    with pytest.raises(LayoutChanged, match="not UTF-8"):
        safe_parse(unhcr, doc(latin1))


def records(changes: dict) -> list:
    parsed = unhcr.parse(doc(SUB)).records
    return [(r.__class__(**{**{f: getattr(r, f) for f in r.__slots__}, **changes}) if i == 3 else r, "0" * 64)
            for i, r in enumerate(parsed)]


@pytest.mark.parametrize("changes, message", [
    ({"period_start": date(1066, 10, 14), "period_end": date(1066, 10, 14)}, "period within"),
    ({"period_start": date(2999, 1, 1), "period_end": date(2999, 1, 1)}, "period within"),
    ({"value": -404839.0}, "counts >= 0"),
])
def test_implausible_dates_and_negative_counts_fail_with_the_locator(changes, message):
    frame = records_frame(unhcr.SOURCE.id, records(changes), geo=country_code, partner=country_code)
    with pytest.raises(ValidationFailed) as error:
        validate(unhcr.SOURCE.id, frame)
    assert message in str(error.value) and "json:/data/3/individuals" in str(error.value)


def test_an_unknown_country_name_fails_with_name_and_locator():
    with pytest.raises(ValidationFailed, match="Atlantis.*json:/data/3/individuals"):
        records_frame(unhcr.SOURCE.id, records({"geo": "Atlantis"}), geo=country_code)


def test_path_traversal_in_a_replay_manifest_is_refused(tmp_path):
    folder = tmp_path / unhcr.SOURCE.id
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"entries": [
        {"url": "https://data.unhcr.org/x", "file": "../../../../etc/passwd"}]}))
    with pytest.raises(FetchError, match="outside its folder"):
        ReplayClient(unhcr.SOURCE, tmp_path, SnapshotStore(tmp_path / "s"), [].append)


def test_a_request_missing_from_the_archive_names_the_url(tmp_path):
    client = ReplayClient(unhcr.SOURCE, replay_file("x", "").parent.parent, SnapshotStore(tmp_path), [].append)
    with pytest.raises(FetchError, match="https://data.unhcr.org/population/get/nothing"):
        client.get("https://data.unhcr.org/population/get/nothing")


def test_a_hostile_document_loads_nothing(rt, monkeypatch):
    monkeypatch.setattr(unhcr, "parse", lambda d: (_ for _ in ()).throw(LayoutChanged(d.source_id, d.url, "x")))
    report = runs.run_source(rt, unhcr.SOURCE.id)
    assert not report.ok and "layout changed" in report.failures[0]
    with rt.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Observation)).scalar_one() == 0


# Hostile answers from a real server on 127.0.0.1, through the whole pipeline: a clear error, nothing loaded.
GIB = 1024 ** 3


def _sub_with(**changes) -> bytes:
    """The recorded sublocation document with one country's entry changed (derived from the real bytes)."""
    body = json.loads(SUB)
    body["data"][3].update(changes)
    return json.dumps(body).encode()


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 20_000_000)
    return buffer.getvalue()


HOSTILE = {
    "billion laughs": (("body", b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;'
                                b'&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><l>&c;</l>'),
                       "entities"),
    "external entity": (("body", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                                 b"<x>&e;</x>"), "entities"),
    "zip bomb": (("body", _zip_bomb()), "zip bomb"),
    "1 GB response, length declared": (("huge_declared", GIB), "over the cap"),
    "1 GB response, streamed": (("huge", GIB), "over the cap"),
    "non-UTF-8 where UTF-8 is declared": (("body", SUB.replace(b'"Poland"', '"Pol\u00fcnd"'.encode("latin-1"))),
                                          "not UTF-8"),
    # UNHCR's own check (countries add up to the timeseries) may catch a changed count first.
    "negative count": (("body", _sub_with(individuals=-404839)), "counts >= 0|countries sum"),
    "date outside the plausible range": (("body", _sub_with(date="1066-10-14")), "period within|countries sum"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_answer_fails_clearly_and_loads_nothing(name, rt):
    from tests.faults import sources
    from tests.faults.server import FaultServer

    fault, words = HOSTILE[name]
    srv = FaultServer().start()
    try:
        first = sources.documents(unhcr.SOURCE.id)[0]
        sources.serve(srv, unhcr.SOURCE.id, {first.url: [fault] * 5})
        live = pipeline.Runtime(sources.live_settings(rt.settings, srv, max_response_bytes=20 * 1024 * 1024),
                                rt.engine, rt.store)
        report = runs.run_source(live, unhcr.SOURCE.id, mode="live")
    finally:
        srv.stop()
    assert not report.ok and unhcr.SOURCE.id in report.failures[0], report.failures
    assert re.search(words, report.failures[0]), report.failures
    with rt.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Observation)).scalar_one() == 0


def test_a_url_pointing_at_another_private_address_is_refused(rt):
    """Only the test server's own address is let through; a source host mapped elsewhere private is not."""
    from tests.faults.server import FaultServer
    from tests.faults import sources

    srv = FaultServer().start()
    try:
        settings = sources.live_settings(rt.settings, srv)
        settings = settings.model_copy(update={"host_map": {**settings.host_map, "data.unhcr.org": "10.0.0.7:80"}})
        report = runs.run_source(pipeline.Runtime(settings, rt.engine, rt.store), unhcr.SOURCE.id, mode="live")
    finally:
        srv.stop()
    assert not report.ok and "private or loopback" in report.failures[0] and not srv.requests
