"""Records -> a typed observations frame, validated with pandera before it may reach the warehouse."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable, Iterable

import pandas as pd
import pandera.pandas as pa

from extractors.base import DesignationRecord, NoticeRecord, Record
from transforms import figure_row
from transforms.codes import UnknownName

COLUMNS = figure_row.NAMES  # a figure's row: transforms/figure_row.py defines it once


# A figure is stated once per release: two releases (vintages) may state the same series and period.
FIGURE_KEY = ("indicator", "geo", "partner", "commodity", "flow", "unit", "period_start", "period_end", "vintage")


class ValidationFailed(Exception):
    """Rows that failed validation, each named by its locator; the batch is not loaded."""

    def __init__(self, source_id: str, problems: list[str]):
        self.source_id, self.problems = source_id, problems
        shown = "; ".join(problems[:10]) + (f" (+{len(problems) - 10} more)" if len(problems) > 10 else "")
        super().__init__(f"[{source_id}] {len(problems)} row(s) failed validation: {shown}")


@dataclass
class Batch:
    """What one source run hands to the warehouse."""

    observations: pd.DataFrame
    notices: list[tuple[NoticeRecord, str]] = field(default_factory=list)  # (notice, snapshot sha)
    designations: list[tuple[DesignationRecord, str]] = field(default_factory=list)
    reference_date: object = None


Mapper = Callable[[str], str]


def records_frame(source_id: str, records: Iterable[tuple[Record, str]], geo: Mapper,
                  partner: Mapper | None = None, is_count: bool = True) -> pd.DataFrame:
    """(record, snapshot sha) pairs -> frame; a name a mapper cannot code fails with its locator."""
    rows, problems = [], []
    for record, sha in records:
        try:
            rows.append(_row(record, sha, geo, partner, is_count))
        except UnknownName as exc:
            problems.append(f"{exc} at {record.locator} (snapshot {sha[:12]})")
    if problems:
        raise ValidationFailed(source_id, problems)
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _row(r: Record, sha: str, geo: Mapper, partner: Mapper | None, is_count: bool) -> dict:
    return {
        "indicator": r.indicator, "geo": geo(r.geo),
        "partner": partner(r.partner) if partner and r.partner else r.partner,
        "commodity": r.commodity, "flow": r.flow, "unit": r.unit,
        "period_start": r.period_start, "period_end": r.period_end, "value": r.value,
        "is_count": is_count, "method": "published", "locator": r.locator, "raw": r.raw,
        "published_unit": r.unit, "cites_url": r.cites_url, "vintage": r.vintage,
        "flags": ",".join(r.flags), "snapshot_sha256": sha,
    }


EARLIEST = date(1946, 1, 1)  # no source here reports figures from before the UN's statistics began
FUTURE_DAYS = 400  # forecasts aside, a period ends at most about a year ahead


def _plausible(day: object) -> bool:
    return isinstance(day, date) and EARLIEST <= day <= date.today() + timedelta(days=FUTURE_DAYS)


def _schema() -> pa.DataFrameSchema:
    text = pa.Column(str, pa.Check.str_length(min_value=1))
    return pa.DataFrameSchema(
        {
            "indicator": text, "geo": text, "unit": text, "locator": text,
            "partner": pa.Column(str), "commodity": pa.Column(str), "flow": pa.Column(str),
            "value": pa.Column(float, nullable=True, coerce=True),
            "is_count": pa.Column(bool),
            "method": pa.Column(str, pa.Check.isin(["published", "derived"])),
        },
        checks=[
            pa.Check(lambda df: df["period_start"] <= df["period_end"], element_wise=False,
                     error="period_start <= period_end"),
            pa.Check(lambda df: ~df["is_count"] | df["value"].isna() | (df["value"] >= 0),
                     element_wise=False, error="counts >= 0"),
            pa.Check(lambda df: df["period_start"].map(_plausible) & df["period_end"].map(_plausible),
                     element_wise=False, error=f"period within {EARLIEST}..today+{FUTURE_DAYS} days"),
            pa.Check(lambda df: ~df.duplicated(list(FIGURE_KEY), keep=False),
                     element_wise=False, error="one figure per series, period and release"),
        ],
        strict=False,
    )


SCHEMA = _schema()


def validate(source_id: str, frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    try:
        return SCHEMA.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise ValidationFailed(source_id, _describe(frame, exc.failure_cases)) from None


def _describe(frame: pd.DataFrame, cases: pd.DataFrame) -> list[str]:
    problems = []
    for _, case in cases.iterrows():
        index = case.get("index")
        where = frame.loc[index, "locator"] if index is not None and index in frame.index else "?"
        problems.append(f"{case['check']} failed (value {case['failure_case']!r}) at {where}")
    return problems


def by_vintage(frame: pd.DataFrame) -> list[pd.DataFrame]:
    """Split a batch into one frame per release, oldest first (rows without a vintage first).

    Loaded in that order, a later release supersedes an earlier one's figure and both stay queryable.
    """
    release = frame["vintage"].map(lambda v: v if isinstance(v, date) else date.min)
    if release.nunique() <= 1:
        return [frame]
    return [frame[release == day] for day in sorted(release.unique())]
