"""Eurostat's dissemination API for Comext datasets: the requests a watch list makes, and the answers.

Eurostat documents a separate API base for Comext and Prodcom datasets,
``https://ec.europa.eu/eurostat/api/comext/dissemination`` (the main base without ``comext/`` serves
the other datasets), with the same services:
- API Statistics (JSON-stat 2.0): ``{base}/statistics/1.0/data/{dataset}?format=JSON&lang=EN&{filters}``,
  where any dimension is a filter by name (``reporter=DE``), repeated for several values, and time is
  filtered with ``sinceTimePeriod`` / ``untilTimePeriod``;
- SDMX 2.1 structure queries: ``{base}/sdmx/2.1/dataflow/ESTAT/{dataset}``, the dataflow, whose
  annotations carry the dataset's update dates (``UPDATE_DATA``: the "last update of data" a Data
  Browser download states on its Summary sheet). Comext's ``DS-`` datasets are not in Eurostat's
  table of contents, so this is where a run learns that the dataset changed.

**Neither answer was ever recorded** (only Data Browser downloads were): the requests are built from
the documentation and tested as requests; the readers below refuse anything they do not expect.
"""

from __future__ import annotations

import calendar
import json
import re
from dataclasses import dataclass
from datetime import date
from itertools import product as cartesian
from urllib.parse import urlencode

from lxml import etree

from extractors.base import Document, LayoutChanged, Record, WatchList
from extractors.comext_labels import MEMBER_CODES
from extractors.comext_csv import FLOW_CODES

BASE = "https://ec.europa.eu/eurostat/api/comext/dissemination"
DATASET = "DS-045409"  # EU trade since 1988 by HS2-4-6 and CN8 (the recorded workbook's dataset)
UPDATE_DATA = "UPDATE_DATA"
DIMENSIONS = ("freq", "reporter", "partner", "product", "flow", "indicators", "time")
# ISO alpha-3 -> Eurostat's two-letter code (ISO alpha-2 except Greece, EL)
_EL = {"GRC": "EL"}


@dataclass(frozen=True)
class Request:
    url: str  # the full URL with its query (the candidate's key)
    product: str
    partner: str


def dataflow_url(dataset: str = DATASET) -> str:
    return f"{BASE}/sdmx/2.1/dataflow/ESTAT/{dataset}"


def requests_for(watch: WatchList, since: str, dataset: str = DATASET, flow: str = "X") -> list[Request]:
    """One request per watched HS code and partner (the watched transit reporters, and Russia): every
    EU member state as reporter, monthly, in EUR.
    A request per (code, partner) keeps each answer small (Eurostat answers a too-large query with 413)."""
    import pycountry

    reporters = sorted(MEMBER_CODES)
    out = []
    partners = list(dict.fromkeys(p for p in (*watch.reporters, *watch.partners) if p != "WLD"))
    for code, partner in cartesian(watch.hs_codes, partners):
        country = pycountry.countries.get(alpha_3=partner)
        if country is None:
            raise ValueError(f"watch list partner {partner!r} is not an ISO alpha-3 code")
        two = _EL.get(partner, country.alpha_2)
        flow_code = next(c for c, f in FLOW_CODES.items() if f == flow)
        query = [("format", "JSON"), ("lang", "EN"), ("freq", "M"), *[("reporter", r) for r in reporters],
                 ("partner", two), ("product", code), ("flow", flow_code), ("indicators", "VALUE_IN_EUROS"),
                 ("sinceTimePeriod", since)]
        out.append(Request(f"{BASE}/statistics/1.0/data/{dataset}?{urlencode(query)}", code, two))
    return out


def is_api_url(url: str) -> bool:
    return url.startswith(BASE + "/")


def is_dataflow_url(url: str) -> bool:
    return url.startswith(f"{BASE}/sdmx/2.1/dataflow/")


