"""A source's declared assertions (SourceInfo.assertions), checked over a run's parsed documents.

A failed minimum or fill rate fails the source (never the others); a failed maximum, and fields a
document holds that no parser read, are warnings in the run summary.
"""

from __future__ import annotations

from extractors.base import CheckResult, Parsed, SourceInfo


def declared_checks(source: SourceInfo, parsed: list[Parsed], result: CheckResult) -> CheckResult:
    rules = source.assertions
    items = sum(len(p.records) + len(p.notices) + len(p.designations) for p in parsed)
    if parsed:  # nothing fetched (all known, or nothing recorded) is not a failed minimum
        result.expect(items >= rules.min_records, f"declared: {items} records >= {rules.min_records}")
    if rules.max_records is not None and items > rules.max_records:
        result.warnings.append(f"declared: {items} records > the expected maximum {rules.max_records}")
    records = [r for p in parsed for r in p.records]
    for name, least in rules.fill_rates:
        if records:
            share = sum(1 for r in records if _filled(getattr(r, name))) / len(records)
            result.expect(share >= least, f"declared: {name} filled in {share:.1%} of records >= {least:.0%}")
    unread = sorted({f for p in parsed for f in p.unread})
    if unread:
        result.warnings.append(f"fields not read: {', '.join(unread[:20])}"
                               + (f" (+{len(unread) - 20} more)" if len(unread) > 20 else ""))
    return result


def _filled(value) -> bool:
    return value is not None and value != "" and value != ()
