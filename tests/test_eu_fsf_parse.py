"""EU FSF consolidated list (XML 1.1), read from the recorded real excerpt (export 171703, entity 13).

Larger, broken or hostile inputs are DERIVED from those real bytes in the test (see eu_fsf_build.py
for the large file: the real entity repeated with varied ids and programmes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import tracemalloc
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from tests import eu_fsf_build
from extractors import eu_fsf, locators
from extractors.base import Document, FetchOptions, LayoutChanged

REPLAY = Path(__file__).resolve().parent.parent / "replay" / "eu-fsf-consolidated"
MANIFEST = json.loads((REPLAY / "manifest.json").read_text())
ENTRY = MANIFEST["entries"][0]
CONTENT = (REPLAY / ENTRY["file"]).read_bytes()
OJ_URL = "http://eur-lex.europa.eu/LexUriServ/LexUriServ.do?uri=OJ:L:2003:169:0006:0023:EN:PDF"


def doc(content: bytes = CONTENT) -> Document:
    return Document.from_bytes("eu-fsf-consolidated", ENTRY["url"], content)


def test_entity_13_of_export_171703():
    parsed = eu_fsf.parse(doc())
    assert parsed.reference_date == date(2024, 12, 11)
    (d,) = parsed.designations
    assert (d.logical_id, d.regime, d.entity_type) == ("13", "IRQ", "person")
    assert d.name == "Saddam Hussein Al-Tikriti"
    assert d.eu_reference == ""  # this export carries no euReferenceNumber
    assert d.listed_on == date(2003, 7, 8)  # no designationDate: the listing regulation's publication
    assert d.legal_basis == "1210/2003 (OJ L169)"
    assert [a["wholeName"] for a in d.details["aliases"]] == ["Saddam Hussein Al-Tikriti", "Abu Ali", "Abou Ali"]
    assert d.details["aliases"][0]["gender"] == "M" and d.details["aliases"][2]["nameLanguage"] == "FR"
    assert d.details["citizenships"] == ["IQ"]
    assert d.details["birthdates"] == ["1937-04-28"]
    assert d.details["remarks"] == ["UNSC RESOLUTION 1483"]
    (reg,) = d.details["regulations"]
    assert reg == {"number_title": "1210/2003 (OJ L169)", "type": "regulation", "programme": "IRQ",
                   "publication_date": "2003-07-08", "entry_into_force": "2003-07-07", "logical_id": "348",
                   "url": OJ_URL, "celex": "32003R1210"}


def test_the_regulation_is_a_notice():
    (notice,) = eu_fsf.parse(doc()).notices
    assert (notice.id, notice.kind, notice.regime) == ("32003R1210", "legal_act", "IRQ")
    assert notice.published_on == date(2003, 7, 8)
    assert notice.oj_reference == "OJ L169" and notice.url == OJ_URL
    assert 'numberTitle="1210/2003 (OJ L169)"' in locators.resolve(CONTENT, notice.locator)


def test_figures_and_locators():
    parsed = eu_fsf.parse(doc())
    (record,) = parsed.records
    assert (record.indicator, record.geo, record.unit, record.value) == ("designations", "EU", "count", 1.0)
    assert (record.commodity, record.flow) == ("programme:IRQ", "subject:person")
    assert record.period_start == record.period_end == record.vintage == date(2024, 12, 11)
    assert {"global_file_id:171703", "generated_at:2024-12-11T21:24:35.826+01:00", "known_excerpt"} <= set(record.flags)
    assert locators.resolve(CONTENT, record.locator) == record.raw == "1"
    element = locators.resolve(CONTENT, parsed.designations[0].locator)
    assert element.startswith("<sanctionEntity") and 'logicalId="13"' in element


def test_check_minimum_exempts_only_the_recorded_excerpt():
    assert not eu_fsf.check([eu_fsf.parse(doc())]).failed
    same_but_not_the_excerpt = CONTENT.replace(b"<remark>", b"<remark> ", 1)  # one entity, other bytes
    failed = eu_fsf.check([eu_fsf.parse(doc(same_but_not_the_excerpt))]).failed
    assert failed == [f"list of 2024-12-11: at least {eu_fsf.MIN_ENTITIES} entities (1)"]


def test_check_wants_a_programme_and_a_name_for_every_entity():
    content = CONTENT.replace(b' programme="IRQ"', b"")
    head, entity, tail = eu_fsf_build.parts(content)
    start = entity.index(b"<nameAlias ")
    entity = entity[:start] + entity[entity.rindex(b"</nameAlias>") + len(b"</nameAlias>"):]
    parsed = eu_fsf.parse(doc(head + entity + tail))
    assert parsed.designations[0].regime == "" and parsed.designations[0].name == ""
    failed = eu_fsf.check([parsed]).failed
    assert "list of 2024-12-11: every entity has a regime (missing: 13)" in failed
    assert "list of 2024-12-11: every entity has a name (missing: 13)" in failed
    assert locators.resolve(doc(head + entity + tail).content, parsed.records[0].locator) == "1"


def test_odd_values_still_give_readable_locators():
    """Derived: a programme code with an apostrophe and a regulation without numberTitle."""
    content = CONTENT.replace(b'programme="IRQ"', b'programme="O\'X"')
    content = content.replace(b' numberTitle="1210/2003 (OJ L169)"', b"")
    parsed = eu_fsf.parse(doc(content))
    assert parsed.designations[0].regime == "O'X" and parsed.notices == []
    assert locators.resolve(content, parsed.records[0].locator) == parsed.records[0].raw == "1"


def test_streaming_a_large_file_built_from_the_real_entity():
    """The input is BUILT here: the real entity repeated 5,000 times (varied ids/programmes, ~14 MB).
    tracemalloc slows parsing about fivefold; the 55 MB file is measured in a fresh process below."""
    n = 5_000
    content = eu_fsf_build.build(n)
    assert len(content) > 12_000_000
    tracemalloc.start()
    try:
        parsed = eu_fsf.parse(doc(content))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(parsed.designations) == n
    assert len({d.logical_id for d in parsed.designations}) == n
    counts = {(r.commodity.split(":")[1], r.flow.split(":")[1]): r.value for r in parsed.records}
    assert counts == eu_fsf_build.expected_counts(n)
    assert sum(counts.values()) == n
    assert not eu_fsf.check([parsed]).failed
    # Python objects (the designations themselves included) stay below the input size x 1.5
    assert peak < 1.5 * len(content), f"tracemalloc peak {peak:,} for {len(content):,} bytes"


def test_streaming_keeps_the_tree_small_in_a_fresh_process():
    """RSS growth while parsing a BUILT 55 MB file: a whole lxml tree would add ~8x the input (measured)."""
    code = (
        "import resource, sys; sys.path[:0] = [%r, %r]\n"
        "from tests import eu_fsf_build; from extractors import eu_fsf; from extractors.base import Document\n"
        "data = eu_fsf_build.build(20000); before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "parsed = eu_fsf.parse(Document.from_bytes('eu-fsf-consolidated', 'built', data))\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(len(data), before * 1024, after * 1024, len(parsed.designations))\n"
    ) % (str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    size, before, after, n = (int(x) for x in out.stdout.split())
    assert n == 20_000
    assert after - before < 1.5 * size, f"RSS grew {after - before:,} bytes parsing {size:,}"


def xxe(content: bytes, secret_file: Path, where: str) -> bytes:
    """The real file with a DOCTYPE declaring an external entity to a local file, used at ``where``."""
    dtd = b'<!DOCTYPE export [<!ENTITY xxe SYSTEM "file://' + str(secret_file).encode() + b'">]>\n'
    content = content.replace(b"<export ", dtd + b"<export ", 1)
    if where == "text":
        return content.replace(b"UNSC RESOLUTION 1483", b"&xxe;")
    return content.replace(b'wholeName="Abu Ali"', b'wholeName="&xxe;"')


@pytest.mark.parametrize("where", ["text", "attribute"])
def test_external_entities_are_never_resolved(tmp_path, where):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-ON-DISK")
    with pytest.raises(LayoutChanged) as err:
        eu_fsf.parse(doc(xxe(CONTENT, secret, where)))
    assert "TOP-SECRET" not in str(err.value)
    assert "DOCTYPE" in str(err.value) or "well-formed" in str(err.value)


def test_the_external_entity_file_is_never_opened(tmp_path):
    """A FIFO as the entity's target: a writer thread learns whether anyone opened it for reading."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    opened = threading.Event()

    def writer() -> None:
        with open(fifo, "wb") as pipe:  # blocks until a reader opens the FIFO
            opened.set()
            pipe.write(b"TOP-SECRET-FROM-FIFO")

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    with pytest.raises(LayoutChanged) as err:
        eu_fsf.parse(doc(xxe(CONTENT, fifo, "text")))
    time.sleep(0.2)
    was_opened = opened.is_set()
    release = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # let the writer finish
    thread.join(5)
    os.close(release)
    assert not was_opened and "TOP-SECRET" not in str(err.value)


