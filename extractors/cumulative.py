"""Cumulative counts ("since 24 Feb 2022 to D") never fall: find the points that do, and flag them.

A fall is kept, never dropped: it is a publisher's correction or an error a user must see.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import groupby

from extractors.base import Record

DECREASE = "decrease_vs_earlier"


def find_decreases(records: list[Record]) -> dict[int, str]:
    """Index of each count lower than the same series' (indicator, geo) count on an earlier date -> why."""
    highest: dict[tuple[str, str], Record] = {}
    found = {}
    order = sorted(range(len(records)), key=lambda i: records[i].period_end)
    for _, group in groupby(order, key=lambda i: records[i].period_end):
        group = [i for i in group if records[i].value is not None]
        for i in group:
            r = records[i]
            top = highest.get((r.indicator, r.geo))
            if top is not None and r.value < top.value:
                found[i] = (f"{r.indicator} {r.value:.0f} on {r.period_end} ({r.locator}) is lower than "
                            f"{top.value:.0f} on {top.period_end} ({top.locator})")
        for i in group:
            r = records[i]
            top = highest.get((r.indicator, r.geo))
            if top is None or r.value > top.value:
                highest[(r.indicator, r.geo)] = r
    return found


def flag(record: Record) -> Record:
    return record if DECREASE in record.flags else replace(record, flags=record.flags + (DECREASE,))
