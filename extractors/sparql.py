"""The W3C "SPARQL 1.1 Query Results JSON Format" envelope, as the CELLAR endpoint (Virtuoso) writes it.

Checked on two real answers of ``publications.europa.eu/webapi/rdf/sparql`` (tests/data/cellar/):
``head`` holds ``link`` (``[]``) and ``vars``; ``results`` holds ``distinct`` (false), ``ordered`` (true)
and ``bindings``; IRIs are ``{"type": "uri"}`` and strings ``{"type": "typed-literal", "datatype":
"http://www.w3.org/2001/XMLSchema#string"}``, not the recommendation's plain ``literal`` (also read).

``read`` is strict about structure (a term of an unknown type, a binding of an undeclared variable, a
typed literal without its datatype: ``LayoutChanged``) and reports what it holds beyond it as unread.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from extractors.base import Document, LayoutChanged
from extractors.jsonutil import load_json, need, pointer

XSD = "http://www.w3.org/2001/XMLSchema#"
TERM_TYPES = ("uri", "literal", "typed-literal", "bnode")
TERM_KEYS = {"type", "value", "datatype", "xml:lang"}


@dataclass(frozen=True)
class Term:
    type: str
    value: str
    datatype: str = ""
    lang: str = ""


@dataclass
class Results:
    variables: list[str]
    rows: list[dict[str, Term]]
    distinct: bool | None = None
    ordered: bool | None = None
    link: list[str] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)


def read(doc: Document) -> Results:
    body = load_json(doc)
    if not isinstance(body, dict) or "boolean" in body:
        raise LayoutChanged(doc.source_id, doc.url, "not a SPARQL results object (a SELECT answer)")
    head = need(doc, body, "head", (), dict)
    variables = need(doc, head, "vars", ("head",), list)
    if not all(isinstance(v, str) for v in variables):
        raise LayoutChanged(doc.source_id, doc.url, f"head/vars {variables!r} are not all names")
    results = need(doc, body, "results", (), dict)
    bindings = need(doc, results, "bindings", ("results",), list)
    out = Results(variables, [_binding(doc, b, i, variables) for i, b in enumerate(bindings)],
                  _flag(doc, results, "distinct"), _flag(doc, results, "ordered"), _link(doc, head))
    out.unread = ([pointer(k)[5:] for k in body if k not in ("head", "results")]
                  + [pointer("head", k)[5:] for k in head if k not in ("vars", "link")]
                  + [pointer("results", k)[5:] for k in results if k not in ("bindings", "distinct", "ordered")])
    return out


def _flag(doc: Document, results: dict, name: str) -> bool | None:
    return need(doc, results, name, ("results",), bool) if name in results else None


def _link(doc: Document, head: dict) -> list[str]:
    link = need(doc, head, "link", ("head",), list) if "link" in head else []
    if not all(isinstance(x, str) for x in link):
        raise LayoutChanged(doc.source_id, doc.url, f"head/link {link!r} is not a list of IRIs")
    return link


def _binding(doc: Document, binding: object, i: int, variables: list[str]) -> dict[str, Term]:
    path = ("results", "bindings", i)
    if not isinstance(binding, dict) or not set(binding) <= set(variables):
        raise LayoutChanged(doc.source_id, doc.url, f"{pointer(*path)[5:]} is not a binding of {variables}")
    return {name: _term(doc, term, (*path, name)) for name, term in binding.items()}


def _term(doc: Document, term: object, path: tuple) -> Term:
    kind = need(doc, term, "type", path, str) if isinstance(term, dict) else None
    if kind not in TERM_TYPES or not set(term) <= TERM_KEYS:
        raise LayoutChanged(doc.source_id, doc.url, f"{pointer(*path)[5:]} is not an RDF term")
    value = need(doc, term, "value", path, str)
    datatype = need(doc, term, "datatype", path, str) if kind == "typed-literal" or "datatype" in term else ""
    return Term(kind, value, datatype, term.get("xml:lang", ""))
