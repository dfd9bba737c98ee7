"""Verdicts for claims against the warehouse: matches, does not match, no figure held, ambiguous.

A claim is compared only with figures of the very series it speaks of (indicator, place, partner,
goods, flow) in the currency or unit it states, for the period it refers to, so an unrelated figure
with the same number never matches. Figures we derived (sums the publisher does not state) and
related measures (the partner's mirror figure, the all-goods total) are shown as context, never
used for a verdict. No exchange rates: a claim in two currencies is checked in the one the warehouse holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, text

from extractors import registry
from sanctrace.claims_extract import Amount, Claim, When, find_claims
from sanctrace.claims_subjects import Subject, subject_of

INDICATORS = {"idps": "idps", "refugees": "refugees_from_ukraine_recorded", "killed": "civilians_killed",
              "injured": "civilians_injured", "trade": "trade_value", "listings": "sanctions_listings",
              "listed_persons": "sanctions_listings_persons", "listed_entities": "sanctions_listings_entities"}
HOLDERS = {"idps": ("iom-dtm-idps",), "refugees": ("unhcr-ukraine-refugees",), "killed": ("ohchr-casualties",),
           "injured": ("ohchr-casualties",), "listings": ("eu-council-press",),
           "listed_persons": ("eu-council-press",), "listed_entities": ("eu-council-press",),
           "displaced": ("iom-dtm-idps", "unhcr-ukraine-refugees")}
NATIONAL_TRADE = {"KAZ": "kz-stat-trade", "KGZ": "kg-stat-trade", "AGG-EU": "eurostat-comext"}
NOTES = {
    "displaced": "no source states this total: IDPs (IOM DTM) and refugees (UNHCR) are counted apart",
    "shipments": "no official statistic counts one company's shipments: the text's own sources (company or "
                 "customs records) would",
    "killed": "OHCHR's own updates have no extractor; the recorded OCHA sheet copies them",
    "injured": "OHCHR's own updates have no extractor; the recorded OCHA sheet copies them",
    "": "what the figure measures is not recognised in its sentence",
}
OPPOSITE = {"X": "M", "M": "X", "T": "T"}
MORE, LESS = ("more than", "over", "above", "at least", "exceeding"), ("less than", "under", "below", "fewer than")
SHORT, ROUGH = ("nearly", "almost", "up to"), ("about", "around", "roughly", "approximately", "some")
RISE = re.compile(r"\b(?:rose|risen|rise|grew|grown|increased?|up|jumped|higher)\b", re.I)
FALL = re.compile(r"\b(?:fell|fallen|fall|dropped|declined?|decreased?|down|lower|shrank)\b", re.I)
WINDOWS = ((r"daily", 7), (r"weekly", 14), (r"monthly", 45), (r"quarter|round", 120), (r"annual", 400))

FIGURES = text(
    "SELECT o.id, o.value, o.period_start, o.period_end, o.source_id, o.method, o.flags, o.superseded_at, "
    "s.indicator, s.geo, s.partner, s.commodity, s.flow, s.unit, n.url "
    "FROM observation o JOIN series s ON s.id = o.series_id "
    "LEFT JOIN snapshot n ON n.id = o.snapshot_id "
    "WHERE s.indicator = :indicator AND s.geo = :geo AND s.partner = :partner "
    "AND s.commodity = :commodity AND s.flow = :flow")
ANY_PLACE = text(FIGURES.text.replace("s.geo = :geo AND ", "").replace(
    " AND s.commodity = :commodity AND s.flow = :flow", " AND s.commodity = '' AND s.flow = ''"))
RELATED = text(
    "SELECT o.id, o.value, o.period_start, o.period_end, o.source_id, o.method, o.flags, o.superseded_at, "
    "s.indicator, s.geo, s.partner, s.commodity, s.flow, s.unit, n.url "
    "FROM observation o JOIN series s ON s.id = o.series_id "
    "LEFT JOIN snapshot n ON n.id = o.snapshot_id "
    "WHERE s.indicator = 'trade_value' AND s.partner = :geo AND s.flow = :flow AND s.geo <> :geo "
    "AND s.commodity LIKE :commodity AND o.superseded_at IS NULL "
    "AND o.period_start >= :start AND o.period_end <= :end ORDER BY o.value DESC")


@dataclass
class TextDate:
    """The date of the text a claim comes from ("as of"), and where it came from."""

    day: date | None
    said: str


@dataclass
class Verdict:
    claim: Claim
    subject: Subject
    verdict: str  # matches | does not match | no figure held | ambiguous
    period: str  # the period checked and how it was decided
    figures: list[dict[str, Any]] = field(default_factory=list)
    difference: str = ""
    would_hold: list[str] = field(default_factory=list)
    context: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""


def check_text(engine: Engine, body: str, as_of: TextDate) -> list[Verdict]:
    return [check_claim(engine, claim, as_of) for claim in find_claims(body)]


def check_claim(engine: Engine, claim: Claim, as_of: TextDate) -> Verdict:
    subject = subject_of(claim)
    verdict = Verdict(claim, subject, "no figure held", _period_words(claim.when, as_of))
    if subject.measure not in INDICATORS or (subject.measure == "trade" and not subject.geo):
        verdict.would_hold = would_hold(engine, subject)
        verdict.note = NOTES.get(subject.measure, "the sentence names no reporting country")
        return verdict
    if not subject.geo:
        return _judge_any_place(engine, verdict, as_of)
    rows = _rows(engine, FIGURES, indicator=INDICATORS[subject.measure], geo=subject.geo,
                 partner=subject.partner, commodity=subject.commodity, flow=subject.flow)
    if claim.kind == "percent":
        return _judge_change(verdict, rows)
    rows = [r for r in rows if r["unit"] in _units(claim)]
    _judge(verdict, rows, as_of)
    if verdict.verdict == "no figure held":
        verdict.would_hold = would_hold(engine, subject)
        verdict.note = verdict.note or NOTES.get(subject.measure, "")
    verdict.context += _related(engine, subject, claim.when)
    return verdict


def _judge(verdict: Verdict, rows: list[dict], as_of: TextDate) -> None:
    claim = verdict.claim
    published = [r for r in rows if r["method"] == "published"]
    current = _in_period([r for r in published if r["superseded_at"] is None], claim.when, as_of)
    verdict.context += [_shown(r, "derived by sanctrace: the publisher states no such figure")
                        for r in _in_period([r for r in rows if r["method"] == "derived"], claim.when, as_of)]
    if not current:
        nearest = _nearest(published, claim.when, as_of)
        verdict.context += [_shown(r, "the same measure at another date") for r in nearest]
        return
    verdict.period += f"; figure dated {_dates(current[0])}"
    matching = [r for r in current if _agrees(claim, r)]
    if matching:
        verdict.verdict, verdict.figures = "matches", [_shown(r, _how(claim, r)) for r in matching]
        return
    older = [r for r in _in_period([r for r in published if r["superseded_at"] is not None], claim.when, as_of)
             if _agrees(claim, r)]
    if older:
        verdict.verdict, verdict.figures = "matches", [_shown(r, "an earlier version, since revised") for r in older]
        verdict.context += [_shown(r, "the current version") for r in current]
        return
    values = {r["value"] for r in current}  # several figures fit the period (update dates a day apart)
    verdict.verdict = "ambiguous" if len(values) > 1 else "does not match"
    verdict.figures = [_shown(r, "") for r in current]
    if len(values) == 1:
        verdict.difference = _difference(claim, current[0])


def _judge_any_place(engine: Engine, verdict: Verdict, as_of: TextDate) -> Verdict:
    """No place in the sentence ("915,000 refugees on 3 August 2022"): figures of any place that
    agree are candidates, never a match, since the text does not say which place it means."""
    claim, subject = verdict.claim, verdict.subject
    rows = [r for r in _rows(engine, ANY_PLACE, indicator=INDICATORS[subject.measure], partner=subject.partner)
            if r["method"] == "published" and r["superseded_at"] is None and r["unit"] in _units(claim)]
    by_place: dict[str, list[dict]] = {}
    for row in rows:
        by_place.setdefault(row["geo"], []).append(row)
    candidates = [r for place in by_place.values() for r in _in_period(place, claim.when, as_of) if _agrees(claim, r)]
    verdict.note = "the sentence names no place"
    if candidates:
        verdict.verdict, verdict.figures = "ambiguous", [_shown(r, "a candidate") for r in candidates]
    else:
        verdict.would_hold = would_hold(engine, subject)
    return verdict


def _judge_change(verdict: Verdict, rows: list[dict]) -> Verdict:
    """"Exports rose 29.5% in 2022": the change of the year's current figure on the year before's, same
    source and currency. Only a stated rise or fall is checked; a bare percentage is a share of something."""
    claim = verdict.claim
    sign = -1 if FALL.search(claim.before + claim.after) else 1 if RISE.search(claim.before + claim.after) else 0
    if not sign or claim.when.kind != "year":
        verdict.note = "a percentage that is not a stated change on a year: not checked"
        return verdict
    current = [r for r in rows if r["superseded_at"] is None and r["method"] == "published"]
    year = {(r["source_id"], r["unit"]): r for r in _in_period(current, claim.when, TextDate(None, ""))}
    before = When("year", claim.when.start.replace(year=claim.when.start.year - 1),
                  claim.when.end.replace(year=claim.when.end.year - 1))
    pairs = [(r, p) for p in _in_period(current, before, TextDate(None, ""))
             if (r := year.get((p["source_id"], p["unit"]))) and p["value"]]
    if not pairs:
        verdict.note = "no figures for that year and the year before to compute a change"
        return verdict
    changes = [(r, p, 100 * (r["value"] - p["value"]) / p["value"]) for r, p in pairs]
    stated = Amount(sign * claim.amounts[0].value, "%", claim.amounts[0].written, claim.amounts[0].step)
    matching = [c for c in changes if agrees(stated, claim.qualifier, c[2])]
    r, p, change = (matching or changes)[0]
    verdict.verdict = "matches" if matching else "does not match"
    verdict.figures = [_shown(r, f"change on {_dates(p)}: {change:+.2f}%"), _shown(p, "the year before")]
    if not matching:
        verdict.difference = f"claim {stated.value:+g}% against {change:+.2f}%"
    return verdict


def _rows(engine: Engine, query, **params) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query, params).mappings()]


def _units(claim: Claim) -> set[str]:
    units = {a.unit for a in claim.amounts}
    return {"persons", "count"} if units == {""} else units


def _in_period(rows: list[dict], when: When, as_of: TextDate) -> list[dict]:
    """Figures for the claim's period. A figure dated by its update date still counts for a claim
    dated by its cut-off a day earlier. A running total "so far" is the latest figure the text's
    date allows, no staler than its source's cadence; with no text date, the latest figure held."""
    if when.kind in ("year", "month"):
        return [r for r in rows if (_day(r["period_start"]), _day(r["period_end"])) == (when.start, when.end)]
    if when.kind == "date":
        return [r for r in rows if when.start <= _day(r["period_end"]) <= when.start + timedelta(days=1)]
    if as_of.day is not None:
        rows = [r for r in rows if as_of.day - timedelta(days=_window(r["source_id"]))
                <= _day(r["period_end"]) <= as_of.day + timedelta(days=1)]
    latest = max((_day(r["period_end"]) for r in rows), default=None)
    return [r for r in rows if _day(r["period_end"]) == latest]


