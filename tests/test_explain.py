"""Provenance: from a figure back to the bytes, the locator's text and a reproduced value."""

from sqlalchemy import select

from extractors import unhcr
from sanctrace import runs
from sanctrace.explain import explain, render
from warehouse.models import Observation, Snapshot


def test_explain_reproduces_a_sample_of_figures(rt):
    assert runs.run_source(rt, "unhcr-ukraine-refugees").ok
    with rt.engine.connect() as conn:
        ids = conn.execute(select(Observation.id).order_by(Observation.id)).scalars().all()
    for observation_id in ids[::20]:
        chain = explain(rt, observation_id)
        assert chain["reproduced"], chain
        assert chain["text_at_locator"] == chain["published_as"].split()[0]
        assert chain["snapshot"]["url"].startswith(("https://data.unhcr.org/population/get/",
                                                    "https://data2.unhcr.org/population/get/"))
        assert len(chain["snapshot"]["sha256"]) == 64 and chain["parser_version"] == unhcr.SOURCE.parser_version


def test_explain_names_poland_and_its_snapshot(rt):
    runs.run_source(rt, "unhcr-ukraine-refugees")
    with rt.engine.connect() as conn:
        poland = conn.execute(select(Observation.id).where(
            Observation.locator == "json:/data/1/individuals",
            Observation.snapshot_id == select(Snapshot.id).where(
                Snapshot.sha256 == "e4523aa62654a87100bd74b26f66b6b3ac0c49a7c81e9977c588a97ba4c01bee").scalar_subquery())
        ).scalar_one()
    chain = explain(rt, poland)
    assert chain["value"] == 1256568 and chain["series"]["geo"] == "POL"
    assert chain["snapshot"]["sha256"] == "e4523aa62654a87100bd74b26f66b6b3ac0c49a7c81e9977c588a97ba4c01bee"
    text = render(chain)
    assert "reproduced yes" in text and "'1256568'" in text


def test_explaining_many_figures_of_one_document_parses_it_once(rt, monkeypatch):
    from dataclasses import replace

    from sanctrace import explain as explaining

    assert runs.run_source(rt, "unhcr-ukraine-refugees").ok
    parsed = []
    real_parse = explaining.safe_parse
    monkeypatch.setattr(explaining, "safe_parse",
                        lambda module, doc: parsed.append(doc.sha256) or real_parse(module, doc))
    with rt.engine.connect() as conn:
        rows = conn.execute(select(Observation.id, Snapshot.sha256)
                            .join(Snapshot, Snapshot.id == Observation.snapshot_id).order_by(Observation.id)).all()
    assert all(explain(rt, observation_id)["reproduced"] for observation_id, _ in rows[:40])
    assert sorted(parsed) == sorted({sha for _, sha in rows[:40]})  # each document once
    monkeypatch.setattr(unhcr, "SOURCE", replace(unhcr.SOURCE, parser_version="next"))
    assert explain(rt, rows[0][0])["current_parser_version"] == "next"
    assert parsed.count(rows[0][1]) == 2  # another parser version parses again
