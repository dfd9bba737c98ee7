"""Derived totals of a Comext workbook: what the download does not state but a reader needs.

- a year of one CN8 row (``derived=sum_of_months``): ``sum:cell:Sheet 37!O52:Z52``;
- an HS4 heading per reporter and partner, by month and by year (``derived=sum_of_cn8``): the same
  cells of every sheet of a CN8 code under that heading, ``sum:cell:Sheet 35!AA52 + cell:Sheet 36!AA52 ...``;
  it adds the CN8 codes the workbook holds (``cn8_codes=N``), which may be fewer than the heading has;
- the EU per partner, CN8 code or HS4 heading and year (``derived=sum_of_member_states``), only when
  the rows are exactly the 27 member states: a sheet range filtered on the partner column,
  ``sum:cell:Sheet 35!O12:Z200|B=Kazakhstan + ...``.

A total adds the published cells of its range. ':' cells are not zeros: a total over any of them,
or over a year the workbook does not hold in full (December 2022 was not yet published: ':'
everywhere), is flagged ``partial`` with ``not_available=N`` (':' cells in the range),
``months_absent=N`` (months of the year not in the workbook) and ``months_unpublished=N`` (months
that are ':' in every cell of the workbook). A range with no published cell gives no total at all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Callable, Iterable, Iterator

from extractors.base import Document, Record
from extractors.comext_labels import EU27_SUM, MEMBER_STATES, member_name
from extractors.comext_xlsx import Line, Period, Sheet, Workbook, flow_code, product_code, unit
from extractors.locators import SUM_SEPARATOR, cell_name

INDICATOR = "trade_value"


@dataclass(frozen=True)
class Part:
    """One range of one sheet: rows r0..r1, columns cols; rows filtered on a column's label."""

    sheet: Sheet
    rows: tuple[int, ...]
    cols: tuple[int, ...]
    where: tuple[int, str] | None = None  # (column, label): only rows with this label there

    def locator(self) -> str:
        (r0, r1), (c0, c1) = (min(self.rows), max(self.rows)), (min(self.cols), max(self.cols))
        ref = cell_name(r0, c0) if (r0, c0) == (r1, c1) else f"{cell_name(r0, c0)}:{cell_name(r1, c1)}"
        where = f"|{cell_name(0, self.where[0])[:-1]}={self.where[1]}" if self.where else ""
        return f"cell:{self.sheet.name}!{ref}{where}"


@dataclass
class Key:
    product: str
    flow: str
    unit: str
    reporter: str
    partner: str


def totals(doc: Document, book: Workbook) -> list[Record]:
    if not any(p.monthly for s in book.sheets for p in s.periods):
        return []  # yearly columns are already the year's figure
    keyed = [(s, line, _key(doc, s, line)) for s in book.sheets for line in s.lines]
    unpublished = _unpublished(book)
    filled = [(s, line, k) for s, line, k in keyed if any(v is not None for v in line.values.values())]
    out = list(_years_of_rows(filled, book, unpublished))  # rows of ':' only give no total
    out += _headings(doc, keyed, book, unpublished)
    out += _eu(keyed, book, unpublished)
    return out


def _key(doc: Document, sheet: Sheet, line: Line) -> Key:
    return Key(product_code(doc, sheet, line), flow_code(doc, sheet, line), unit(doc, sheet, line),
               sheet.dim(line, "REPORTER"), sheet.dim(line, "PARTNER"))


def _unpublished(book: Workbook) -> set[date]:
    """Months that are ':' in every cell of the workbook: not yet published."""
    seen: dict[date, bool] = {}
    for s in book.sheets:
        for p in s.periods:
            published = any(line.values.get(p.col) is not None for line in s.lines)
            seen[p.start] = seen.get(p.start, False) or published
    return {month for month, published in seen.items() if not published}


def _years_of_rows(keyed, book: Workbook, unpublished: set[date]) -> Iterator[Record]:
    for sheet, line, key in keyed:
        for year, periods in sheet.years.items():
            parts = lambda: [Part(sheet, (line.row,), tuple(p.col for p in periods))]  # noqa: E731
            yield from _total(key, key.product, key.reporter, _year(year), parts, [line.values],
                              periods, book, unpublished, "derived=sum_of_months")