def _nearest(rows: list[dict], when: When, as_of: TextDate) -> list[dict]:
    target = when.end or as_of.day
    current = [r for r in rows if r["superseded_at"] is None]
    if not current or target is None:
        return []
    return [min(current, key=lambda r: abs((_day(r["period_end"]) - target).days))]


def _window(source_id: str) -> int:
    cadence = registry.get(source_id).SOURCE.cadence
    return next((days for pattern, days in WINDOWS if re.search(pattern, cadence)), 45)


def _agrees(claim: Claim, row: dict) -> bool:
    amount = next((a for a in claim.amounts if a.unit == row["unit"] or (not a.unit and row["unit"] in
                                                                          ("persons", "count"))), None)
    return amount is not None and row["value"] is not None and agrees(amount, claim.qualifier, row["value"])


def _how(claim: Claim, row: dict) -> str:
    exact = any(a.value == row["value"] for a in claim.amounts)
    return "" if exact else f"as a statement rounded to {claim.amounts[0].written}" + (
        f" ({claim.qualifier})" if claim.qualifier else "")


def agrees(amount: Amount, qualifier: str, value: float) -> bool:
    """Whether a figure bears out a statement rounded to its last written digit ("9.1 billion": 9.05 to
    9.15 billion; "more than 8.2 million": 8.2 to 8.3 million)."""
    x, step, tiny = amount.value, amount.step, amount.step * 1e-9
    if qualifier in MORE:
        return x - tiny <= value < x + step
    if qualifier in LESS:
        return x - step < value <= x + tiny
    if qualifier in SHORT:
        return x - step <= value <= x + tiny
    if qualifier in ROUGH:
        return abs(value - x) <= step + tiny
    return abs(value - x) <= step / 2 + tiny


