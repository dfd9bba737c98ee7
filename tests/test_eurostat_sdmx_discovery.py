"""eurostat-sdmx: discovery from Eurostat's table of contents at two real dates (April and August 2023),
the recorded "too large" answers (footer code 413) recognised and never loaded, and the paths built
from Eurostat's API documentation (HTTP 413 narrowing, asynchronous delivery) tested up to the requests
they make. Runs on SQLite and PostgreSQL through the pipeline, with replay archives built in tmp_path."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from extractors import eurostat_sdmx as es, eurostat_toc as toc, sdmx
from extractors.base import Document, FetchError, FetchOptions, LayoutChanged
from extractors.discovery import DiscoveryLog
from sanctrace import pipeline, runs
from tests.conftest import REPLAY

SRC = "eurostat-sdmx"
TOC_DIR = REPLAY / SRC
APRIL = TOC_DIR / "toc-2023-04" / "table_of_contents_en_2023-04.txt"  # not in the manifest: tests only
AUGUST = TOC_DIR / "table_of_contents_en_2023-08.txt"
GDP_FILE = "estat_sdmx21_NAMA_10_GDP_LU_B1GQ_CP_MEUR_2012-2015_structurespecific.xml"
GDP_URL = es.RECORDED_GDP.url()
FOOTERS = {  # file -> (dataset, the file URL its footer names)
    "sdmx-test-data_footer2.xml": ("nama_10_gdp", "http://ec.europa.eu/eurostat/SDMX/diss-web/file/7JUdWyAy4fmjBSWT"),
    "sdmx-test-data_footer.xml": ("apro_mk_pobta", "http://ec.europa.eu/eurostat/SDMX/diss-web/file/wHsvjs7hQCy7Dqf4"),
}
FOLLOWED = [es.RECORDED_GDP, *es.DEFAULT_DATASETS, es.Query(dataset="migr_resbc3", key="A.....")]


def toc_doc(path: Path) -> Document:
    return Document.from_bytes(SRC, toc.URL, path.read_bytes())


@pytest.fixture(scope="module")
def tocs() -> dict[str, dict[str, toc.Entry]]:
    return {"04": toc.read(toc_doc(APRIL)), "08": toc.read(toc_doc(AUGUST))}


def test_the_two_tables_of_contents_exactly(tocs):
    april, august = tocs["04"], tocs["08"]
    assert (len(april), len(august)) == (7088, 6953)  # datasets and tables, each code once
    assert max(e.last_update for e in april.values()) == date(2023, 4, 25)
    assert max(e.last_update for e in august.values()) == date(2023, 8, 22)
    row = lambda e: (e.last_update, e.data_start, e.data_end)  # noqa: E731
    assert row(april["ext_st_eu27_2020sitc"]) == (date(2023, 4, 20), "2002M01", "2023M02")
    assert row(april["migr_asytpfm"]) == (date(2023, 4, 25), "2022M03", "2023M03")
    assert row(april["nama_10_gdp"]) == (date(2023, 4, 24), "1975", "2022")
    assert april["ei_bsco_m"].last_update == date(2023, 3, 30)
    assert row(august["ext_st_eu27_2020sitc"]) == (date(2023, 8, 17), "2002M01", "2023M06")
    assert row(august["migr_asytpfm"]) == (date(2023, 8, 11), "2022M03", "2023M07")
    assert august["ei_bsco_m"].last_update == date(2023, 7, 28)
    assert august["nama_10_gdp"].last_update == date(2023, 8, 16)
    assert april["nama_10_gdp"].locator == "csv:row=59;col=last update of data"
    parsed = es.parse(toc_doc(AUGUST))
    assert parsed.records == [] and parsed.unread == ["values"]


def test_only_the_datasets_whose_date_moved_are_fetched_again(tocs):
    def candidates(entries):
        return [es._candidate(q, entries[q.dataset.lower()]) for q in FOLLOWED]

    first = DiscoveryLog()
    first.select(candidates(tocs["04"]))
    known = {c.key: c.version for c in first.discovered}
    later = DiscoveryLog(known=known)
    chosen = later.select(candidates(tocs["08"]))
    assert sorted(c.dataset for c in chosen) == ["ext_st_eu27_2020sitc", "migr_asytpfm", "nama_10_gdp"]
    assert later.counts() == {"discovered": 4, "new": 0, "changed": 3, "known": 1, "no_copy": 0}
    assert later.skipped == ["migr_resbc3/A....."]  # 06.12.2021 in both files
    gdp = next(c for c in later.discovered if c.dataset == "nama_10_gdp")
    assert (gdp.version, gdp.url, gdp.release_date) == ("2023-08-16", GDP_URL, date(2023, 8, 16))
    assert (gdp.period_start, gdp.period_end) == (date(1975, 1, 1), date(2022, 12, 31))
    migr = next(c for c in later.discovered if c.dataset == "migr_asytpfm")
    assert (migr.period_start, migr.period_end, migr.version) == (date(2022, 3, 1), date(2023, 7, 31), "2023-08-11")


def archive(tmp_path: Path, name: str, toc_file: Path) -> Path:
    folder = tmp_path / name / SRC
    folder.mkdir(parents=True)
    shutil.copy(toc_file, folder / toc_file.name)
    shutil.copy(TOC_DIR / GDP_FILE, folder / GDP_FILE)
    entries = [{"url": GDP_URL, "file": GDP_FILE, "content_type": "application/xml"},
               {"url": toc.URL, "file": toc_file.name, "content_type": "text/plain"}]
    (folder / "manifest.json").write_text(json.dumps({"source": SRC, "entries": entries}))
    return tmp_path / name


def run(settings, folder: Path):
    rt = pipeline.runtime(settings.model_copy(update={"replay_archive": folder}))
    pipeline.register_sources(rt)
    return rt, runs.run_source(rt, SRC, mode="replay", params={"datasets": [q.model_dump() for q in FOLLOWED]})


def test_a_run_on_each_date_fetches_what_moved(settings, tmp_path, tocs):
    april, august = archive(tmp_path, "april", APRIL), archive(tmp_path, "august", AUGUST)
    rt, first = run(settings, april)
    assert first.ok, first.failures
    assert first.discovery == {"again_keys": [], "discovered": 4, "new": 4, "changed": 0, "known": 0, "no_copy": 3,
                               "no_copy_keys": ["migr_asytpfm/M.PER.UA.T.TOTAL.",
                                                "ext_st_eu27_2020sitc/M.TRD_VAL.TOTAL.RU+KZ+KG+AM+GE+UZ+TR+AE+CN.EXP.EU27_2020",
                                                "migr_resbc3/A....."]}
    assert first.new == 4 and first.unread == ["values"]
    _, again = run(settings, april)  # same table of contents: the GDP query is known, not fetched
    assert again.ok and again.discovery["known"] == 1 and again.discovery["new"] == 3 and again.new == 0
    _, later = run(settings, august)  # its "last update of data" moved from 24.04 to 16.08.2023
    assert later.ok, later.failures
    assert later.discovery["changed"] == 1 and later.discovery["known"] == 0 and later.discovery["no_copy"] == 3
    assert later.new == 0 and later.unchanged == 4  # the same recorded bytes: re-read, nothing new
    with rt.engine.connect() as conn:
        rows = conn.execute(text('SELECT "key", version, dataset FROM discovered_document WHERE source_id = :s'),
                            {"s": SRC}).all()
    assert [tuple(r) for r in rows] == [("nama_10_gdp/A.CP_MEUR.B1GQ.LU", "2023-08-16", "nama_10_gdp")]


@pytest.mark.parametrize("name", sorted(FOOTERS))
def test_the_recorded_too_large_answers_are_recognised_never_loaded(name):
    dataset, file_url = FOOTERS[name]
    doc = Document.from_bytes(SRC, f"{es.API}/{dataset}/x", (TOC_DIR / "too-large" / name).read_bytes())
    found = sdmx.answer(doc)
    assert isinstance(found, sdmx.TooLarge) and found.file_url == file_url
    assert "Please check the location periodic every 5 minutes" in found.text
    with pytest.raises(sdmx.QueryTooLarge, match=f"footer code 413.*{file_url}"):
        es.parse(doc)


class Stub:
    """Answers from a table: URL -> bytes or an exception; remembers every request."""

    def __init__(self, answers: dict[str, bytes | Exception], default: Exception | None = None):
        self.answers, self.default, self.asked = answers, default, []

    def get(self, url, params=None, headers=None):
        self.asked.append(url)
        answer = self.answers.get(url, self.default or FetchError(SRC, url, "HTTP 404 after retries"))
        if isinstance(answer, Exception):
            raise answer
        return Document.from_bytes(SRC, url, answer)

    def has(self, url, params=None):
        return True


def test_the_older_services_file_url_is_requested():
    footer = (TOC_DIR / "too-large" / "sdmx-test-data_footer2.xml").read_bytes()
    client = Stub({toc.URL: AUGUST.read_bytes(), GDP_URL: footer})
    options = FetchOptions(params=es.Params(datasets=[es.RECORDED_GDP]))
    docs = list(es.fetch(client, options))
    assert [d.url for d in docs] == [toc.URL]  # the footer is never yielded as a document with no data
    assert client.asked == [toc.URL, GDP_URL, FOOTERS["sdmx-test-data_footer2.xml"][1]]
    assert "7JUdWyAy4fmjBSWT: [eurostat-sdmx] could not fetch" in options.failures[0]


def too_big(url: str) -> FetchError:
    return FetchError(SRC, url, "HTTP 413 after retries")


def test_http_413_narrows_the_query_by_period_then_by_partner():
    """Today's API refuses a too-large extraction with HTTP 413: each narrower query is requested."""
    query = es.DEFAULT_DATASETS[1]
    asked = []

    class Refusing(Stub):
        def get(self, url, params=None, headers=None):
            if url == toc.URL:
                return super().get(url)
            asked.append(url)
            raise too_big(url)

    options = FetchOptions(params=es.Params(datasets=[query]))
    assert [d.url for d in es.fetch(Refusing({toc.URL: AUGUST.read_bytes()}), options)] == [toc.URL]
    assert asked[0] == query.url()  # startPeriod 2021-01, to the table of contents' data end 2023M06
    periods = {(u.split("startPeriod=")[1].split("&")[0], u.split("endPeriod=")[1]) for u in asked[1:]}
    assert periods == {("2021", "2022"), ("2021", "2021"), ("2022", "2022"), ("2023", "2023")}
    single = [u for u in asked if ".RU.EXP." in u or ".KZ.EXP." in u]
    assert len(single) == 6  # Russia and Kazakhstan alone, for each of the three years
    assert len(asked) == 1 + 2 + 2 + 9 * 3 and len(options.failures) == 9 * 3
    assert all("HTTP 413" in f for f in options.failures)


