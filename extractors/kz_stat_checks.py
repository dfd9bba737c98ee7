"""Per-release assertions for the Kazakhstan releases (kept apart so the parser module stays short).

Checked for each release and year: the total row is there, at least ``MIN_PARTNERS`` partners,
exports to Russia within a plausible range, the CIS member rows not above the CIS group and the
CIS group not above the total (groups are the Bureau's own sums, countries are never added to them).
"""

from __future__ import annotations

from collections import defaultdict

from extractors.base import CheckResult, Parsed, Record

MIN_PARTNERS = 100
RUSSIA_EXPORTS = (1e6, 5e7)  # thousand USD: USD 1-50 bn a year (5.0 bn in 2020, 10.2 bn in 2023)
TOTALS = {"всего", "всего в том числе"}
CIS_GROUP = "страны снг"
CIS_MEMBERS = {"армения", "азербайджан", "беларусь", "кыргызстан", "молдова, республика", "россия",
               "таджикистан", "узбекистан"}  # Turkmenistan is an associate, not in the Bureau's CIS group
ROUNDING = 1.0  # thousand USD: early releases round the groups to 0.1 while the countries keep 5 decimals


def _key(name: str) -> str:
    return " ".join(name.split()).lower()


def check(parsed: list[Parsed]) -> CheckResult:
    result = CheckResult()
    for p in parsed:
        by_year: dict[int, list[Record]] = defaultdict(list)
        for r in p.records:
            by_year[r.period_start.year].append(r)
        vintage = p.records[0].vintage if p.records else None
        for year, records in sorted(by_year.items()):
            _year(result, f"release {vintage} year {year}", records)
    return result


def _year(result: CheckResult, label: str, records: list[Record]) -> None:
    exports = {_key(r.partner): r.value for r in records if r.flow == "X" and r.value is not None}
    partners = {_key(r.partner) for r in records}
    total = next((exports[k] for k in TOTALS if k in exports), None)
    result.expect(total is not None, f"{label}: total (Всего) exports present")
    result.expect(len(partners) >= MIN_PARTNERS, f"{label}: at least {MIN_PARTNERS} partners ({len(partners)})")
    russia = exports.get("россия")
    low, high = RUSSIA_EXPORTS
    result.expect(russia is not None and low <= russia <= high,
                  f"{label}: exports to Russia {russia} within {low:.0f}..{high:.0f} thousand USD")
    cis = exports.get(CIS_GROUP)
    members = sum(v for k, v in exports.items() if k in CIS_MEMBERS)
    result.expect(cis is not None and members <= cis + ROUNDING,
                  f"{label}: CIS member exports {members:.1f} not above the CIS group {cis}")
    result.expect(cis is not None and total is not None and cis <= total,
                  f"{label}: CIS group exports {cis} not above the total {total}")
