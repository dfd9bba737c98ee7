"""Displacement family: refugees per host country (UNHCR), IDPs per oblast and round (IOM DTM)."""

from __future__ import annotations

from extractors.base import Document, Parsed
from transforms.codes import country_code
from transforms.common import Batch, records_frame, validate


def normalise(source_id: str, parsed: list[tuple[Document, Parsed]]) -> Batch:
    pairs = ((r, doc.sha256) for doc, p in parsed for r in p.records)
    frame = records_frame(source_id, pairs, geo=country_code, partner=country_code)
    return Batch(observations=validate(source_id, frame))