def _difference(claim: Claim, row: dict) -> str:
    amount = next((a for a in claim.amounts if a.unit == row["unit"]), claim.amounts[0])
    diff = amount.value - row["value"]
    pct = f" ({diff / row['value']:+.1%})" if row["value"] else ""
    return f"claim {amount.written} is {diff:+,.0f} {row['unit']} from the figure{pct}"


def _related(engine: Engine, subject: Subject, when: When) -> list[dict]:
    """The partner's mirror figure for the same goods (e.g. the EU's exports of chips to Kazakhstan,
    in EUR): a different measure, shown beside the claim, never judged against it."""
    if subject.measure != "trade" or subject.commodity == "TOTAL" or when.kind != "year":
        return []
    rows = _rows(engine, RELATED, geo=subject.geo, flow=OPPOSITE[subject.flow], commodity=subject.commodity + "%",
                 start=when.start, end=when.end)
    shown = [_shown(r, "related measure: the partner's report, not the claim's figure") for r in rows[:3]]
    if len(rows) > 3:
        shown.append({"note": f"and {len(rows) - 3} more partner-reported figures"})
    return shown


def would_hold(engine: Engine, subject: Subject) -> list[str]:
    """Which sources would hold the claim's figure, and what those hold today where it is less."""
    if subject.measure == "trade":
        return _trade_holders(engine, subject)
    return [f"{sid} ({registry.get(sid).SOURCE.publisher})" for sid in HOLDERS.get(subject.measure, ())]


