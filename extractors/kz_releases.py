"""Kazakhstan's Bureau of National Statistics: how stat.gov.kz lists its release files, and the dates a
release's cover states.

The listing (``kz-stat-releases/MANIFEST.md``, read from a working scraper of the site; NO LISTING PAGE WAS
EVER RECORDED): an industry page's ``spreadsheets/`` subpage holds ``.divTableBody .divTableRow`` rows, each
with an ``a[href]`` to the file endpoint ``/api/iblock/element/<id>/file/<lang>/`` (a redirect to the static
file) and the release's title as the link text (or, when the link text is only "xls", in the row's first
``.divTableCell``). A page of any other shape raises ``LayoutChanged``; it never yields nothing.

The cover (tested on two real releases): ``Дата опубликования: dd.mm.yyyy`` / ``Date of publication: ...``
and ``Дата следующего опубликования`` / ``Date of next publication``. The first is a release's date (its
vintage); the second says when the listing should next change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urljoin

from bs4 import BeautifulSoup

from extractors import sheets
from extractors.base import Candidate, Document, LayoutChanged
from extractors.stat_tables import year_in

FILE_ENDPOINT = re.compile(r"/api/iblock/element/(\d+)/file/([a-z]{2})/?$")
_PUBLISHED = re.compile(r"(?:Дата опубликования|Date of publication)\s*:\s*(\d{2}\.\d{2}\.\d{4})", re.I)
_NEXT = re.compile(r"(?:Дата следующего опубликования|Date of next publication)\s*:\s*(\d{2}\.\d{2}\.\d{4})",
                   re.I)
COVER_ROWS = 30  # the dates stand in the cover's first rows


@dataclass(frozen=True)
class Cover:
    published: date | None
    next_publication: date | None


@dataclass(frozen=True)
class ListedFile:
    title: str
    url: str
    element: str
    lang: str


def cover_dates(book: dict[str, sheets.Rows]) -> Cover:
    """The publication and next-publication dates a release's cover states (None when it states none)."""
    published = next_publication = None
    for rows in book.values():
        for row in rows[:COVER_ROWS]:
            line = " ".join(sheets.text(v) for v in row)
            published = published or _date(_PUBLISHED.search(line))
            next_publication = next_publication or _date(_NEXT.search(line))
        if published:
            break  # the first sheet that states a date is the cover
    return Cover(published, next_publication)


def _date(match: re.Match | None) -> date | None:
    return datetime.strptime(match.group(1), "%d.%m.%Y").date() if match else None


def listed_files(doc: Document) -> list[ListedFile]:
    """Every file row of a ``spreadsheets/`` page: its title and its file endpoint."""
    soup = BeautifulSoup(doc.content, "lxml")
    rows = soup.select(".divTableBody .divTableRow")
    if not rows:
        raise LayoutChanged(doc.source_id, doc.url, "no '.divTableBody .divTableRow' rows: not the Bureau's "
                            "spreadsheets listing as its site was known to lay it out")
    return [_row(doc, row) for row in rows]


def _row(doc: Document, row) -> ListedFile:
    link = row.find("a", href=True)
    found = FILE_ENDPOINT.search(link["href"].split("?")[0]) if link else None
    if found is None:
        raise LayoutChanged(doc.source_id, doc.url, f"a listing row has no link to /api/iblock/element/<id>/file/"
                            f"<lang>/: {sheets.text(row.get_text(' '))[:160]!r}")
    title = sheets.text(link.get_text(" "))
    if not title or title.lower() == "xls":
        cell = row.select_one(".divTableCell")
        title = sheets.text(cell.get_text(" ")) if cell else ""
    if not title:
        raise LayoutChanged(doc.source_id, doc.url, f"the row linking {link['href']} names no release")
    return ListedFile(title, urljoin(doc.url, link["href"]), found.group(1), found.group(2))


def release_candidates(doc: Document, title_words: str) -> list[Candidate]:
    """The listed files whose title contains ``title_words``; none is a layout change, not an empty run."""
    chosen = [f for f in listed_files(doc) if title_words in f.title.lower()]
    if not chosen:
        titles = [f.title for f in listed_files(doc)][:10]
        raise LayoutChanged(doc.source_id, doc.url, f"no release titled '{title_words}' among {titles}")
    return [Candidate(url=f.url, key=f"iblock-element-{f.element}-{f.lang}", version=f.title, title=f.title,
                      period_start=_year_start(f.title), period_end=_year_end(f.title)) for f in chosen]


def _year_start(title: str) -> date | None:
    year = year_in(title)
    return date(year, 1, 1) if year else None


def _year_end(title: str) -> date | None:
    year = year_in(title)
    return date(year, 12, 31) if year else None
