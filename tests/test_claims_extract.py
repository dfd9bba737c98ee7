"""Finding claims in a text (no warehouse): the real article (tests/data/claims/, see its ORIGIN.md) and written sentences.

Every claim the article's README lists is found with its unit, currency and year; dates, durations,
ordinals and the news site's navigation lines are not claims.
"""

from __future__ import annotations

import pytest

from sanctrace.claims_check import agrees
from sanctrace.claims_extract import Amount, find_claims
from sanctrace.claims_subjects import subject_of
from sanctrace.settings import PROJECT_ROOT

# a byte copy of the project's claim text (tests/data/claims/ORIGIN.md)
ARTICLE = PROJECT_ROOT / "tests" / "data" / "claims" / "article_kazakhstan-sanctions-evasion_2023-05.txt"

# (amounts as (value, unit), year or "as_of", qualifier), in the article's order
EXPECTED = [
    ([(35e6, "USD"), (32.3e6, "EUR")], 2021, ""),
    ([(75e6, "USD"), (69.3e6, "EUR")], 2022, "more than"),
    ([(245_000, "USD"), (226_500, "EUR")], 2021, ""),
    ([(18e6, "USD"), (16.6e6, "EUR")], 2022, ""),
    ([(5e6, "USD"), (4.6e6, "EUR")], 2022, ""),
    ([(1.2e6, "USD"), (1.1e6, "EUR")], 2022, ""),
    ([(500, "")], 2022, "more than"),
    ([(14.7e6, "")], "as_of", "more than"),
    ([(6.5e6, "")], "as_of", ""),
    ([(8.2e6, "")], "as_of", "more than"),
    ([(8836, "")], "as_of", ""),
    ([(14985, "")], "as_of", ""),
]


@pytest.fixture(scope="module")
def article_claims():
    return find_claims(ARTICLE.read_text("utf-8"))


def test_every_listed_claim_of_the_article_is_found_with_unit_currency_and_year(article_claims):
    assert len(article_claims) == len(EXPECTED)
    for claim, (amounts, year, qualifier) in zip(article_claims, EXPECTED):
        assert [(pytest.approx(a.value), a.unit) for a in claim.amounts] == amounts, claim.text
        assert claim.qualifier == qualifier, claim.text
        if year == "as_of":
            assert claim.when.kind == "as_of", claim.text
        else:
            assert (claim.when.kind, claim.when.start.year) == ("year", year), claim.text


def test_dates_durations_ordinals_and_navigation_lines_are_not_claims(article_claims):
    values = {a.value for c in article_claims for a in c.amounts}
    assert not values & {450, 15, 1939, 1945, 24, 2021, 2022, 100}  # 100: the "See also" line's other story
    assert find_claims("The war entered its 450th day after a nearly 15-month offensive (1939-1945), "
                       "on February 24, 2022 at 4 a.m., under HS 8542.") == []


def test_a_parenthetical_conversion_is_one_claim_in_two_currencies():
    [claim] = find_claims("Exports were 245,000 dollars (226,500 euros) in 2021.")
    assert [(a.value, a.unit) for a in claim.amounts] == [(245_000, "USD"), (226_500, "EUR")]
    assert claim.text == "245,000 dollars (226,500 euros)"
    two = find_claims("Exports were $3 million in 2021 (imports: $4 million).")
    assert len(two) == 2  # a second figure in brackets that is not the same one in another currency


def test_the_article_claims_say_what_and_where(article_claims):
    what = [subject_of(c) for c in article_claims]
    assert [(s.measure, s.geo, s.partner, s.commodity, s.flow) for s in what[:6]] == [
        ("trade", "KAZ", "WLD", "8542", "M"), ("trade", "KAZ", "WLD", "8542", "M"),
        ("trade", "KAZ", "RUS", "8542", "X"), ("trade", "KAZ", "RUS", "8542", "X"),
        ("trade", "KAZ", "WLD", "8806", "M"), ("trade", "KAZ", "RUS", "8806", "X")]
    assert what[6].measure == "shipments" and what[6].by_company and what[6].partner == "RUS"
    assert [s.measure for s in what[7:]] == ["displaced", "idps", "refugees", "killed", "injured"]
    assert what[9].geo == "AGG-EUROPE"


@pytest.mark.parametrize("sentence, expected", [
    ("In 2022 Kazakhstan's exports to Russia were worth $9.1 billion.", ("trade", "KAZ", "RUS", "TOTAL", "X")),
    ("Kyrgyzstan imported microchips worth $2 million from China in 2022.", ("trade", "KGZ", "CHN", "8542", "M")),
    ("Poland hosted 1,256,568 refugees on 1 August 2022.", ("refugees", "POL", "UKR", "", "")),
    ("OHCHR recorded 2,665 civilians killed as of 24 April 2022.", ("killed", "UKR", "", "", "")),
    ("The sum was 9.1 billion dollars.", ("", "", "", "", "")),
    ("The 15th package listed 54 persons on 16 December 2024.", ("listed_persons", "AGG-EU", "", "", "")),
    ("Some 54 persons fled on 16 December 2024.", ("displaced", "UKR", "", "", "")),
])
def test_subject_tables(sentence, expected):
    [claim] = find_claims(sentence)
    s = subject_of(claim)
    assert (s.measure, s.geo, s.partner, s.commodity, s.flow) == expected


def test_when_a_cut_off_a_year_right_after_or_a_running_total():
    first, second = find_claims("In 2022 exports were $9.1 billion, up from $7.0 billion in 2021.")
    assert (first.when.start.year, second.when.start.year) == (2022, 2021)
    [cut_off] = find_claims("As of 24 April 2022, OHCHR recorded 2,665 civilians killed.")
    assert (cut_off.when.kind, str(cut_off.when.start)) == ("date", "2022-04-24")
    [so_far] = find_claims("Since 24 February 2022 the UN has confirmed 8,836 deaths.")
    assert so_far.when.kind == "as_of"


@pytest.mark.parametrize("written, value, unit, step", [
    ("$9.1 billion", 9.1e9, "USD", 1e8), ("245,000 dollars", 245_000, "USD", 1000), ("8.2 million", 8.2e6, "", 1e5),
    ("32.3 million euros", 32.3e6, "EUR", 1e5), ("€1.1 million", 1.1e6, "EUR", 1e5), ("29.5%", 29.5, "%", 0.1),
    ("8,836", 8836, "", 1), ("five million dollars", 5e6, "USD", 1e6),
])
def test_amounts_with_currency_scale_and_rounding_step(written, value, unit, step):
    [claim] = find_claims(f"The figure was {written} in 2022.")
    [amount] = claim.amounts
    assert (amount.value, amount.unit) == (pytest.approx(value), unit) and amount.step == pytest.approx(step)


def test_rounded_statements_and_qualifiers():
    billions = Amount(9.1e9, "USD", "$9.1 billion", 1e8)
    assert agrees(billions, "", 9_091_390_916.9)
    assert not agrees(billions, "", 9_160_000_000) and not agrees(Amount(8.1e9, "USD", "", 1e8), "", 9_091_390_916.9)
    more = Amount(8.2e6, "", "8.2 million", 1e5)
    assert agrees(more, "more than", 8_250_000) and not agrees(more, "more than", 8_190_000)
    assert not agrees(more, "more than", 8_300_000) and agrees(more, "less than", 8_150_000)
    assert agrees(Amount(8836, "", "8,836", 1), "", 8836) and not agrees(Amount(8836, "", "8,836", 1), "", 8837)
