"""Build a large FSF export FROM THE REAL RECORDED ENTITY (not a real document: a test input).

The recorded excerpt holds one real ``sanctionEntity`` (logicalId 13). ``build`` repeats it with
varied ``logicalId``s, programmes and subject types, between the excerpt's own ``<export>`` header
and footer, so the bytes keep the real file's structure at the size of the live list.
"""

from __future__ import annotations

from pathlib import Path

REPLAY = Path(__file__).resolve().parent.parent / "replay" / "eu-fsf-consolidated"
EXCERPT = REPLAY / "fsf_export_2024-12-11_first-entity_excerpt.xml"
PROGRAMMES = (b"UKR", b"RUS", b"BLR", b"IRQ", b"SYR", b"PRK", b"IRN", b"TAQA")


def parts(content: bytes | None = None) -> tuple[bytes, bytes, bytes]:
    content = EXCERPT.read_bytes() if content is None else content
    start = content.index(b"<sanctionEntity ")
    end = content.rindex(b"</sanctionEntity>") + len(b"</sanctionEntity>")
    return content[:start], content[start:end] + b"\n    ", content[end:]


def entity(template: bytes, i: int) -> bytes:
    """The real entity with logicalId 13+i, programme PROGRAMMES[i % 8], every 3rd an enterprise."""
    out = template.replace(b'logicalId="13"', b'logicalId="%d"' % (13 + i), 1)
    out = out.replace(b'programme="IRQ"', b'programme="' + PROGRAMMES[i % len(PROGRAMMES)] + b'"')
    if i % 3 == 2:
        out = out.replace(b'<subjectType code="person" classificationCode="P"/>',
                          b'<subjectType code="enterprise" classificationCode="E"/>')
    return out


def build(n: int, content: bytes | None = None) -> bytes:
    head, template, tail = parts(content)
    return head + b"".join(entity(template, i) for i in range(n)) + tail


def build_to(path: Path, target_bytes: int) -> int:
    """Write an export of at least ``target_bytes`` to ``path`` without holding it in memory; returns n."""
    head, template, tail = parts()
    n, written = 0, len(head) + len(tail)
    with path.open("wb") as out:
        out.write(head)
        while written < target_bytes:
            chunk = entity(template, n)
            out.write(chunk)
            written += len(chunk)
            n += 1
        out.write(tail)
    return n


def expected_counts(n: int) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for i in range(n):
        key = (PROGRAMMES[i % len(PROGRAMMES)].decode(), "enterprise" if i % 3 == 2 else "person")
        counts[key] = counts.get(key, 0) + 1
    return counts
