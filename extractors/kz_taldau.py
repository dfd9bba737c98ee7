"""Kazakhstan, Bureau of National Statistics: the Taldau indicator API (declared, not parsed).

NO RESPONSE HAS EVER BEEN RECORDED, so the shape of Taldau's answer is unknown and this module does
not guess it: ``parse`` refuses every document with an error saying so. The documented request form is
``https://taldau.stat.gov.kz/ru/Api/GetIndexData/<indicator>?period=<p>&dics=<d>``; a run names its
queries in its ``Params`` (``queries: [{"indicator": ..., "period": ..., "dics": ...}]``). The
replay manifest is empty on purpose, so a replay run reports the source as not run
(``pipeline.not_recorded``). To finish it: record real responses into ``replay/kz-taldau/``, then write
the parser and its tests against them.
"""

from __future__ import annotations

from typing import Iterable

from pydantic import BaseModel, ConfigDict, Field

from extractors.base import (
    LIVE_DECLARED, CheckResult, Discovery, Document, FetchOptions, LayoutChanged, Parsed, SanctraceError,
    SourceClient, SourceInfo, SourceParams,
)

SOURCE = SourceInfo(
    id="kz-taldau",
    family="trade",
    publisher="Bureau of National Statistics of the Republic of Kazakhstan",
    name="Taldau information and analytical system (indicator API)",
    homepage="https://taldau.stat.gov.kz/",
    licence="Bureau of National Statistics terms of use",
    cadence="monthly",
    hosts=("taldau.stat.gov.kz",),
    landing_urls=("https://taldau.stat.gov.kz/ru/Api/GetIndexData/",),
    parser_version="0",
    discovery=Discovery(
        kind="document-is-index", index_url="https://taldau.stat.gov.kz/ru/Api/GetIndexData/",
        status=LIVE_DECLARED,
        note="an indicator query's answer always holds the indicator's latest data; declared only: no answer "
             "was ever recorded, so nothing is parsed"),
)
ENDPOINT = "https://taldau.stat.gov.kz/ru/Api/GetIndexData/"


class TaldauQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    indicator: str = Field(description="Taldau indicator id (the path segment after GetIndexData/).")
    period: str = Field(description="Taldau period code (the 'period' query parameter).")
    dics: str = Field(description="Taldau dictionary ids (the 'dics' query parameter).")


class Params(SourceParams):
    queries: list[TaldauQuery] = Field(
        default_factory=list, description="Taldau indicator queries to request; none given: the run fails, "
                                          "naming what to set (no default query is known).")
NOT_RECORDED = ("no Taldau response was ever recorded, so its shape is unknown; record one in "
                "replay/kz-taldau/ and write the parser against it (see extractors/kz_taldau.py)")


def query_url(indicator: str) -> str:
    return f"{ENDPOINT}{indicator}"


def fetch(client: SourceClient, options: FetchOptions) -> Iterable[Document]:
    queries = options.params.queries if options.params else []
    if not queries:
        raise SanctraceError(f"[{SOURCE.id}] no query given: set the source's params 'queries' "
                             "to [{'indicator': ..., 'period': ..., 'dics': ...}]")
    for q in queries:
        yield client.get(query_url(q.indicator), params={"period": q.period, "dics": q.dics})


def parse(doc: Document) -> Parsed:
    raise LayoutChanged(doc.source_id, doc.url, NOT_RECORDED)


def check(parsed: list[Parsed]) -> CheckResult:
    return CheckResult()  # nothing is ever parsed (see parse)
