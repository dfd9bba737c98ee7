"""OHCHR casualty counts as copied by OCHA's key-figures sheet: the real recorded CSV
(replay/ohchr-casualties). Figures are those /work/shared/snapshots/ohchr-casualties/MANIFEST.md lists.
Changed layouts, missing markers and decreases are derived from the real bytes in each test."""

from __future__ import annotations

from datetime import date

import pytest

from extractors import ohchr
from extractors.base import Document, FetchOptions, LayoutChanged, Parsed
from extractors.locators import resolve
from tests.un_replay import ReplayClient, read, url_of

SRC = "ohchr-casualties"
CSV = "ocha_ukraine_key_figures_sheet_gid0_2022-05-02.csv"
KILLED, INJURED = "Civilian casualities(OHCHR) - Killed", "Civilian casualities(OHCHR) - Injured"


def doc(content: bytes | None = None) -> Document:
    return Document.from_bytes(SRC, url_of(SRC, CSV), read(SRC, CSV) if content is None else content)


def with_line(line_no: int, old: str, new: str) -> bytes:
    """The real CSV with one line changed (physical line numbers, 1-based)."""
    lines = read(SRC, CSV).decode("utf-8").split("\n")
    assert old in lines[line_no - 1]
    lines[line_no - 1] = lines[line_no - 1].replace(old, new, 1)
    return "\n".join(lines).encode("utf-8")


@pytest.fixture(scope="module")
def parsed():
    return ohchr.parse(doc())


def figures(parsed: Parsed, day: str) -> tuple[float | None, float | None]:
    found = {r.indicator: r for r in parsed.records if r.period_end == date.fromisoformat(day)}
    return found["civilians_killed"].value, found["civilians_injured"].value


def test_manifest_figures(parsed):
    assert figures(parsed, "2022-03-03") == (249, 553)
    assert figures(parsed, "2022-03-09") == (516, 908)
    assert figures(parsed, "2022-03-27") == (1119, 1790)
    assert figures(parsed, "2022-04-04") == (1430, 2097)
    assert figures(parsed, "2022-04-15") == (1982, 2615)
    assert figures(parsed, "2022-04-25") == (2665, 3053)
    assert len(parsed.records) == 100 and parsed.warnings == []


def test_record_shape_and_cited_update(parsed):
    killed = next(r for r in parsed.records if r.period_end == date(2022, 3, 27) and r.indicator == "civilians_killed")
    assert killed.period_start == date(2022, 2, 24) and killed.unit == "persons" and killed.geo == "Ukraine"
    assert killed.cites_url == "https://www.ohchr.org/en/news/2022/03/ukraine-civilian-casualty-update-27-march-2022"
    assert killed.locator == f"csv:row=25;col={KILLED};header=2" and killed.raw == "1119"
    assert killed.flags == ()


def test_every_locator_reads_back_its_raw_text(parsed):
    content = read(SRC, CSV)
    for record in parsed.records:
        assert resolve(content, record.locator) == record.raw


def test_cited_document_choice(parsed):
    def cites(day: str):
        r = next(r for r in parsed.records if r.period_end == date.fromisoformat(day))
        return r.cites_url, r.flags

    # several links, one of them OHCHR's: the OHCHR update is the one cited
    assert cites("2022-03-23")[0] == ("https://www.ohchr.org/en/press-releases/2022/03/"
                                      "ukraine-civilian-casualty-update-23-march-2022")
    assert cites("2022-04-08")[0] == "https://www.ohchr.org/en/news/2022/04/ukraine-civilian-casualty-update-8-avril-2022"
    assert cites("2022-04-06")[0].endswith("update-6-april-2022")  # the file:/// link is ignored
    # early rows link OCHA situation reports only; one row links nothing
    assert cites("2022-03-03") == ("https://reliefweb.int/report/ukraine/"
                                   "ukraine-humanitarian-impact-situation-report-300-pm-eet-3-march-2022",
                                   ("cites_non_ohchr",))
    assert cites("2022-03-25") == (None, ("no_cited_document",))


def test_missing_marker_is_none_not_zero():
    parsed = ohchr.parse(doc(with_line(3, ",249,553,", ",N/A,553,")))
    killed = next(r for r in parsed.records if r.locator == f"csv:row=3;col={KILLED};header=2")
    assert killed.value is None and killed.raw == "N/A"


