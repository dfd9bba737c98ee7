"""The ways Council press releases count what a sanctions package lists, read sentence by sentence.

Releases announce the package's new listings in several forms (``FORMS``), and the form is kept
with each figure as the flag ``listing_form:<form>``:

- ``total``: "a further 69 individual listings" (the package's listings, no breakdown);
- ``total_with_breakdown``: "84 listings, which consists of 54 persons and 30 entities";
- ``total_then_breakdown``: a total, and its breakdown in the next sentence ("These are ...");
- ``separate``: persons and entities given separately, no total ("list 54 individuals and 30 entities");
- ``combined``: one count of "individuals and entities": its own indicator, never split by guess.

The first of these in the release's lead (before any section heading) or in its listings section
("Individual listings") is the package's headline count: ``sanctions_listings`` (and
``_persons`` / ``_entities`` where the page gives them, ``_combined`` for a combined count). A later
listing count in the same page (``listing 11 additional individuals`` under "Children", ``five new
listings`` under "Belarus") counts a sub-measure: its own indicator ``measure_listings[...]`` with
the page's section heading in ``commodity`` (``measure:Children``), never the package's persons.
A count of individuals or entities alone is always a sub-measure.

Every sentence with a count of listings, individuals, persons or entities (``LISTING_COUNT``) must
be read whole by a known form; one that is not raises ``UnknownForm`` naming the sentence, and a
package page with no listing sentence at all is refused too (the other figures are never loaded
without the listings). Other counts that no form reads ("eight banks and oil traders") are
reported as unread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extractors.numbers import parse_number

WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}
WORDS.update({"thirty": 30, "forty": 40, "fifty": 50})
N = r"(?:\d{1,3}(?:,\d{3})+|\d+|(?i:" + "|".join(sorted(WORDS, key=len, reverse=True)) + r"))(?![\w/])"
ADJ = r"(?:(?:new|additional|further|more|other) )?"
PERSONS = r"(?:natural persons|persons|individuals|people)"
ENTITIES = r"(?:entities and bodies|legal persons, entities and bodies|entities|legal persons)"
APPROX = re.compile(r"(?:close to|nearly|almost|over|more than|around|about|some) $")
HEADLINE = ("total", "total_with_breakdown", "separate", "combined")


@dataclass(frozen=True)
class Form:
    name: str
    pattern: re.Pattern


def _forms(*pairs: tuple[str, str]) -> tuple[Form, ...]:
    return tuple(Form(name, re.compile(pattern)) for name, pattern in pairs)


# In priority order: where two forms read overlapping words of a sentence, the first one listed wins.
FORMS = _forms(
    ("in_force", rf"\bbring\w* the (?:overall |total )?(?:number of )?(?:listings|individuals and entities|"
                 rf"persons and entities|sanctioned individuals and entities)\b[^.]*? to (?P<total>{N})"),
    ("in_force", rf"\bappl(?:y|ies) to (?:(?:a total of|more than|over|almost|nearly|some) )*(?P<total>{N}) "
                 rf"(?:individuals and entities|persons and entities)\b"),
    ("total_then_breakdown", rf"^(?:These|They|Those|This|The listings|Of (?:these|them|which))\b[^.]*?\b"
                             rf"(?P<persons>{N}) (?:are )?{ADJ}{PERSONS}\b[^.]*?\b(?P<entities>{N}) (?:are )?"
                             rf"{ADJ}{ENTITIES}"),
    ("total_with_breakdown", rf"\b(?P<total>{N}) {ADJ}(?:individual )?listings\b[^.]*?(?:consists? of|consisting of|"
                             rf"compris\w+|including|made up of|namely|of which|\(|:) ?(?P<persons>{N}) {ADJ}"
                             rf"{PERSONS},? and (?P<entities>{N}) {ADJ}{ENTITIES}"),
    ("total_with_breakdown", rf"\b(?P<total>{N}) {ADJ}(?:individual )?listings\b[^.]*?(?:consists? of|consisting of|"
                             rf"compris\w+|including|made up of|namely|of which|\(|:) ?(?P<entities>{N}) {ADJ}"
                             rf"{ENTITIES},? and (?P<persons>{N}) {ADJ}{PERSONS}"),
    ("separate", rf"\b(?P<persons>{N}) {ADJ}{PERSONS},? and (?P<entities>{N}) {ADJ}{ENTITIES}"),
    ("separate", rf"\b(?P<entities>{N}) {ADJ}{ENTITIES},? and (?P<persons>{N}) {ADJ}{PERSONS}"),
    ("combined", rf"\b(?P<combined>{N}) {ADJ}(?:individuals|persons) and (?:legal )?entities\b"),
    ("total", rf"\b(?P<total>{N}) {ADJ}(?:individual )?listings\b"),
    ("persons_only", rf"\b(?:list\w*|sanction\w*|designat\w*|target\w*|add\w*) (?:an? )?(?:additional |further |"
                     rf"another |new )?(?P<persons>{N}) {ADJ}{PERSONS}\b"),
    ("entities_only", rf"\b(?:list\w*|sanction\w*|designat\w*|target\w*) (?:an? )?(?:additional |further |"
                      rf"another |new )?(?P<entities>{N}) {ADJ}{ENTITIES}\b"),
    ("military", rf"\b(?P<military_support_entities_added>{N}) {ADJ}entities (?:to the list of (?:those |entities )?)?"
                 r"(?:directly )?supporting Russia'?s military(?: and |-)industrial complex"),
    ("military_third_countries", rf"\b(?P<military_support_entities_third_countries>{N}) of these entities are "
                                 r"located in third countries(?: other than Russia)? \((?P<breakdown>[^)]*)\)"),
    ("vessels", rf"\b(?P<vessels_targeted>{N}) (?:new |additional |further |more )?vessels\b[^.]*?"
                r"\b(?:targeted|added|listed|designated|subject)"),
    ("vessels", rf"\btotal (?:number )?of (?:designated |listed |sanctioned |targeted )?vessels "
                rf"(?:to|at|is|now at) (?P<vessels_designated_total>{N})"),
)
# A count of listings, individuals, persons or entities: a sentence holding one must be read by a form.
# "one" and "zero" are left out here: "one of the entities" is how releases describe, not count.
COUNTED = r"(?:\d{1,3}(?:,\d{3})+|\d+|(?i:" + "|".join(w for w in sorted(WORDS, key=len, reverse=True)
                                                     if w not in ("one", "zero")) + r"))(?![\w/])"
LISTING_COUNT = re.compile(rf"\b{COUNTED} (?:[\w'-]+ ){{0,3}}?(?:listings|individuals|persons|people|entities)\b")
# Any other count of things ("eight banks"), reported as unread when no form reads it.
OTHER_COUNT = re.compile(rf"\b(?!(?:19|20)\d\d\b){COUNTED} (?!(?:days|weeks|months|years)\b)(?:[A-Za-z'-]+ ){{0,3}}?[a-z]+s\b")
THIRD_COUNTRY = re.compile(rf"(?P<n>{N}) in (?:the )?(?P<name>[A-Z][\w ]*?[a-z])(?:, including (?P<incl>[A-Z][\w ]*?))?"
                           r"(?=,| and |$)")


class UnknownForm(ValueError):
    """A sentence counts listings in a way no form reads."""


@dataclass
class Figure:
    indicator: str
    value: float
    sentence: int  # index into the sentences given to ``read``
    flags: tuple[str, ...] = ()
    commodity: str = ""
    partner: str = ""


@dataclass
class Reading:
    figures: list[Figure] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    form: str = ""  # the headline's form; "" when the page announces no listings


def number(text: str) -> float:
    return float(WORDS[text.lower()]) if text.lower() in WORDS else parse_number(text)


def read(sentences: list[tuple[str, str]]) -> Reading:
    """``sentences``: (plain text, section heading) in page order."""
    out, headline, pending = Reading(), None, None
    for i, (text, section) in enumerate(sentences):
        claims = _claims(text)
        _refuse_unread_listings(text, claims)
        for form, match in claims:
            if form.name == "total_then_breakdown" and pending == i - 1:
                _add(out, "sanctions_listings", match, ("persons", "entities"), i, "total_then_breakdown", "")
                for figure in out.figures:
                    if figure.indicator == "sanctions_listings":
                        figure.flags = tuple(f for f in figure.flags if not f.startswith("listing_form:")) + (
                            "listing_form:total_then_breakdown",)
                out.form, pending = "total_then_breakdown", None
                continue
            name = "separate" if form.name == "total_then_breakdown" else form.name
            if name in HEADLINE and headline is None and _headline_section(section):
                headline, out.form = i, name
                _add(out, "sanctions_listings", match, ("total", "persons", "entities", "combined"), i, name, "")
                pending = i if name == "total" else None
            elif name in HEADLINE or name in ("persons_only", "entities_only"):
                _add(out, "measure_listings", match, ("total", "persons", "entities", "combined"), i, name,
                     f"measure:{section or 'page'}")
            elif name == "in_force":
                _add(out, "sanctions_listings_in_force", match, ("total",), i, name, "")
            elif name == "military_third_countries":
                _third_countries(out, match, i)
            else:
                for key, digits in match.groupdict().items():
                    if digits and number(digits):  # never store a zero
                        out.figures.append(Figure(key, number(digits), i, _approx(text, match, key)))
        out.unread += [f"count not read: {m.group(0)!r} in {text[:100]!r}" for m in OTHER_COUNT.finditer(text)
                       if not any(c.start() <= m.start() < c.end() for _, c in claims)]
    return _deduplicated(out)


def _headline_section(section: str) -> bool:
    """The package's own count stands in the release's lead or in its listings section; a count under
    another heading ("Belarus", "Children") is that section's measure."""
    return not section or "listing" in section.lower()