def test_an_asynchronous_answer_is_followed_never_loaded():
    """Built from Eurostat's "Asynchronous API" page (no answer was recorded): the key is taken to the
    async status endpoint; while the extraction is not AVAILABLE the dataset is reported as pending."""
    envelope = (b'<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>'
                b'<ns0:asyncResponse xmlns:ns0="http://estat.ec.europa.eu/disschain/soap/asynchronous">'
                b'<status><key>3c1f0b7e-test</key><status>SUBMITTED</status></status>'
                b'</ns0:asyncResponse></S:Body></S:Envelope>')
    status = envelope.replace(b"SUBMITTED", b"PROCESSING")
    client = Stub({toc.URL: AUGUST.read_bytes(), GDP_URL: envelope, f"{es.ASYNC}/status/3c1f0b7e-test": status})
    options = FetchOptions(params=es.Params(datasets=[es.RECORDED_GDP]))
    assert [d.url for d in es.fetch(client, options)] == [toc.URL]
    assert client.asked[-1] == f"{es.ASYNC}/status/3c1f0b7e-test"
    assert "preparing it asynchronously (key 3c1f0b7e-test, status PROCESSING)" in options.failures[0]
    assert options.discovery.fetched == []  # stays unknown: the next run asks again
    with pytest.raises(sdmx.QueryTooLarge, match="asynchronously"):
        es.parse(Document.from_bytes(SRC, GDP_URL, envelope))
    available = envelope.replace(b"SUBMITTED", b"AVAILABLE")
    data = (TOC_DIR / GDP_FILE).read_bytes()
    client = Stub({toc.URL: AUGUST.read_bytes(), GDP_URL: available, f"{es.ASYNC}/data/3c1f0b7e-test": data})
    docs = list(es.fetch(client, FetchOptions(params=es.Params(datasets=[es.RECORDED_GDP]))))
    assert [d.url for d in docs] == [toc.URL, f"{es.ASYNC}/data/3c1f0b7e-test"]


