"""`sanctrace plot` and `trade-watch --plot` on the recorded releases, SQLite and PostgreSQL. The written
file is read back: an SVG's plotted points must be the warehouse's values (up to the chart's own linear
scale), a PNG must decode, and the points the command prints must be the warehouse's figures."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import text

from sanctrace import cli

KZ, OHCHR = "kz-stat-trade", "ohchr-casualties"
SVG = "{http://www.w3.org/2000/svg}"
KZ_TO_RUSSIA = ("--geo", "KAZ", "--partner", "RUS", "--flow", "X", "--source", KZ)


# Comext's two CSVs (one figure per pair and month); its CN8 workbook has tests of its own
pytestmark = pytest.mark.preloaded(KZ, "kg-stat-trade", OHCHR, "eurostat-comext", light=True)


@pytest.fixture
def loaded(rt, env_settings):
    return rt


def markers(svg_path, gid: str) -> list[tuple[float, float]]:
    """The marker positions of one plotted line, as written in the file."""
    group = next(g for g in ET.parse(svg_path).iter(f"{SVG}g") if g.get("id") == gid)
    return [(float(u.get("x")), float(u.get("y"))) for u in group.iter(f"{SVG}use")]


def line_vertices(svg_path, gid: str) -> list[tuple[float, float]]:
    group = next(g for g in ET.parse(svg_path).iter(f"{SVG}g") if g.get("id") == gid)
    d = next(p.get("d") for p in group.iter(f"{SVG}path") if p.get("d", "").startswith("M "))
    return [tuple(map(float, step.split())) for step in d.replace("M", "L").split("L")[1:] if step.strip()]


def scale(a: tuple[float, float], b: tuple[float, float]):
    """The linear map from data to drawing through two known points."""
    (d0, p0), (d1, p1) = a, b
    return lambda d: p0 + (d - d0) * (p1 - p0) / (d1 - d0)


def assert_points_are(drawn: list[tuple[float, float]], data: list[tuple[float, float]], to_x, to_y) -> None:
    assert len(drawn) == len(data)
    for (px, py), (dx, dy) in zip(drawn, data):
        assert px == pytest.approx(to_x(dx), abs=0.01) and py == pytest.approx(to_y(dy), abs=0.01)


def kz_exports_to_russia(rt) -> list[dict]:
    """Straight from the tables, every version, oldest year first."""
    with rt.engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(
            "SELECT o.id, o.value, o.period_start, o.superseded_at FROM observation o "
            "JOIN series s ON s.id = o.series_id WHERE o.source_id = :src AND s.geo = 'KAZ' "
            "AND s.partner = 'RUS' AND s.flow = 'X' AND s.indicator = 'trade_value' ORDER BY o.period_start, o.id"),
            {"src": KZ}).mappings()]


def test_svg_of_kazakhstans_exports_to_russia_holds_the_warehouse_values(loaded, tmp_path, capsys):
    target = tmp_path / "kz.svg"
    assert cli.main(["plot", str(target), *KZ_TO_RUSSIA, "--json"]) == 0
    held = kz_exports_to_russia(loaded)
    current = [(_day(r["period_start"]), r["value"]) for r in held if r["superseded_at"] is None]
    superseded = [(_day(r["period_start"]), r["value"]) for r in held if r["superseded_at"] is not None]
    assert len(current) == 6 and len(superseded) == 1  # 2018-2023, and 2020's first version
    drawn = markers(target, "line-0")
    to_x = scale((current[0][0], drawn[0][0]), (current[-1][0], drawn[-1][0]))
    low, high = min(current, key=lambda c: c[1]), max(current, key=lambda c: c[1])
    to_y = scale((low[1], drawn[current.index(low)][1]), (high[1], drawn[current.index(high)][1]))
    assert_points_are(drawn, current, to_x, to_y)
    assert_points_are(line_vertices(target, "line-0"), current, to_x, to_y)
    assert_points_are(markers(target, "line-0-superseded"), superseded, to_x, to_y)
    written = target.read_text("utf-8")
    assert "kz-stat-trade, released 2020-01-01 to 2024-07-25 (5 documents)" in written  # the caption
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(p["observation_id"], p["value"]) for p in printed] == [(r["id"], r["value"]) for r in held]
    assert [p["version"] for p in printed].count("superseded") == 1


def _day(d) -> int:
    return (d if isinstance(d, date) else date.fromisoformat(str(d))).toordinal()


def test_png_of_ohchr_killed_and_injured_decodes_and_its_points_are_the_warehouse(loaded, tmp_path, capsys):
    target = tmp_path / "ohchr.png"
    args = ["plot", str(target), "--source", OHCHR, "--indicator", "civilians_killed",
            "--indicator", "civilians_injured", "--json"]
    assert cli.main(args) == 0
    content = target.read_bytes()
    assert content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) > 20_000
    with Image.open(target) as image:
        image.load()  # decodes every pixel
        assert image.size == (1000, 600) and len(image.getcolors(1_000_000)) > 10
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    with loaded.engine.connect() as conn:
        held = dict(conn.execute(text(
            "SELECT o.id, o.value FROM observation o JOIN series s ON s.id = o.series_id "
            "WHERE o.source_id = :src AND s.indicator IN ('civilians_killed', 'civilians_injured')"),
            {"src": OHCHR}).all())
    assert {p["observation_id"]: p["value"] for p in printed} == held and len(held) == 100
    assert {p["line"] for p in printed} == {0, 1}


def test_trade_watch_plot_draws_the_exports_to_russia_of_each_reporter(loaded, tmp_path, capsys):
    from sanctrace.trade_watch import watch_rows

    target = tmp_path / "watch.svg"
    assert cli.main(["trade-watch", "--reporter", "KAZ", "--reporter", "KGZ", "--plot", str(target)]) == 0
    assert "wrote" in capsys.readouterr().err
    rows = watch_rows(loaded.engine, ["8542", "8806"], ["KAZ", "KGZ"])
    kaz = [(date(r["year"], 1, 1).toordinal(), r["exports_to_rus_usd"]) for r in rows if r["reporter"] == "KAZ"]
    kgz = [(date(r["year"], 1, 1).toordinal(), r["exports_to_rus_usd"]) for r in rows if r["reporter"] == "KGZ"]
    drawn_kaz, drawn_kgz = markers(target, "line-0"), markers(target, "line-1")
    to_x = scale((kaz[0][0], drawn_kaz[0][0]), (kaz[-1][0], drawn_kaz[-1][0]))
    to_y = scale((kaz[0][1], drawn_kaz[0][1]), (kaz[-1][1], drawn_kaz[-1][1]))
    assert_points_are(drawn_kaz, kaz, to_x, to_y)
    assert_points_are(drawn_kgz, kgz, to_x, to_y)  # the same axes: KGZ checks the scale found on KAZ
    written = target.read_text("utf-8")
    assert "+29.5%" in written and "+172.0%" in written  # the releases' own changes on the year before


@pytest.mark.parametrize("args, named", [
    (("out.jpg", "--source", KZ), "PNG or SVG"),
    (("out.png", "--source", "kg-stat-trade"), "narrow the filters"),
    (("out.png", "--geo", "POL", "--partner", "KAZ", "--from", "2021-12", "--to", "2021-12",
      "--indicator", "trade_value", "--flow", "X"), None),
    (("out.png", "--geo", "XXX"), "XXX is not a known ISO code"),
])
def test_a_chart_that_cannot_be_drawn_exits_2_and_says_why(loaded, tmp_path, capsys, args, named):
    target, *filters = args
    code = cli.main(["plot", str(tmp_path / target), *filters])
    err = capsys.readouterr().err
    if named is None:  # one EUR figure: drawn
        assert code == 0 and (tmp_path / target).stat().st_size > 1000
    else:
        assert code == 2 and named in err and not (tmp_path / target).exists()


def test_series_in_different_units_are_not_drawn_on_one_axis(loaded, tmp_path, capsys):
    # Germany's exports to Kazakhstan (Comext, EUR) and Kazakhstan's to Russia (the Bureau, USD).
    code = cli.main(["plot", str(tmp_path / "mixed.png"), "--geo", "DEU", "--geo", "KAZ", "--partner", "KAZ",
                     "--partner", "RUS", "--flow", "X", "--indicator", "trade_value"])
    assert code == 2 and "different units" in capsys.readouterr().err


def test_no_figure_draws_nothing_and_says_so(loaded, tmp_path, capsys):
    assert cli.main(["plot", str(tmp_path / "none.png"), "--source", OHCHR, "--from", "2030"]) == 0
    assert "no figure" in capsys.readouterr().err and not (tmp_path / "none.png").exists()