@pytest.mark.parametrize("old,new,what", [
    (KILLED, "Civilian casualties(OHCHR) - Killed", KILLED),  # renamed
    (",Date,", ",Day,", "Date"),  # renamed
    (",Source URL,", ",,", "Source URL"),  # gone
])
def test_renamed_or_missing_column_is_a_layout_change(old, new, what):
    with pytest.raises(LayoutChanged, match="lacks column") as err:
        ohchr.parse(doc(with_line(2, old, new)))
    assert what in str(err.value)


def test_header_not_on_line_two_is_a_layout_change():
    no_group_header = b"\n".join(read(SRC, CSV).split(b"\n")[1:])
    with pytest.raises(LayoutChanged, match="line 2 lacks"):
        ohchr.parse(doc(no_group_header))


def test_bad_values_are_layout_changes():
    with pytest.raises(LayoutChanged, match="not a count"):
        ohchr.parse(doc(with_line(9, ",516,908,", ",516 killed,908,")))
    with pytest.raises(LayoutChanged, match="not YYYY-MM-DD"):
        ohchr.parse(doc(with_line(9, "2022-03-09", "09/03/2022")))


def test_a_fall_is_kept_flagged_and_warned():
    parsed = ohchr.parse(doc(with_line(26, ",1151,1824,", ",1000,1824,")))  # 2022-03-28 below 1119
    falls = [r for r in parsed.records if "decrease_vs_earlier" in r.flags]
    assert [(r.period_end, r.value) for r in falls] == [(date(2022, 3, 28), 1000)]
    assert any("1000 on 2022-03-28" in w and "1119 on 2022-03-27" in w for w in parsed.warnings)
    result = ohchr.check([parsed])
    assert result.failed == [] and len(result.warnings) == 1


def test_check_flags_a_fall_across_documents():
    lines = read(SRC, CSV).decode("utf-8").split("\n")
    later = "\n".join(lines[:2] + [lines[51].replace("2022-04-25", "2022-04-26").replace(",2665,3053,", ",2600,3100,")])
    first, second = ohchr.parse(doc()), ohchr.parse(doc(later.encode("utf-8")))
    assert not any("decrease_vs_earlier" in r.flags for r in second.records)
    result = ohchr.check([first, second])
    assert len(result.warnings) == 1 and "2600 on 2022-04-26" in result.warnings[0]
    flagged = [r for r in second.records if "decrease_vs_earlier" in r.flags]
    assert [(r.indicator, r.value) for r in flagged] == [("civilians_killed", 2600)]
    assert any("at least 45 dates (51)" in p for p in result.passed)


def test_check_passes_and_fails(parsed):
    assert ohchr.check([parsed]).failed == []
    few = Parsed(records=parsed.records[:20])
    assert any("at least 45 dates" in f for f in ohchr.check([few]).failed)


def test_fetch_requests_the_recorded_url():
    client = ReplayClient(SRC)
    docs = list(ohchr.fetch(client, FetchOptions()))
    assert client.requested == [url_of(SRC, CSV)] and len(ohchr.parse(docs[0]).records) == 100


def test_other_key_figures_are_reported_unread(parsed):
    assert "csv column 'Refugees(UNHCR)'" in parsed.unread and "csv column 'IDPs'" in parsed.unread
    assert not any("OHCHR" in u or "'Date'" in u or "Source URL" in u for u in parsed.unread)
    assert len(parsed.unread) == 30  # every other column holding a value


def test_declared_discovery_and_assertions_hold_on_the_real_sheet(parsed):
    from extractors.base import CheckResult
    from sanctrace.assertions import declared_checks

    assert ohchr.SOURCE.discovery.kind == "document-is-index" and ohchr.SOURCE.hosts == ("docs.google.com",)
    result = declared_checks(ohchr.SOURCE, [parsed], CheckResult())
    assert not result.failed and len(result.passed) == 3
    early = Parsed(records=parsed.records[:20])  # a sheet cut to ten dates fails the declared minimum
    assert declared_checks(ohchr.SOURCE, [early], CheckResult()).failed
