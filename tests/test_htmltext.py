"""Visible text with source offsets, on fragments of the recorded Council page (real bytes)."""

from __future__ import annotations

from pathlib import Path

from extractors import htmltext

PAGE = (Path(__file__).resolve().parent.parent / "replay" / "eu-council-press" /
        "consilium_press_2024-12-16_15th-package_wayback-20241216111014.html").read_text(encoding="utf-8")


def test_every_character_maps_back_to_its_markup():
    start = PAGE.index('<main id="gsc-main-content">')
    blocks = htmltext.blocks(PAGE, start, PAGE.index("</main>", start))
    for block in blocks:
        assert len(block.text) == len(block.starts) == len(block.ends)
        for i, ch in enumerate(block.text):
            source = PAGE[block.starts[i]:block.ends[i]]
            assert ch == " " and not source.strip() or ch in source or source.startswith("&")


def test_entities_attributes_and_scripts():
    h1 = PAGE[PAGE.index("<h1>"):PAGE.index("</h1>") + 5]
    (block,) = htmltext.blocks(h1)
    assert block.tag == "h1" and block.text.startswith("Russia’s war")
    assert PAGE[PAGE.index("<h1>"):][block.starts[6]:block.ends[6]] == "&#x2019;"
    quote = PAGE[PAGE.index('<blockquote class="gsc-blockquote'):PAGE.index("</blockquote>")]
    texts = [b.text for b in htmltext.blocks(quote)]
    assert "Kaja Kallas, High Representative for Foreign Affairs and Security Policy" in texts
    assert not any("<p>" in t or "img" in t for t in texts)  # the <p> inside alt="..." is not markup
    head = PAGE[:PAGE.index("<title>")]
    assert all("archive_analytics" not in b.text for b in htmltext.blocks(head))  # script bodies skipped


def test_sentences_are_widened_over_inline_tags_only():
    start = PAGE.index("<p>The Council is adding further")
    paragraph = PAGE[start:PAGE.index("</p>", start) + 4]
    (block,) = htmltext.blocks(paragraph)
    *_, (text, s, e) = htmltext.sentences(block, paragraph)
    assert text.startswith("52 vessels")
    assert paragraph[s:e].startswith("<strong>52 vessels") and paragraph[s:e].endswith("to 79.")
    first = htmltext.sentences(block, paragraph)[0]
    assert paragraph[first[1]:].startswith("The Council is adding")  # the <p> is not taken in
