"""What a claim measures and where: small word tables mapping a sentence to the warehouse's series.

A claim's own neighbourhood decides first (the words after it, then before it, back to the next
claim), the rest of its sentence only where those say nothing: "6.5 million internally displaced
and more than 8.2 million to European countries" is one IDP figure and one refugee figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sanctrace.claims_extract import Claim

# (measure, pattern): the first that matches wins, so "internally displaced" comes before "displaced".
MEASURES = (
    ("idps", r"internally displaced|\bIDPs?\b"),
    ("refugees", r"refugees?\b|\bto (?:\w+ ){0,2}countries\b|\babroad\b|across Europe"),
    ("displaced", r"\bdisplaced\b|displacement|fled\b"),
    ("killed", r"\bkilled\b|\bdeaths?\b|\bdead\b|\bdied\b|fatalit"),
    ("injured", r"\bwounded\b|\binjured\b|injuries"),
)
SANCTIONS = (  # only in a sentence about sanctions: "persons" alone is no listing
    ("listings", r"\blistings\b"),
    ("listed_persons", r"\b(?:persons|individuals|people)\b"),
    ("listed_entities", r"\bentities\b"),
)
ABOUT_SANCTIONS = re.compile(r"sanction|\blist(?:ed|ing|ings)\b|designat|\bpackage\b", re.I)
FLOWS = (("X", r"\bexport|\bsent\b|\bshipped\b|\bsupplied\b"), ("M", r"\bimport|\bbought\b|\bpurchased\b"),
         ("T", r"\bturnover\b|\btrade\b"))
PRODUCTS = (  # HS heading of the goods a text names
    ("8542", r"micro-?chips?|\bchips?\b|integrated circuits?|microelectronics|semiconductors?|\bprocessors?\b"),
    ("8806", r"\bdrones?\b|unmanned aircraft|\bUAVs?\b"),
    ("8802", r"\bhelicopters?\b"),
)
PLACES = {  # names and adjectives as texts write them; countries not listed are looked up by name
    "kazakhstan": "KAZ", "kazakh": "KAZ", "kazakhstani": "KAZ", "russia": "RUS", "russian": "RUS",
    "russian federation": "RUS", "kyrgyzstan": "KGZ", "kyrgyz": "KGZ", "armenia": "ARM", "armenian": "ARM",
    "georgia": "GEO", "uzbekistan": "UZB", "uzbek": "UZB", "turkey": "TUR", "türkiye": "TUR", "turkish": "TUR",
    "uae": "ARE", "united arab emirates": "ARE", "china": "CHN", "chinese": "CHN", "ukraine": "UKR",
    "ukrainian": "UKR", "poland": "POL", "polish": "POL", "germany": "DEU", "german": "DEU",
    "czech republic": "CZE", "czechia": "CZE", "european union": "AGG-EU", "eu": "AGG-EU",
    "european countries": "AGG-EUROPE", "europe": "AGG-EUROPE", "world": "WLD",
}
_PLACE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, PLACES), key=len, reverse=True)) + r")(?:'s|’s)?\b",
                    re.I)
COMPANY = re.compile(r"\bcompany\b|\bfirm\b|\bLLP\b|\bLLC\b|\bGmbH\b|\bB\.?V\.?\b|\bdistributor\b", re.I)
TOWARD = re.compile(r"\b(to|from|with)\s+(?:the\s+)?$", re.I)


@dataclass
class Subject:
    measure: str  # trade | idps | refugees | displaced | killed | injured | shipments | listings | listed_persons
    # | listed_entities | "" (not recognised)
    geo: str = ""  # the reporter for trade, the place for people
    partner: str = ""
    commodity: str = ""
    flow: str = ""
    by_company: bool = False

    def describe(self) -> str:
        if self.measure == "trade":
            goods = f"HS {self.commodity}" if self.commodity != "TOTAL" else "all goods"
            flow = {"X": "exports", "M": "imports", "T": "trade"}.get(self.flow, "trade")
            toward = {"X": "to", "M": "from"}.get(self.flow, "with")
            partner = "the world" if self.partner == "WLD" else self.partner
            return f"{self.geo or '?'} {flow} of {goods}" + (f" {toward} {partner}" if partner else "")
        if self.measure == "shipments":
            return f"a company's shipments of HS {self.commodity} to {self.partner or '?'}"
        return f"{self.measure or 'not recognised'}" + (f" in {self.geo}" if self.geo else "")


def subject_of(claim: Claim) -> Subject:
    windows = (claim.after, claim.before, claim.sentence)
    commodity = _first(PRODUCTS, windows)
    if claim.kind in ("amount", "percent"):  # a percentage of trade: its change on the year before
        flow = _first(FLOWS, (claim.before, claim.after, claim.sentence))
        if not flow:
            return Subject("")
        geo, partner = _trade_places(claim, flow)
        return Subject("trade", geo, partner, commodity or "TOTAL", flow)
    if commodity and claim.kind == "count":  # "500 drones": a number of items shipped, not a trade value
        partner = _toward(claim.after, "to") or _toward(claim.sentence, "to")
        return Subject("shipments", partner=partner, commodity=commodity,
                       by_company=bool(COMPANY.search(claim.before + claim.sentence)))
    measure = _first(MEASURES, windows)
    if ABOUT_SANCTIONS.search(claim.sentence) and not measure:
        measure = _first(SANCTIONS, windows)
        return Subject(measure, "AGG-EU" if measure else "")  # the Council's packages
    if measure == "refugees":
        return Subject(measure, _host(claim), "UKR")  # UNHCR's series count refugees from Ukraine
    return Subject(measure, "UKR" if measure else "")


def _first(table, windows) -> str:
    for window in windows:
        for name, pattern in table:
            if re.search(pattern, window, re.I):
                return name
    return ""


def places(text: str) -> list[tuple[str, str]]:
    """(code, the word before it: to/from/with or "") for each place named, in order."""
    found = []
    for m in _PLACE.finditer(text):
        if m.group(1) == "EU" or m.group(1).lower() != "eu":  # "eu" only as the capitalised abbreviation
            toward = TOWARD.search(text[:m.start()])
            found.append((PLACES[m.group(1).lower()], toward.group(1).lower() if toward else ""))
    return found


def _toward(text: str, word: str) -> str:
    return next((code for code, toward in places(text) if toward == word), "")


def _trade_places(claim: Claim, flow: str) -> tuple[str, str]:
    """The reporter is the first place not introduced by to/from; the partner the place that is
    ("to" for exports, "from" for imports), near the claim first; none named means the world."""
    word = {"X": "to", "M": "from"}.get(flow, "with")
    partner = _toward(claim.after, word) or _toward(claim.before, word) or _toward(claim.sentence, word)
    reporter = next((code for code, toward in places(claim.sentence) if not toward and code != partner), "")
    return reporter, partner or "WLD"


def _host(claim: Claim) -> str:
    for window in (claim.after, claim.before):
        hosts = [code for code, _ in places(window) if code not in ("UKR", "RUS")]
        if hosts:
            return hosts[0]
    return ""
