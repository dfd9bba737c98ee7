"""SDMX-ML 2.1 data messages, read with ``sdmx1`` (the field's library), and Eurostat's other answers.

A data request to Eurostat can be answered four ways, told apart by ``answer``:
- a data message (structure-specific or generic): observations, each with its series key, period,
  value and attributes, located by an XPath naming the series key and the period (not a position);
- the older service's "too large" message: no DataSet, a footer ``Message code="413"`` whose texts give
  the URL of a file to come back for (two recorded: replay/eurostat-sdmx/too-large/);
- today's asynchronous answer: a SOAP envelope with ``asyncResponse`` holding a key and a status
  (built from Eurostat's "Asynchronous API" documentation; no answer of this kind was recorded);
- HTTP 413 (EXTRACTION_TOO_BIG) never reaches a parser: the client raises it (eurostat_sdmx narrows).
Without the data structure definition sdmx1 cannot tell dimensions from attributes on a flat ``Obs``;
Eurostat names dimensions in lower case and attributes in upper case, which decides it here.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone

import sdmx
from lxml import etree

from extractors.base import Document, LayoutChanged

logging.getLogger("sdmx").setLevel(logging.ERROR)  # "no structure= argument": expected, we read without a DSD
_PARSER = dict(resolve_entities=False, no_network=True, huge_tree=False)
SERIES = "*[local-name()='Series']"
OBS = "*[local-name()='Obs']"


@dataclass(frozen=True)
class Observation:
    key: dict[str, str]  # series key plus any dimension given on the Obs itself
    period: str
    value: str | None  # as written; None where OBS_VALUE is absent or NaN
    attributes: dict[str, str]
    locator: str


@dataclass
class Message:
    dataset_id: str
    prepared: datetime
    observations: list[Observation] = field(default_factory=list)


@dataclass(frozen=True)
class TooLarge:
    """The older service's footer 413: the result will be written to ``file_url``."""

    file_url: str
    text: str


@dataclass(frozen=True)
class Async:
    """Today's asynchronous delivery: come back with ``key`` to the async endpoint."""

    key: str
    status: str


def answer(doc: Document) -> Message | TooLarge | Async:
    root = _root(doc)
    name = etree.QName(root).localname
    if name == "Envelope":
        return _async(doc, root)
    if name not in ("StructureSpecificData", "GenericData"):
        raise LayoutChanged(doc.source_id, doc.url, f"root is {name!r}, not an SDMX-ML 2.1 data message")
    try:
        message = sdmx.read_sdmx(io.BytesIO(doc.content))
    except Exception as exc:  # noqa: BLE001 (sdmx1 raises many kinds; all mean the same here)
        what = " ".join(str(exc).split())[:200]
        raise LayoutChanged(doc.source_id, doc.url, f"sdmx1 cannot read it: {type(exc).__name__}: {what}") from None
    footer = getattr(message, "footer", None)
    if footer is not None and int(footer.code or 0) == 413:
        return _too_large(doc, footer)
    return _message(doc, root, message)


def read(doc: Document) -> Message:
    """A data message, or LayoutChanged saying what else the answer was (never an empty message)."""
    found = answer(doc)
    if isinstance(found, TooLarge):
        raise QueryTooLarge(doc, f"the query was too large (footer code 413): the result is to be fetched "
                                 f"from {found.file_url}")
    if isinstance(found, Async):
        raise QueryTooLarge(doc, f"Eurostat answered asynchronously (key {found.key}, status {found.status})")
    return found


class QueryTooLarge(LayoutChanged):
    """Not data but Eurostat's 'too large' or 'come back later' answer: never loaded as 'no data'."""

    def __init__(self, doc: Document, what: str):
        super().__init__(doc.source_id, doc.url, what)


def _root(doc: Document):
    try:
        return etree.fromstring(doc.content, etree.XMLParser(**_PARSER))
    except etree.XMLSyntaxError as exc:
        raise LayoutChanged(doc.source_id, doc.url, f"not XML: {exc}") from None