def test_internal_entities_are_refused_too():
    bomb = b'<!DOCTYPE export [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
    content = CONTENT.replace(b"<export ", bomb + b"<export ", 1).replace(b"UNSC RESOLUTION 1483", b"&b;")
    with pytest.raises(LayoutChanged, match="DOCTYPE"):
        eu_fsf.parse(doc(content))


@pytest.mark.parametrize("change,what", [
    (lambda c: c.replace(b' xmlns="http://eu.europa.ec/fpi/fsd/export"', b""), "root is .export., not"),
    (lambda c: c[: len(c) // 2], "well-formed"),
    (lambda c: c.replace(b' generationDate="2024-12-11T21:24:35.826+01:00"', b""), "generationDate"),
    (lambda c: c.replace(b' logicalId="13"', b""), "logicalId"),
    (lambda c: b"".join(eu_fsf_build.parts(c)[::2]), "no .*sanctionEntity"),
])
def test_broken_exports_are_layout_changed(change, what):
    with pytest.raises(LayoutChanged, match=what):
        eu_fsf.parse(doc(change(CONTENT)))


def regulation(**attributes: str):
    """The real regulation element of entity 13 with some attributes changed."""
    root = etree.fromstring(CONTENT, etree.XMLParser(resolve_entities=False, no_network=True))
    element = root.find(f".//{eu_fsf.NS}regulation")
    for key, value in attributes.items():
        element.set(key, value)
    return element


@pytest.mark.parametrize("attributes,expected", [
    ({}, "32003R1210"),
    ({"numberTitle": "269/2014 (OJ L78)", "publicationDate": "2014-03-17"}, "32014R0269"),
    ({"numberTitle": "2024/372 (OJ L18012024)", "regulationType": "amendment", "publicationDate": "2024-01-18"},
     "32024R0372"),
    ({"numberTitle": "2016/1990", "publicationDate": "2016-11-12"}, "32016R1990"),  # read by publication year
    ({"numberTitle": "2016/1990", "publicationDate": ""}, ""),  # ambiguous without a date
    ({"regulationType": "decision"}, ""),
    ({"numberTitle": "no number"}, ""),
])
def test_celex_from_a_regulation(attributes, expected):
    assert eu_fsf.celex(regulation(**attributes)) == expected


class Client:
    def __init__(self, answer: bytes = CONTENT):
        self.asked, self.answer = [], answer

    def has(self, url, params=None):
        return True

    def get(self, url, params=None):
        self.asked.append((url, params))
        return doc(self.answer)


def test_fetch_requests_the_recorded_url_and_takes_a_token_from_params():
    client = Client()
    params = eu_fsf.Params(**eu_fsf.replay_defaults(REPLAY.parent))
    list(eu_fsf.fetch(client, FetchOptions(params=params)))
    list(eu_fsf.fetch(client, FetchOptions(params=eu_fsf.Params(token="T"))))
    assert client.asked == [(ENTRY["url"], None), (eu_fsf.FULL_LIST_URL, {"token": "T"})]
    with pytest.raises(ValueError):
        eu_fsf.Params(fsf_token="T")  # the old extra key is refused, never silently ignored


def test_discovery_reads_the_feed_first_and_refuses_what_is_not_the_feed():
    """No FSF feed was ever recorded: the real excerpt given as the feed's answer must be refused."""
    client = Client()
    with pytest.raises(LayoutChanged, match="not the FSF RSS feed"):
        list(eu_fsf.fetch(client, FetchOptions()))
    assert client.asked == [("https://webgate.ec.europa.eu/fsd/fsf/public/rss", None)]
    assert eu_fsf.SOURCE.discovery.kind == "rss-feed" and eu_fsf.SOURCE.discovery.index_url == eu_fsf.FEED


def test_a_feed_without_the_xml_list_is_refused_naming_its_items():
    """A BUILT RSS 2.0 channel (refusal test) whose one item is another file of the FSF."""
    feed = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>FSF</title><item><title>CSV - v1.0</title>'
            b'<link>https://webgate.ec.europa.eu/fsd/fsf/public/files/csvFullSanctionsList/content?token=x</link>'
            b'</item></channel></rss>')
    with pytest.raises(LayoutChanged, match=r"announces no xmlFullSanctionsList_1_1 file \(items: \['CSV - v1.0'\]\)"):
        eu_fsf.parse(Document.from_bytes("eu-fsf-consolidated", eu_fsf.FEED, feed))


def test_what_the_parser_does_not_read_is_reported():
    unread = eu_fsf.parse(doc()).unread
    assert "sanctionEntity/regulation/@organisationType" in unread
    assert "sanctionEntity/birthdate/@city" in unread and "sanctionEntity/nameAlias/regulationSummary" in unread
    assert "sanctionEntity/@designationDetails" not in unread  # empty in the file: nothing left unread
    assert not any(u.endswith(("/@wholeName", "/@programme", "/@countryIso2Code", "/remark")) and "birthdate" not in u
                   for u in unread)
    derived = CONTENT.replace(b"<remark>", b'<address city="Baghdad"/><remark>', 1)  # an element it never reads
    assert "sanctionEntity/address" in eu_fsf.parse(doc(derived)).unread
