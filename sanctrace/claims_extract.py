"""Numeric claims in a text: counts, amounts with currency and scale, percentages, and when each refers to.

A claim is one statement of a figure: "245,000 dollars (226,500 euros)" is one claim in two currencies.
Dates, years, durations ("15-month war"), ordinals ("450th day") and codes ("HS 8542") are not claims.
Navigation lines a news site leaves in a copied article ("See also ...") are skipped: their numbers
belong to other stories.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date

SCALES = {"thousand": 1e3, "million": 1e6, "mln": 1e6, "billion": 1e9, "bn": 1e9, "trillion": 1e12}
WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
         "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
         "fifty": 50, "hundred": 100}
PREFIX_CURRENCY = {"US$": "USD", "$": "USD", "€": "EUR", "£": "GBP", "USD": "USD", "EUR": "EUR"}
SUFFIX_CURRENCY = {"us dollars": "USD", "dollars": "USD", "dollar": "USD", "usd": "USD", "euros": "EUR",
                   "euro": "EUR", "eur": "EUR", "tenge": "KZT", "rubles": "RUB", "roubles": "RUB",
                   "pounds": "GBP"}
QUALIFIERS = ("more than", "over", "above", "at least", "exceeding", "less than", "under", "below",
              "fewer than", "nearly", "almost", "about", "around", "roughly", "approximately", "some", "up to")
MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9

_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_WORD = "|".join(WORDS)
_SCALE = "|".join(SCALES)
_PREFIX = r"US\$|\$|€|£|USD\s?|EUR\s?"
_SUFFIX = "|".join(sorted(SUFFIX_CURRENCY, key=len, reverse=True))
AMOUNT = re.compile(
    rf"(?<![\w/.,-])(?:(?P<cur1>{_PREFIX})\s?)?(?:(?P<num>{_NUM})|(?P<word>{_WORD})(?=\s(?:{_SCALE})))"
    rf"(?:\s?(?P<scale>{_SCALE})\b)?(?:\s(?P<cur2>{_SUFFIX})\b)?(?P<pct>\s?%|\s(?:percent|per cent)\b)?"
    r"(?![\w/]|-\w|\.\d|,\d)", re.IGNORECASE)
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
DATES = (  # each gives (day, month, year) groups; the order matters: longest forms first
    re.compile(rf"\b(?P<d>\d{{1,2}})\s(?P<m>{_MONTH})\.?,?\s(?P<y>(?:19|20)\d\d)\b", re.I),
    re.compile(rf"\b(?P<m>{_MONTH})\.?\s(?P<d>\d{{1,2}}),?\s(?P<y>(?:19|20)\d\d)\b", re.I),
    re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<m>\d\d)-(?P<d>\d\d)\b"),
    re.compile(rf"\b(?P<m>{_MONTH})\.?\s(?P<y>(?:19|20)\d\d)\b", re.I),
    re.compile(rf"\b(?P<d>\d{{1,2}})\s(?P<m>{_MONTH})\b", re.I),
    re.compile(r"\b(?P<y>(?:19|20)\d\d)(?:\s?[-–]\s?(?:19|20)\d\d)?\b"),
)
YEAR_RANGE = re.compile(r"\d{4}\s?[-–]\s?\d{4}")
NOT_CLAIMS = (
    re.compile(r"\b\d+(?:[.,]\d+)?[-\s](?:day|week|month|year|hour|minute)s?\b", re.I),  # durations
    re.compile(r"\b\d+(?:st|nd|rd|th)\b", re.I),  # ordinals
    re.compile(r"\b\d{1,2}(?::\d\d)?\s?(?:a\.m\.|p\.m\.|am\b|pm\b)|\b\d{1,2}:\d\d\b", re.I),  # times
    re.compile(r"\b(?:HS|CN|code|No\.?|number)\s?\d+", re.I),  # codes
)
NAVIGATION = re.compile(r"^\s*(?:see also|also read|read also|read more|related:|leave a reply|your email)", re.I)
SENTENCE_END = re.compile(r"[.!?;][\"”’]?\s+(?=[A-Z\"“‘(])")
CUMULATIVE = re.compile(r"\bso far\b|\bto date\b|\bsince\b|\btoday\b|\blatest\b|\bcurrently\b", re.I)
RIGHT_AFTER = re.compile(r"^[\s)”’\"]*(?:in|for|during|on)\s+$", re.I)  # "$7 billion in 2021"
CUT_OFF = re.compile(r"\b(?:as of|as at|by|until|up to|through)\s*$", re.I)


@dataclass
class Amount:
    value: float  # in units (dollars, persons, percentage points)
    unit: str  # an ISO currency, "%", or "" for a count
    written: str
    step: float  # the rounding step the statement implies ("9.1 billion": 0.1 billion)


@dataclass
class When:
    kind: str  # year | month | date | as_of (the text's date, or the latest figure held)
    start: date | None = None
    end: date | None = None
    said: str = ""  # the words that gave it


@dataclass
class Claim:
    text: str
    amounts: list[Amount]
    qualifier: str
    start: int
    end: int
    sentence: str
    before: str  # the sentence's words before the claim, back to the previous claim
    after: str  # the sentence's words after the claim, up to the next claim
    when: When = field(default_factory=lambda: When("as_of"))

    @property
    def kind(self) -> str:
        unit = self.amounts[0].unit
        return "percent" if unit == "%" else "count" if not unit else "amount"


def find_claims(text: str) -> list[Claim]:
    claims = []
    for start, sentence in sentences(text):
        claims += _sentence_claims(sentence, start)
    return claims


def sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) pairs; a full stop before a lower-case word does not end a sentence."""
    found, offset = [], 0
    for line in text.splitlines(keepends=True):
        if line.strip() and not NAVIGATION.match(line):
            cut = 0
            for m in SENTENCE_END.finditer(line):
                found.append((offset + cut, line[cut:m.end()].strip()))
                cut = m.end()
            found.append((offset + cut, line[cut:].strip()))
        offset += len(line)
    return [(o, s) for o, s in found if s]