def _claims(text: str) -> list[tuple[Form, re.Match]]:
    kept: list[tuple[Form, re.Match]] = []
    for form in FORMS:
        for match in form.pattern.finditer(text):
            if not any(match.start() < other.end() and other.start() < match.end() for _, other in kept):
                kept.append((form, match))
    return sorted(kept, key=lambda claim: claim[1].start())


def _refuse_unread_listings(text: str, claims: list[tuple[Form, re.Match]]) -> None:
    for count in LISTING_COUNT.finditer(text):
        if not any(c.start() <= count.start() and count.end() <= c.end() for _, c in claims):
            raise UnknownForm(f"a listing sentence matches no known form ({count.group(0)!r}): {text!r}")


def _add(out: Reading, prefix: str, match: re.Match, groups: tuple[str, ...], i: int, form: str,
         commodity: str) -> None:
    found = match.groupdict()
    for group in groups:
        if found.get(group) and number(found[group]):  # never store a zero
            indicator = prefix if group == "total" else f"{prefix}_{group}"
            flags = (f"listing_form:{form}", *_approx(match.string, match, group))
            out.figures.append(Figure(indicator, number(found[group]), i, flags, commodity))


def _approx(text: str, match: re.Match, group: str) -> tuple[str, ...]:
    said = APPROX.search(text[max(0, match.start(group) - 12):match.start(group)])
    return (f"approximate:{said.group(0).strip()}",) if said else ()


def _third_countries(out: Reading, match: re.Match, i: int) -> None:
    out.figures.append(Figure("military_support_entities_third_countries",
                              number(match.group("military_support_entities_third_countries")), i))
    parts = list(THIRD_COUNTRY.finditer(match.group("breakdown")))
    if not parts:
        raise UnknownForm(f"third-country breakdown not read: {match.group('breakdown')!r}")
    for part in parts:
        flags = (f"including:{part.group('incl')}",) if part.group("incl") else ()
        out.figures.append(Figure("military_support_entities_in_country", number(part.group("n")), i, flags,
                                  partner=part.group("name")))


def _deduplicated(out: Reading) -> Reading:
    """One figure per series in a page: a second one is a warning, never a silent overwrite."""
    seen: dict[tuple[str, str, str], Figure] = {}
    for figure in out.figures:
        key = (figure.indicator, figure.commodity, figure.partner)
        if key in seen:
            out.warnings.append(f"{figure.indicator} {figure.commodity} {figure.partner} stated twice "
                                f"({seen[key].value:g} kept, {figure.value:g} not)".replace("  ", " "))
            continue
        seen[key] = figure
    out.figures = list(seen.values())
    return out
