"""Displacement family: refugees per host country (UNHCR), IDPs per oblast and round (IOM DTM).

IOM DTM (``iom-dtm-idps``): geos are coded by transforms/codes_ua.py (ISO 3166-2:UA, UA-MACRO-*,
UA-UNKNOWN, UA-OTHER); shares ("fraction of IDPs") are not counts. A row whose pcode disagrees
with its name keeps the name's code and gets the flag ``pcode_conflict=<pcode>``.
IOM's workbooks state no national IDP total, so one is derived per round and marked as derived
(method "derived", geo UKR): the sum of the oblast table's IDPs, the residence-unknown row included,
or for a round without an oblast table, of the macro-regions by current location. Its locator
``sum:<locator> + <locator> ...`` lists the observations it adds up (the loader links them in
``derivation``); flags say the basis (``derived=sum_of_oblasts``) and ``parts_missing=N`` where the
publisher wrote "n/a" for a part.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import groupby
from typing import Iterable

import pandas as pd

from extractors.base import Document, Parsed, Record
from extractors.locators import SUM_SEPARATOR
from transforms.codes import country_code
from transforms.codes_ua import MACRO_PREFIX, geo_code, pcode_conflict
from transforms.common import Batch, records_frame, validate

IOM = "iom-dtm-idps"
PERSONS, NATIONAL = "persons", "UKR"


def normalise(source_id: str, parsed: list[tuple[Document, Parsed]]) -> Batch:
    if source_id == IOM:
        return Batch(observations=validate(source_id, iom_frame(source_id, parsed)))
    pairs = ((r, doc.sha256) for doc, p in parsed for r in p.records)
    frame = records_frame(source_id, pairs, geo=country_code, partner=country_code)
    return Batch(observations=validate(source_id, frame))


def iom_frame(source_id: str, parsed: list[tuple[Document, Parsed]]) -> pd.DataFrame:
    pairs = [(r, doc.sha256) for doc, p in parsed for r in p.records]
    counts = records_frame(source_id, ((_checked(r), sha) for r, sha in pairs if r.unit == PERSONS), geo=geo_code)
    shares = records_frame(source_id, ((r, sha) for r, sha in pairs if r.unit != PERSONS), geo=geo_code,
                           is_count=False)
    derived = records_frame(source_id, national_sums(parsed), geo=lambda geo: geo)
    derived["method"] = "derived"
    frames = [f for f in (counts, shares, derived) if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else counts


def _checked(record: Record) -> Record:
    if pcode_conflict(record.geo):
        return replace(record, flags=record.flags + (f"pcode_conflict={record.geo.partition('|')[0]}",))
    return record


def national_sums(parsed: list[tuple[Document, Parsed]]) -> Iterable[tuple[Record, str]]:
    """One derived national IDP figure per document and survey date."""
    for doc, p in parsed:
        idps = sorted((r for r in p.records if r.indicator == "idps" and r.unit == PERSONS),
                      key=lambda r: (r.period_start, r.period_end))
        for (start, end), group in groupby(idps, key=lambda r: (r.period_start, r.period_end)):
            group = list(group)
            parts = [r for r in group if not r.geo.startswith(MACRO_PREFIX)]
            basis = "sum_of_oblasts" if parts else "sum_of_macro_regions"
            parts = parts or group
            known = [r for r in parts if r.value is not None]
            if not known:
                continue
            flags = (f"derived={basis}", *(f for f in known[0].flags if f.startswith("round=")))
            if len(known) < len(parts):
                flags += (f"parts_missing={len(parts) - len(known)}",)
            yield Record("idps", NATIONAL, start, end, sum(r.value for r in known), PERSONS,
                         "sum:" + SUM_SEPARATOR.join(r.locator for r in known),
                         raw=SUM_SEPARATOR.join(r.raw for r in known), vintage=known[0].vintage,
                         flags=flags), doc.sha256