def test_a_followed_dataset_missing_from_the_contents_is_reported():
    client = Stub({toc.URL: AUGUST.read_bytes()})
    options = FetchOptions(params=es.Params(datasets=[es.Query(dataset="no_such_set")]))
    assert [d.url for d in es.fetch(client, options)] == [toc.URL]
    assert options.failures == [f"no_such_set: not in Eurostat's table of contents ({toc.URL})"]


def test_a_changed_table_of_contents_fails_naming_the_line():
    broken = AUGUST.read_bytes().replace(b'"16.08.2023"', b'"2023-08-16"', 1)
    with pytest.raises(LayoutChanged, match="nama_10_gdp date '2023-08-16' is not dd.mm.yyyy"):
        toc.read(Document.from_bytes(SRC, toc.URL, broken))
    with pytest.raises(LayoutChanged, match="header"):
        toc.read(Document.from_bytes(SRC, toc.URL, b'"name"\t"id"\n'))


def test_default_queries_are_documented_sdmx_2_1_data_queries():
    assert [q.url() for q in es.DEFAULT_DATASETS] == [
        f"{es.API}/MIGR_ASYTPFM/M.PER.UA.T.TOTAL.?format=SDMX_2.1_STRUCTURED&startPeriod=2022-03",
        f"{es.API}/EXT_ST_EU27_2020SITC/M.TRD_VAL.TOTAL.RU+KZ+KG+AM+GE+UZ+TR+AE+CN.EXP.EU27_2020"
        "?format=SDMX_2.1_STRUCTURED&startPeriod=2021-01"]
    assert GDP_URL == f"{es.API}/NAMA_10_GDP/A.CP_MEUR.B1GQ.LU?format=SDMX_2.1_STRUCTURED&startPeriod=2012&endPeriod=2015"


def test_a_narrowed_query_with_a_part_missing_stays_unknown():
    """HTTP 413 on the wide query (all years of Luxembourg's GDP); the half 1999-2022 answered with the
    recorded message (2012-2015: a subset of what that half would hold, used only to give the path a
    real data message), the half 1975-1998 refused: what came is yielded, the dataset stays unknown so
    the next run asks again."""
    query = es.RECORDED_GDP.model_copy(update={"start_period": None, "end_period": None})
    wide, data = query.url(), (TOC_DIR / GDP_FILE).read_bytes()

    class Partly(Stub):
        def get(self, url, params=None, headers=None):
            if url == wide:
                self.asked.append(url)
                raise too_big(url)
            return super().get(url)

    second_half = query.model_copy(update={"start_period": "1999", "end_period": "2022"}).url()
    client = Partly({toc.URL: AUGUST.read_bytes(), second_half: data})
    options = FetchOptions(params=es.Params(datasets=[query]))
    docs = list(es.fetch(client, options))
    assert [d.url for d in docs] == [toc.URL, second_half]
    assert options.discovery.fetched == [] and "startPeriod=1975&endPeriod=1998: HTTP 404" in options.failures[0]