def _message(doc: Document, root, message) -> Message:
    prepared = message.header.prepared
    if prepared is None or not _has(root, "Prepared"):
        raise LayoutChanged(doc.source_id, doc.url, "no Prepared element in the header")
    if not message.data:
        raise LayoutChanged(doc.source_id, doc.url, "no DataSet element")
    dataset_id = _dataset_id(root, message)
    result = Message(dataset_id, prepared if prepared.tzinfo else prepared.replace(tzinfo=timezone.utc))
    for d, dataset in enumerate(message.data, start=1):
        result.observations += [_observation(doc, obs, d) for obs in dataset.obs]
    if not result.observations:
        raise LayoutChanged(doc.source_id, doc.url, "the data set holds no Obs")
    return result


def _observation(doc: Document, obs, d: int) -> Observation:
    period = obs.dimension.values.get("TIME_PERIOD") if obs.dimension is not None else None
    if period is None:
        raise LayoutChanged(doc.source_id, doc.url, f"DataSet {d}: an Obs without TIME_PERIOD")
    on_series = {k: str(v.value) for k, v in obs.series_key.values.items()} if obs.series_key is not None else {}
    attached = {k: str(v.value) for k, v in obs.attached_attribute.items()}
    # Without the DSD: Eurostat's dimensions are lower case, its attributes upper case (OBS_FLAG ...)
    series = {k: v for k, v in on_series.items() if k.islower()}
    on_obs = {k: v for k, v in attached.items() if k.islower()}
    attributes = {k: v for k, v in {**on_series, **attached}.items() if not k.islower()}
    value = None if obs.value is None or str(obs.value).strip().lower() == "nan" else str(obs.value)
    return Observation({**series, **on_obs}, str(period.value), value, attributes,
                       _locator(d, on_series, on_obs, str(period.value)))


def _locator(d: int, series: dict[str, str], on_obs: dict[str, str], period: str) -> str:
    """XPath by series key and period, so it points at the same figure whatever the order."""
    dataset = f"(//*[local-name()='DataSet'])[{d}]"
    obs_filter = "".join(f"[@{k}='{v}']" for k, v in {**on_obs, "TIME_PERIOD": period}.items())
    if series:
        series_filter = "".join(f"[@{k}='{v}']" for k, v in series.items())
        return f"xpath:{dataset}/{SERIES}{series_filter}/{OBS}{obs_filter}/@OBS_VALUE"
    return f"xpath:{dataset}/{OBS}{obs_filter}/@OBS_VALUE"


def _dataset_id(root, message) -> str:
    found = [e.text.strip() for e in root.iter() if isinstance(e.tag, str)
             and etree.QName(e).localname == "DataSetID" and e.text]
    if found:
        return found[0]
    structure = getattr(message.data[0], "structured_by", None)
    return str(getattr(structure, "id", "") or "")


def _has(root, name: str) -> bool:
    return any(isinstance(e.tag, str) and etree.QName(e).localname == name for e in root.iter())


def _too_large(doc: Document, footer) -> TooLarge:
    texts = [str(t) for t in footer.text]
    urls = [t.strip() for t in texts if t.strip().startswith(("http://", "https://"))]
    if not urls:
        raise LayoutChanged(doc.source_id, doc.url, f"footer code 413 names no file URL: {texts!r}")
    return TooLarge(urls[0], " ".join(texts))


def _async(doc: Document, root) -> Async:
    values = {etree.QName(e).localname: (e.text or "").strip() for e in root.iter() if isinstance(e.tag, str)}
    if not any(etree.QName(e).localname in ("asyncResponse", "asyncStatusResponse") for e in root.iter()
               if isinstance(e.tag, str)) or not values.get("key") or not values.get("status"):
        raise LayoutChanged(doc.source_id, doc.url, "a SOAP envelope that is not Eurostat's asynchronous "
                            "answer (asyncResponse with key and status)")
    return Async(values["key"], values["status"])
