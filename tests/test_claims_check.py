"""`check-claims` against the warehouse loaded from the replay archive, SQLite and PostgreSQL.

The article of tests/data/claims/ gets its honest verdicts (no recorded figure holds any of its claims;
each names the source that would). Written sentences quote figures the recorded documents hold, and
wrong or unrelated figures, which must not match.
"""

from __future__ import annotations

import io
import json
from datetime import date

import pandas as pd
import pytest

from sanctrace import cli
from sanctrace.claims_check import TextDate, check_text
from tests.test_claims_extract import ARTICLE
from warehouse.loader import STAGE_COLS, LoadContext, load_observations

SOURCES = ("kz-stat-trade", "kg-stat-trade", "unhcr-ukraine-refugees", "iom-dtm-idps", "ohchr-casualties",
           "eu-council-press")
NO_DATE = TextDate(None, "no date")


# in replay each source asks only for what was recorded (its replay_defaults)
pytestmark = pytest.mark.preloaded(*SOURCES)


@pytest.fixture
def loaded(rt):
    return rt


def one(loaded, sentence: str, as_of: TextDate = NO_DATE):
    [verdict] = check_text(loaded.engine, sentence, as_of)
    return verdict


def eu_chips_to_kazakhstan(rt, value_eur: float) -> None:
    """A partner-reported figure of the kind issue 12 loads from Comext CN8 (the EU's exports of HS 8542
    to Kazakhstan, EUR), through the loader: no such document is recorded here, so this checks how a
    related measure is shown, not a source."""
    row = {"indicator": "trade_value", "geo": "AGG-EU", "partner": "KAZ", "commodity": "8542", "flow": "X",
           "unit": "EUR", "period_start": date(2021, 1, 1), "period_end": date(2021, 12, 31), "value": value_eur,
           "is_count": False, "method": "published", "locator": "cell:Sheet 37!O51", "raw": str(value_eur),
           "published_unit": "EUR", "cites_url": None, "vintage": None, "flags": "", "snapshot_sha256": None}
    load_observations(rt.engine, pd.DataFrame([row], columns=list(STAGE_COLS)), LoadContext("eurostat-comext", "t"))


def test_the_article_gets_no_figure_held_naming_the_source_that_would(loaded):
    # The same number as the claim's EUR conversion, on purpose: a related measure never matches.
    eu_chips_to_kazakhstan(loaded, 32_300_000)
    verdicts = check_text(loaded.engine, ARTICLE.read_text("utf-8"), TextDate(date(2023, 5, 31), "test"))
    assert len(verdicts) == 12
    assert {v.verdict for v in verdicts} == {"no figure held"} and not any(v.figures for v in verdicts)
    holders = [" ".join(v.would_hold) + " " + v.note for v in verdicts]
    for trade in holders[:6]:
        assert "kz-stat-trade" in trade and "no HS" in trade and "un-comtrade (reporter KAZ" in trade
    assert "company" in holders[6]
    assert "iom-dtm-idps" in holders[7] and "unhcr-ukraine-refugees" in holders[7]
    assert "iom-dtm-idps" in holders[8] and "unhcr-ukraine-refugees" in holders[9]
    assert "ohchr-casualties" in holders[10] and "ohchr-casualties" in holders[11]
    [related] = verdicts[0].context
    assert related["value"] == 32_300_000 and related["unit"] == "EUR" and "related measure" in related["note"]
    assert not verdicts[1].context  # 2022: no EU figure for that year
    [derived] = verdicts[8].context  # IOM states no national total; sanctrace's sum is context only
    assert derived["value"] == 5_088_000 and "derived" in derived["note"]


def test_rounded_statement_matches_the_figure_and_a_wrong_one_does_not(loaded):
    right = one(loaded, "In 2022 Kazakhstan's exports to Russia were worth $9.1 billion.")
    assert right.verdict == "matches"
    [figure] = right.figures
    assert figure["value"] == pytest.approx(9_091_390_916.9, rel=1e-12) and figure["source"] == "kz-stat-trade"
    assert figure["document"].startswith("https://stat.gov.kz/") and "rounded" in figure["note"]
    wrong = one(loaded, "In 2022 Kazakhstan's exports to Russia were worth $8.1 billion.")
    assert wrong.verdict == "does not match" and wrong.figures[0]["observation_id"] == figure["observation_id"]
    assert "-991,390,917 USD" in wrong.difference
    in_euros = one(loaded, "In 2022 Kazakhstan's exports to Russia were worth €9.1 billion.")
    assert in_euros.verdict == "no figure held"  # held in USD only, and no exchange rates


def test_a_figure_of_an_earlier_release_matches_as_that_version(loaded):
    # The 2021 release printed 2020's exports to Russia as 5 007 142.5 thousand USD; the 2022 release
    # revised them to 5 007 142.52335. Quoted to the cent, only the earlier version fits.
    earlier = one(loaded, "In 2020 Kazakhstan's exports to Russia were $5,007,142,500.00.")
    assert earlier.verdict == "matches" and earlier.figures[0]["value"] == 5_007_142_500
    assert earlier.figures[0]["note"] == "an earlier version, since revised"
    assert [c["value"] for c in earlier.context] == [pytest.approx(5_007_142_523.35)]


