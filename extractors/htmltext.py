"""Visible text of HTML blocks with, for every character, where it stands in the source.

A ``text:START-END`` locator is a span of the decoded document, so a parser that matches on the
visible text ("84 listings, which consists of 54 persons...") must map its match back to the
markup it came from. ``blocks()`` walks the markup with a small tokenizer (quoted attributes,
comments, entities, script/style skipped), cuts the text at block-level tags and keeps the
source offsets; ``sentences()`` splits a block and returns source spans.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

BLOCK_TAGS = frozenset(
    "address article aside blockquote br caption cite dd div dl dt figcaption figure footer form h1 h2 h3 "
    "h4 h5 h6 header hr li main nav ol p section table tbody td tfoot th thead title tr ul".split()
)
SKIP_TAGS = frozenset({"script", "style", "svg", "noscript", "template"})
VOID_TAGS = frozenset("area base br col embed hr img input link meta source track wbr".split())
_TOKEN = re.compile(
    r"<!--.*?-->"
    r"|<(?P<close>/?)(?P<tag>[a-zA-Z][\w:-]*)(?P<attrs>(?:[^>\"']|\"[^\"]*\"|'[^']*')*)>"
    r"|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);"
    r"|<![^>]*>",
    re.S,
)
_CLASS = re.compile(r"""\bclass\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SENTENCE_END = re.compile(r"[.!?][\"”’)]?\s+(?=[\"“‘(]?[A-Z0-9])")


@dataclass
class Block:
    tag: str  # innermost open block element
    classes: str  # its class attribute
    text: str = ""  # visible text, whitespace collapsed, no-break spaces as spaces
    starts: list[int] = field(default_factory=list)  # source offset where each character's markup begins
    ends: list[int] = field(default_factory=list)  # and where it ends

    def span(self, i: int, j: int) -> tuple[int, int]:
        """Source span of text[i:j]."""
        return self.starts[i], self.ends[j - 1]


def blocks(source: str, start: int = 0, end: int | None = None) -> list[Block]:
    end = len(source) if end is None else end
    found: list[Block] = []
    stack: list[tuple[str, str]] = [("", "")]
    chars: list[tuple[str, int, int]] = []

    def flush() -> None:
        block = _collapse(chars, *stack[-1])
        if block.text:
            found.append(block)
        chars.clear()

    pos = start
    while pos < end:
        match = _TOKEN.search(source, pos, end)
        stop = match.start() if match else end
        chars.extend((source[k], k, k + 1) for k in range(pos, stop))
        if not match:
            break
        pos = match.end()
        if match.group(0).startswith("&"):
            chars.extend((ch, match.start(), match.end()) for ch in html.unescape(match.group(0)))
            continue
        tag = (match.group("tag") or "").lower()
        if tag in SKIP_TAGS and not match.group("close") and not match.group(0).endswith("/>"):
            closing = source.lower().find(f"</{tag}", pos, end)
            pos = end if closing < 0 else source.find(">", closing, end) + 1 or end
        elif tag in BLOCK_TAGS:
            flush()
            if match.group("close"):
                while len(stack) > 1 and stack.pop()[0] != tag:
                    pass
            elif tag not in VOID_TAGS and not match.group(0).endswith("/>"):
                classes = _CLASS.search(match.group("attrs") or "")
                stack.append((tag, (classes.group(1) or classes.group(2) or "") if classes else ""))
    flush()
    return found


def _collapse(chars: list[tuple[str, int, int]], tag: str, classes: str) -> Block:
    block = Block(tag, classes)
    out: list[str] = []
    for ch, s, e in chars:
        if ch.isspace():  # includes U+00A0
            if out and out[-1] != " ":
                out.append(" ")
                block.starts.append(s)
                block.ends.append(e)
            continue
        out.append(ch)
        block.starts.append(s)
        block.ends.append(e)
    if out and out[-1] == " ":
        out.pop(), block.starts.pop(), block.ends.pop()
    block.text = "".join(out)
    return block


def sentences(block: Block, source: str | None = None) -> list[tuple[str, int, int]]:
    """(sentence text, source start, source end) for each sentence of a block.

    Given the ``source``, a span that starts or ends inside inline markup (``<strong>52 vessels``)
    is widened over the adjacent inline tags, so the span's markup is balanced where possible.
    """
    bounds, i = [], 0
    for match in _SENTENCE_END.finditer(block.text):
        bounds.append((i, match.start() + len(match.group(0).rstrip())))
        i = match.end()
    if i < len(block.text):
        bounds.append((i, len(block.text)))
    found = []
    for i, j in bounds:
        start, end = block.span(i, j)
        if source is not None:
            start, end = _widen(source, start, end)
        found.append((block.text[i:j], start, end))
    return found


_OPENING_BEFORE = re.compile(r"<([a-zA-Z][\w-]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*>\s*$")
_CLOSING_AFTER = re.compile(r"\s*</([a-zA-Z][\w-]*)\s*>")


def _widen(source: str, start: int, end: int) -> tuple[int, int]:
    while (m := _OPENING_BEFORE.search(source, max(0, start - 200), start)) and m.group(1).lower() not in BLOCK_TAGS:
        start = m.start()
    while (m := _CLOSING_AFTER.match(source, end)) and m.group(1).lower() not in BLOCK_TAGS:
        end = m.end()
    return start, end


def strip_tags(markup: str) -> str:
    """Visible text of a markup fragment (e.g. a locator's raw span), whitespace collapsed."""
    return " ".join(b.text for b in blocks(markup))