def _headings(doc: Document, keyed, book: Workbook, unpublished: set[date]) -> Iterator[Record]:
    """A heading's range holds every CN8 row of the reporter and partner, rows of ':' only too (a
    confidential CN8 code makes the heading's total partial)."""
    published_codes = {k.product for _, _, k in keyed}
    groups: dict[tuple, list[tuple[Sheet, Line, Key]]] = defaultdict(list)
    for sheet, line, key in keyed:
        if len(key.product) == 8 and key.product.isdigit() and key.product[:4] not in published_codes:
            groups[(key.product[:4], key.flow, key.unit, key.reporter, key.partner, sheet.layout)].append(
                (sheet, line, key))
    for (heading, *_), members in groups.items():
        rows = [line.values for _, line, _ in members]
        if not any(v is not None for r in rows for v in r.values()):
            continue
        key, codes = members[0][2], len({k.product for _, _, k in members})
        flags = (f"cn8_codes={codes}",)
        sheet0 = members[0][0]
        for p in (p for p in sheet0.periods if any(r.get(p.col) is not None for r in rows)):  # each month
            parts = lambda p=p: [Part(s, (line.row,), (p.col,)) for s, line, _ in members]  # noqa: E731
            yield from _total(key, heading, key.reporter, (p.start, p.end), parts, rows, [p], book,
                              unpublished, "derived=sum_of_cn8", flags)
        for year, periods in sheet0.years.items():
            cols = tuple(p.col for p in periods)
            parts = lambda cols=cols: [Part(s, (line.row,), cols) for s, line, _ in members]  # noqa: E731
            yield from _total(key, heading, key.reporter, _year(year), parts, rows, periods, book,
                              unpublished, "derived=sum_of_cn8", flags)


def _eu(keyed, book: Workbook, unpublished: set[date]) -> Iterator[Record]:
    """Per partner, CN8 code (and HS4 heading) and year: the sum of the 27 member states' rows."""
    if {member_name(k.reporter) for _, _, k in keyed} != set(MEMBER_STATES):
        return  # other reporters, or not all 27: no EU total
    by_sheet_partner: dict[tuple[str, str], list[tuple[Sheet, Line, Key]]] = defaultdict(list)
    for sheet, line, key in keyed:
        by_sheet_partner[(sheet.name, key.partner)].append((sheet, line, key))
    codes = {}
    for (name, partner), members in by_sheet_partner.items():
        sheet = members[0][0]
        if "PARTNER" not in sheet.row_dims or {member_name(k.reporter) for _, _, k in members} != set(MEMBER_STATES):
            continue
        if len({k.product for _, _, k in members}) != 1:
            continue  # products down the rows: a sheet range would mix them
        codes[(name, partner)] = members
    headings: dict[tuple, list] = defaultdict(list)
    for (name, partner), members in codes.items():
        key = members[0][2]
        yield from _eu_years(key, key.product, [members], book, unpublished, ())
        if len(key.product) == 8 and key.product.isdigit():
            headings[(key.product[:4], key.flow, key.unit, partner, members[0][0].layout)].append(members)
    published = {k.product for _, _, k in keyed}
    for (heading, *_), groups in headings.items():
        if heading not in published:
            key = groups[0][0][2]
            flags = (f"cn8_codes={len({g[0][2].product for g in groups})}",)
            yield from _eu_years(key, heading, groups, book, unpublished, flags)


def _eu_years(key: Key, product: str, groups: list[list], book: Workbook, unpublished: set[date],
              flags: tuple[str, ...]) -> Iterator[Record]:
    sheet0 = groups[0][0][0]
    partner_col = sheet0.row_dims.index("PARTNER")
    for year, periods in sheet0.years.items():
        cols = tuple(p.col for p in periods)
        parts, rows = [], []
        for members in groups:
            sheet = members[0][0]
            parts.append(Part(sheet, (sheet.first_row, sheet.last_row), cols, (partner_col, key.partner)))
            rows += [line.values for _, line, _ in members]
        yield from _total(key, product, EU27_SUM, _year(year), lambda parts=parts: parts, rows, periods, book,
                          unpublished, "derived=sum_of_member_states", flags)


def _total(key: Key, product: str, geo: str, period: tuple[date, date], parts: Callable[[], list[Part]],
           rows: list[dict[int, float | None]], periods: list[Period], book: Workbook,
           unpublished: set[date], basis: str, extra: tuple[str, ...] = ()) -> Iterable[Record]:
    cols = [p.col for p in periods]
    published = [v for row in rows for c in cols if (v := row.get(c)) is not None]
    if not published:
        return ()  # no published cell: no figure, never a zero
    cells = len(rows) * len(cols)
    missing = cells - len(published)
    absent = 12 - len(periods) if period == _year(period[0].year) else 0
    late = sum(1 for p in periods if p.start in unpublished)
    flags = (basis, *extra)
    if missing or absent:
        flags += ("partial", f"not_available={missing}")
        flags += (f"months_absent={absent}",) if absent else ()
        flags += (f"months_unpublished={late}",) if late else ()
    return (Record(INDICATOR, geo, period[0], period[1], float(sum(published)), key.unit,
                   "sum:" + SUM_SEPARATOR.join(p.locator() for p in parts()), partner=key.partner,
                   commodity=product, flow=key.flow, raw=f"{len(published)} of {cells} cells published",
                   vintage=book.updated, flags=flags),)


def _year(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)