def test_cut_off_date_matches_the_figure_dated_by_its_update(loaded):
    killed = one(loaded, "As of 24 April 2022, OHCHR recorded 2,665 civilians killed.")
    assert killed.verdict == "matches" and killed.figures[0]["period"] == "2022-02-24..2022-04-25"
    injured = one(loaded, "As of 24 April 2022, OHCHR recorded 3,035 civilians injured.")
    assert injured.verdict == "does not match" and injured.figures[0]["value"] == 3053


def test_ambiguous_when_the_text_leaves_the_place_or_the_update_open(loaded):
    no_place = one(loaded, "UNHCR recorded 915,000 refugees on 3 August 2022.")  # Germany's figure that day
    assert no_place.verdict == "ambiguous" and [f["series"] for f in no_place.figures] == [
        "refugees_from_ukraine_recorded DEU->UKR"]
    assert one(loaded, "UNHCR recorded 915,001 refugees on 3 August 2022.").verdict == "no figure held"
    # Updates of 21 and 22 April both fit a cut-off of 21 April (2,345 and 2,435 killed); 2,500 fits neither.
    two = one(loaded, "As of 21 April 2022, OHCHR recorded 2,500 civilians killed.")
    assert two.verdict == "ambiguous" and sorted(f["value"] for f in two.figures) == [2345, 2435]
    assert one(loaded, "As of 21 April 2022, OHCHR recorded 2,345 civilians killed.").verdict == "matches"


def test_the_same_number_in_an_unrelated_figure_never_matches(loaded):
    assert one(loaded, "Poland hosted 1,256,568 refugees on 1 August 2022.").verdict == "matches"
    unrelated = one(loaded, "Poland hosted 2,665 refugees on 1 August 2022.")  # 2,665: OHCHR's killed
    assert unrelated.verdict == "does not match" and unrelated.figures[0]["value"] == 1_256_568
    other_reporter = one(loaded, "Kyrgyzstan imported microchips worth $9.1 billion in 2022.")
    assert other_reporter.verdict == "no figure held" and not other_reporter.figures
    assert one(loaded, "The sum was 9.1 billion dollars in 2022.").verdict == "no figure held"


def test_a_stated_change_on_the_year_is_checked_against_both_years(loaded):
    rise = one(loaded, "Kazakhstan's exports to Russia rose 29.5% in 2022.")
    assert rise.verdict == "matches" and "+29.5" in rise.figures[0]["note"]
    assert [f["period"] for f in rise.figures] == ["2022-01-01..2022-12-31", "2021-01-01..2021-12-31"]
    assert one(loaded, "Kazakhstan's exports to Russia rose 35% in 2022.").verdict == "does not match"
    assert one(loaded, "Kazakhstan's exports to Russia fell 29.5% in 2022.").verdict == "does not match"
    assert one(loaded, "Kazakhstan's exports to Russia were 29.5% of its trade in 2022.").verdict == "no figure held"


def test_sanctions_listings_of_a_package(loaded):
    verdicts = check_text(loaded.engine, "On 16 December 2024 the Council agreed on 84 listings: 54 persons and "
                                         "30 entities. On 16 December 2024 the EU sanctioned 55 individuals.", NO_DATE)
    assert [v.verdict for v in verdicts[:3]] == ["matches"] * 3 and verdicts[3].verdict == "does not match"
    assert [v.figures[0]["series"] for v in verdicts[:3]] == [
        "sanctions_listings AGG-EU", "sanctions_listings_persons AGG-EU", "sanctions_listings_entities AGG-EU"]
    assert verdicts[3].figures[0]["value"] == 54 and "+1 count" in verdicts[3].difference


def test_running_totals_take_the_texts_date(loaded):
    sentence = "UNHCR has so far recorded more than 6.3 million refugees across Europe."
    assert one(loaded, sentence, TextDate(date(2022, 8, 5), "test")).verdict == "matches"  # 6,307,137 on 3 Aug
    assert one(loaded, sentence, TextDate(date(2023, 5, 31), "test")).verdict == "no figure held"  # stale
    assert "latest figure held" in one(loaded, sentence).period


def test_cli_table_json_markdown_and_stdin(loaded, env_settings, capsys, monkeypatch):
    assert cli.main(["check-claims", str(ARTICLE), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 12 and {r["verdict"] for r in rows} == {"no figure held"}
    assert rows[0]["amounts"][1] == {"value": 32_300_000, "unit": "EUR", "written": "32.3 million euros",
                                     "step": 100_000}
    assert cli.main(["check-claims", str(ARTICLE), "--markdown"]) == 0
    out = capsys.readouterr().out
    assert "Text date: 2023-05-31 (the text's date taken from its file name" in out
    assert out.count("| **no figure held** |") == 12
    monkeypatch.setattr("sys.stdin", io.StringIO("In 2022 Kazakhstan's exports to Russia were worth $9.1 billion."))
    assert cli.main(["check-claims", "-"]) == 0
    out = capsys.readouterr().out
    assert "assumed the latest figure held" in out and " matches " in out and "9,091,390,917 USD" in out
    assert cli.main(["check-claims", "-", "--as-of", "2022-13-01"]) == 2