def _trade_holders(engine: Engine, subject: Subject) -> list[str]:
    holders = []
    national = NATIONAL_TRADE.get(subject.geo)
    if national:
        held = _rows(engine, text("SELECT COUNT(*) AS n FROM observation o JOIN series s ON s.id = o.series_id "
                                  "WHERE o.source_id = :sid AND s.commodity LIKE :c"),
                     sid=national, c=subject.commodity + "%" if subject.commodity != "TOTAL" else "%")[0]["n"]
        gap = "" if held else f": holds no HS {subject.commodity} figure, no HS-level table recorded"
        holders.append(f"{national} ({registry.get(national).SOURCE.publisher}){gap}")
    holders.append(f"un-comtrade (reporter {subject.geo or '?'}, partner {subject.partner}"
                   + (f", HS {subject.commodity})" if subject.commodity != "TOTAL" else ")"))
    return holders


def _shown(row: dict, why: str) -> dict[str, Any]:
    shown = {"observation_id": row["id"], "value": row["value"], "unit": row["unit"], "period": _dates(row),
             "source": row["source_id"], "document": row["url"],
             "series": f"{row['indicator']} {row['geo']}" + (f"->{row['partner']}" if row["partner"] else "")
             + (f" {row['commodity']}" if row["commodity"] else "") + (f" {row['flow']}" if row["flow"] else "")}
    if row["flags"]:
        shown["flags"] = row["flags"]
    if why:
        shown["note"] = why
    return shown


def _dates(row: dict) -> str:
    start, end = _day(row["period_start"]), _day(row["period_end"])
    return str(end) if start == end else f"{start}..{end}"


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _period_words(when: When, as_of: TextDate) -> str:
    if when.kind != "as_of":
        return f"{when.kind} {when.start if when.kind == 'date' else _span(when)} (the sentence: {when.said!r})"
    reason = f"'{when.said}' in the sentence" if when.said else "no date in the sentence"
    if as_of.day is None:
        return f"the latest figure held ({reason}; {as_of.said})"
    return f"as of {as_of.day} ({reason}; {as_of.said})"


def _span(when: When) -> str:
    return str(when.start.year) if when.kind == "year" else when.start.strftime("%Y-%m")