def update_of_data(doc: Document) -> str:
    """The dataflow's UPDATE_DATA annotation (its 'last update of data'), as written."""
    try:
        root = etree.fromstring(doc.content, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise LayoutChanged(doc.source_id, doc.url, f"dataflow answer is not XML: {exc}") from None
    for annotation in root.iter("{*}Annotation"):
        kind = annotation.find("{*}AnnotationType")
        if kind is not None and (kind.text or "").strip() == UPDATE_DATA:
            title = annotation.find("{*}AnnotationTitle")
            if title is not None and (title.text or "").strip():
                return title.text.strip()
    raise LayoutChanged(doc.source_id, doc.url, f"the dataflow states no {UPDATE_DATA} annotation "
                        f"(root {etree.QName(root).localname!r})")


def read_jsonstat(doc: Document) -> tuple[list[Record], int]:
    """A JSON-stat 2.0 dataset -> (one record per published value, cells not published)."""
    try:
        data = json.loads(doc.content)
    except ValueError as exc:
        raise LayoutChanged(doc.source_id, doc.url, f"not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("class") != "dataset" or "id" not in data or "size" not in data:
        keys = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise LayoutChanged(doc.source_id, doc.url, f"not a JSON-stat dataset (found {keys})")
    ids = [str(i).lower() for i in data["id"]]
    if sorted(ids) != sorted(DIMENSIONS):
        raise LayoutChanged(doc.source_id, doc.url, f"dimensions {ids}, expected {sorted(DIMENSIONS)}")
    codes = [_codes(doc, data, name) for name in data["id"]]
    values = data.get("value")
    cells = dict(enumerate(values)) if isinstance(values, list) else {int(k): v for k, v in (values or {}).items()}
    total = 1
    for size in data["size"]:
        total *= int(size)
    records = [_record(doc, dict(zip(ids, _position(i, data["size"], codes))), i, v, data)
               for i, v in sorted(cells.items()) if v is not None]
    return records, total - len(records)


def _codes(doc: Document, data: dict, name: str) -> list[tuple[str, str]]:
    category = (data.get("dimension") or {}).get(name, {}).get("category", {})
    index = category.get("index")
    if isinstance(index, dict):
        ordered = sorted(index, key=index.get)
    elif isinstance(index, list):
        ordered = index
    else:
        raise LayoutChanged(doc.source_id, doc.url, f"dimension {name!r} has no category index")
    labels = category.get("label", {})
    return [(code, labels.get(code, code)) for code in ordered]


def _position(index: int, sizes: list[int], codes: list[list[tuple[str, str]]]) -> list[tuple[str, str]]:
    out = []
    for size, dim in zip(reversed(sizes), reversed(codes)):
        index, at = divmod(index, int(size))
        out.append(dim[at])
    return list(reversed(out))


def _record(doc: Document, at: dict[str, tuple[str, str]], index: int, value, data: dict) -> Record:
    if at["indicators"][0] != "VALUE_IN_EUROS" or at["freq"][0] != "M" or at["flow"][0] not in FLOW_CODES:
        raise LayoutChanged(doc.source_id, doc.url, f"cell {index}: {at['indicators'][0]} / {at['freq'][0]} / "
                            f"flow {at['flow'][0]}; this reader takes monthly VALUE_IN_EUROS exports or imports")
    if not isinstance(value, (int, float)):
        raise LayoutChanged(doc.source_id, doc.url, f"cell {index}: value {value!r} is not a number")
    period = at["time"][0]
    month_of = re.fullmatch(r"(\d{4})-?M?(\d{2})", period)  # '2022-04' (or SDMX's '2022M04')
    if not month_of or not 1 <= int(month_of.group(2)) <= 12:
        raise LayoutChanged(doc.source_id, doc.url, f"cell {index}: period {period!r} is not YYYY-MM")
    year, month = int(month_of.group(1)), int(month_of.group(2))
    start = date(year, month, 1)
    end = date(year, month, calendar.monthrange(year, month)[1])
    updated = str(data.get("updated", ""))[:10]
    return Record("trade_value", at["reporter"][0], start, end, float(value), "EUR", f"json:/value/{index}",
                  partner=at["partner"][0], commodity=at["product"][0], flow=FLOW_CODES[at["flow"][0]],
                  raw=str(value), vintage=date.fromisoformat(updated) if updated else None)
