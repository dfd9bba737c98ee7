"""Casualties family: civilians killed and injured in Ukraine since 24 Feb 2022 (OHCHR, via OCHA's sheet).

Counts stay as published (cumulative from 2022-02-24 to each date) with ``cites_url`` = the OHCHR
update a row links; a count lower than an earlier date's keeps its ``decrease_vs_earlier`` flag.
"""

from __future__ import annotations

from extractors.base import Document, Parsed
from transforms.codes import country_code
from transforms.common import Batch, records_frame, validate


def normalise(source_id: str, parsed: list[tuple[Document, Parsed]]) -> Batch:
    pairs = ((r, doc.sha256) for doc, p in parsed for r in p.records)
    return Batch(observations=validate(source_id, records_frame(source_id, pairs, geo=country_code)))