def _sentence_claims(sentence: str, offset: int) -> list[Claim]:
    dates = list(_dates(sentence))
    blocked = [span for span, _ in dates] + [m.span() for p in NOT_CLAIMS for m in p.finditer(sentence)]
    matches = [m for m in AMOUNT.finditer(sentence) if not _inside(m.span(), blocked)]
    claims, used = [], set()
    for i, m in enumerate(matches):
        if i in used:
            continue
        amounts, end = [_amount(m)], m.end()
        nxt = matches[i + 1] if i + 1 < len(matches) else None
        if nxt and _is_conversion(sentence, m, nxt):
            amounts.append(_amount(nxt))
            used.add(i + 1)
            end = nxt.end() + (sentence[nxt.end():nxt.end() + 1] == ")")
        claims.append((m.start(), end, amounts))
    return [_claim(sentence, offset, claims, i, dates) for i in range(len(claims))]


def _claim(sentence, offset, spans, i, dates) -> Claim:
    start, end, amounts = spans[i]
    prev_end = spans[i - 1][1] if i else 0
    next_start = spans[i + 1][0] if i + 1 < len(spans) else len(sentence)
    before, after = sentence[prev_end:start], sentence[end:next_start]
    qualifier = _qualifier(before)
    claim = Claim(sentence[start:end], amounts, qualifier, offset + start, offset + end, sentence, before, after)
    claim.when = _when(sentence, start, end, dates)
    return claim


def _inside(span, blocked) -> bool:
    return any(b[0] <= span[0] < b[1] or span[0] <= b[0] < span[1] for b in blocked)


def _is_conversion(sentence: str, m: re.Match, nxt: re.Match) -> bool:
    """'35 million dollars (32.3 million euros, ...)': the same figure in a second currency."""
    between = sentence[m.end():nxt.start()]
    first, second = _amount(m), _amount(nxt)
    return (between.strip() == "(" and bool(first.unit) and bool(second.unit)
            and first.unit not in ("%", second.unit) and second.unit != "%")


def _amount(m: re.Match) -> Amount:
    written = m.group(0).strip()
    if m.group("word"):
        number, step = float(WORDS[m.group("word").lower()]), 1.0
    else:
        digits = m.group("num").replace(",", "")
        number = float(digits)
        step = 10.0 ** -len(digits.split(".")[1]) if "." in digits else 10.0 ** (len(digits) - len(digits.rstrip("0")))
        step = min(step, 10.0 ** (len(digits) - 1)) if "." not in digits and number else step
    scale = SCALES[m.group("scale").lower()] if m.group("scale") else 1.0
    return Amount(round(number * scale, 6), _unit(m), written, step * scale)


def _unit(m: re.Match) -> str:
    if m.group("pct"):
        return "%"
    if m.group("cur1"):
        return PREFIX_CURRENCY[m.group("cur1").strip().upper() if m.group("cur1").strip().isalpha()
                               else m.group("cur1").strip()]
    if m.group("cur2"):
        return SUFFIX_CURRENCY[m.group("cur2").lower()]
    return ""


def _qualifier(before: str) -> str:
    tail = before.lower().rstrip(" “\"‘'")
    return next((q for q in QUALIFIERS if re.search(rf"\b{q}$", tail)), "")


def _dates(sentence: str):
    """(span, When) of every date, month or year written in the sentence, longest forms first."""
    taken: list[tuple[int, int]] = []
    for pattern in DATES:
        for m in pattern.finditer(sentence):
            if _inside(m.span(), taken):
                continue
            taken.append(m.span())
            yield m.span(), _as_when(m)  # None: a day without a year, a year range: still no claim


def _as_when(m: re.Match) -> When | None:
    """None for a day without a year, a range of years or an impossible date: no period a claim refers to."""
    parts = m.groupdict()
    if not parts.get("y") or YEAR_RANGE.fullmatch(m.group(0)):
        return None
    year, month = int(parts["y"]), parts.get("m")
    month = (int(month) if month.isdigit() else MONTHS[month.lower().rstrip(".")]) if month else None
    try:
        if month and parts.get("d"):
            day = date(year, month, int(parts["d"]))
            return When("date", day, day, m.group(0))
        if month:
            return When("month", date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]),
                        m.group(0))
    except ValueError:
        return None
    return When("year", date(year, 1, 1), date(year, 12, 31), m.group(0))


def _when(sentence: str, start: int, end: int, dates) -> When:
    """The period a claim refers to: a cut-off date ("as of 24 April 2022"), else, for a running total
    ("so far", "since"), the text's own date, else a date right after it ("$7 billion in 2021"), else
    the nearest date or year before it in the sentence, else the nearest after it."""
    dates = [(span, when) for span, when in dates if when]
    for span, when in dates:
        if when.kind == "date" and CUT_OFF.search(sentence[:span[0]]):
            return when
    if CUMULATIVE.search(sentence):
        return When("as_of", said=CUMULATIVE.search(sentence).group(0))
    right_after = [w for span, w in dates if span[0] >= end and RIGHT_AFTER.match(sentence[end:span[0]])]
    before = [w for span, w in dates if span[1] <= start]
    after = [w for span, w in dates if span[0] >= end]
    return (right_after or before[-1:] or after or [When("as_of")])[0]
