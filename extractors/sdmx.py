"""SDMX-ML 2.1 structure-specific data messages, read generically.

Namespace prefixes and URIs vary per message (Eurostat's dataset namespace is a URN naming the DSD),
so elements are found by local name: ``Header/Prepared``, ``DataSet``, ``Series`` (its attributes are
the series key) and ``Obs`` (``TIME_PERIOD``, ``OBS_VALUE`` as a decimal string, other attributes
such as ``OBS_FLAG``). With ``dimensionAtObservation="AllDimensions"`` the ``Obs`` stand directly in
the data set and carry the whole key. Each observation gets a namespace-free XPath locator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from extractors.base import Document, LayoutChanged

_PARSER = dict(resolve_entities=False, no_network=True, huge_tree=False)


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


def _local(element) -> str:
    return etree.QName(element).localname


def _child(parent, name: str):
    return next((c for c in parent if isinstance(c.tag, str) and _local(c) == name), None)


def _children(parent, name: str) -> list:
    return [c for c in parent if isinstance(c.tag, str) and _local(c) == name]


def _step(name: str) -> str:
    return f"*[local-name()='{name}']"


def read(doc: Document) -> Message:
    try:
        root = etree.fromstring(doc.content, etree.XMLParser(**_PARSER))
    except etree.XMLSyntaxError as exc:
        raise LayoutChanged(doc.source_id, doc.url, f"not XML: {exc}") from None
    if _local(root) != "StructureSpecificData":
        raise LayoutChanged(doc.source_id, doc.url, f"root is {_local(root)!r}, not StructureSpecificData")
    header = _need(doc, root, "Header")
    message = Message(_text(_child(header, "DataSetID")), _prepared(doc, _need(doc, header, "Prepared")))
    datasets = _children(root, "DataSet")
    if not datasets:
        raise LayoutChanged(doc.source_id, doc.url, "no DataSet element")
    for d, dataset in enumerate(datasets, start=1):
        base = f"(/{_step('StructureSpecificData')}/{_step('DataSet')})[{d}]"
        for s, series in enumerate(_children(dataset, "Series"), start=1):
            where = f"{base}/{_step('Series')}[{s}]"
            message.observations += _observations(doc, series, dict(series.attrib), where)
        message.observations += _observations(doc, dataset, {}, base)
    if not message.observations:
        raise LayoutChanged(doc.source_id, doc.url, "the data set holds no Obs")
    return message


def _observations(doc: Document, parent, key: dict[str, str], where: str) -> list[Observation]:
    found = []
    for o, obs in enumerate(_children(parent, "Obs"), start=1):
        attrs = dict(obs.attrib)
        locator = f"xpath:{where}/{_step('Obs')}[{o}]/@OBS_VALUE"
        if "TIME_PERIOD" not in attrs:
            raise LayoutChanged(doc.source_id, doc.url, f"{locator[6:]}: Obs without TIME_PERIOD")
        period, value = attrs.pop("TIME_PERIOD"), attrs.pop("OBS_VALUE", None)
        if value is not None and value.strip().lower() == "nan":
            value = None
        dims = {k: attrs.pop(k) for k in list(attrs) if k.islower()}  # Eurostat names dimensions in lower case
        found.append(Observation({**key, **dims}, period, value, attrs, locator))
    return found


def _need(doc: Document, parent, name: str):
    found = _child(parent, name)
    if found is None:
        raise LayoutChanged(doc.source_id, doc.url, f"no {name} element under {_local(parent)}")
    return found


def _text(element) -> str:
    return (element.text or "").strip() if element is not None else ""


def _prepared(doc: Document, element) -> datetime:
    try:
        return datetime.fromisoformat(_text(element).replace("Z", "+00:00"))
    except ValueError:
        raise LayoutChanged(doc.source_id, doc.url, f"Prepared is {_text(element)!r}, not a date-time") from None
