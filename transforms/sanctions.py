"""Sanctions family: EU notices (legal acts, press releases), consolidated-list designations and figures.

Figures keep the parser's series fields: ``geo`` "EU" becomes the aggregate code ``AGG-EU``; the FSF
counts carry the programme in ``commodity`` ("programme:UKR") and the subject type in ``flow``
("subject:person"); a Council figure per third country has that country as partner (ISO alpha-3).
Designations are a full list: only the newest list of the run (by its
generation date) is handed on, so the loader de-lists what that list no longer holds.
"""

from __future__ import annotations

from extractors.base import Document, Parsed
from transforms.codes import country_code
from transforms.common import Batch, records_frame, validate

AGGREGATES = {"EU": "AGG-EU"}


def geo_code(name: str) -> str:
    return AGGREGATES.get(name.strip()) or country_code(name)


def normalise(source_id: str, parsed: list[tuple[Document, Parsed]]) -> Batch:
    pairs = ((r, doc.sha256) for doc, p in parsed for r in p.records)
    frame = validate(source_id, records_frame(source_id, pairs, geo=geo_code, partner=country_code))
    notices = {}
    for doc, p in parsed:
        for notice in p.notices:
            notices.setdefault(notice.id, (notice, doc.sha256))
    lists = [(p.reference_date, i) for i, (_, p) in enumerate(parsed) if p.designations]
    if not lists:
        return Batch(observations=frame, notices=list(notices.values()))
    newest = parsed[max(lists, key=lambda item: (item[0] is not None, item[0] or 0, item[1]))[1]]
    return Batch(observations=frame, notices=list(notices.values()),
                 designations=[(d, newest[0].sha256) for d in newest[1].designations],
                 reference_date=newest[1].reference_date)
