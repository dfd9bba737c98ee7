"""The Russian/English name table of the national trade releases: every name the five Kazakhstan
releases and the Kyrgyz table write is coded, groups are aggregates, an unknown name fails the batch."""

from datetime import date

import pytest

from extractors import kg_stat, kz_stat
from extractors.base import Document, Parsed, Record
from tests.conftest import replay_file
from tests.test_trade_national_parse import KG, KZ
from transforms.codes import UnknownName
from transforms.codes_trade_names import is_aggregate, trade_name_code
from transforms.common import ValidationFailed
from transforms.trade import normalise


def names(module, files) -> set[str]:
    found = set()
    for name in files:
        doc = Document.from_bytes(module.SOURCE.id, name, replay_file(module.SOURCE.id, name).read_bytes())
        found |= {r.partner for r in module.parse(doc).records} | {r.geo for r in module.parse(doc).records}
    return found


def test_every_name_in_the_recorded_releases_has_a_code():
    kz_names, kg_names = names(kz_stat, KZ.values()), names(kg_stat, [KG])
    assert len(kz_names) >= 250 and len(kg_names) >= 160
    codes = {n: trade_name_code(n) for n in kz_names | kg_names}  # raises UnknownName for any gap
    assert all(c == "WLD" or c == "UNSPECIFIED" or c.startswith("AGG-") or len(c) == 3 for c in codes.values())


@pytest.mark.parametrize("name, code", [
    ("Россия", "RUS"), ("Китай", "CHN"), ("Германия", "DEU"), ("Казахстан", "KAZ"), ("Кыргызстан", "KGZ"),
    ("Соединенное Королевство", "GBR"), ("Республика Корея", "KOR"), ("Корея, Народно-Демократическая Республика", "PRK"),
    ("Конго", "COG"), ("Демократическая Республика Конго", "COD"), ("Тайвань (Китай)", "TWN"), ("Гонконг", "HKG"),
    ("Антигуа И Барбуда", "ATG"), ("Антигуа и Барбуда", "ATG"), ("Малые Тихоокеан.отдален.ост-ва С.Ш.", "UMI"),
    ("Russia", "RUS"), ("Great Britain (United Kingdom)", "GBR"), ("Butane", "BTN"), ("Eastern SAMOA", "ASM"),
    ("Korea (DPRK)", "PRK"), ("The Republic of Korea", "KOR"), ("CAR", "CAF"),
])
def test_country_names(name, code):
    assert trade_name_code(name) == code


@pytest.mark.parametrize("name, code", [
    ("Всего", "WLD"), ("Всего\nв том числе", "WLD"), ("Total", "WLD"), ("Страны СНГ", "AGG-CIS"), ("CIS", "AGG-CIS"),
    ("Страны ЕАЭС", "AGG-EAEU"), (" Страны ЕАЭС", "AGG-EAEU"), ("EAEU", "AGG-EAEU"), ("Страны вне ЕАЭС", "AGG-CIS-NON-EAEU"),
    ("Остальные страны мира", "AGG-NON-CIS"), ("Страны ЕС", "AGG-EU"), ("The EU", "AGG-EU"), ("Европа", "AGG-EUROPE"),
    ("Азия", "AGG-ASIA"), ("Австралия и Океания", "AGG-OCEANIA"), ("SCO", "AGG-SCO"),
])
def test_groups_are_aggregates_never_countries(name, code):
    assert trade_name_code(name) == code and is_aggregate(code)


def test_unknown_name_raises_and_fails_the_batch_with_the_name():
    with pytest.raises(UnknownName, match="Атлантида"):
        trade_name_code("Атлантида")
    assert not is_aggregate("RUS") and not is_aggregate("UNSPECIFIED")
    doc = Document.from_bytes(kz_stat.SOURCE.id, "u", b"x")
    record = Record("trade_value", "Казахстан", date(2023, 1, 1), date(2023, 12, 31), 1.0,
                    "thousand USD", "cell:2023!D300", partner="Атлантида", commodity="TOTAL", flow="X")
    with pytest.raises(ValidationFailed, match="Атлантида.*cell:2023!D300"):
        normalise(kz_stat.SOURCE.id, [(doc, Parsed(records=[record]))])


def test_a_run_reports_the_code_table_entries_it_never_used(rt):
    """Strict parsing: the table's entries no recorded Kyrgyz name uses are named in the run's warnings."""
    from sanctrace.runs import run_source

    report = run_source(rt, "kg-stat-trade")
    assert report.ok, report.failures
    lines = [w for w in report.checks["warnings"] if w.startswith("code table")]
    # every English name of the table is in the recorded KG table; the Russian one is not looked up at all
    assert not any("Kyrgyzstan" in w or "Kazakhstan" in w for w in lines), lines
    assert lines == ["code table 'trade groups': 13 of 24 entries never used: 'австралия и океания', 'азия', "
                     "'америка', 'африка', 'всего', 'всего в том числе', 'европа', 'остальные страны мира', "
                     "'страны вне еаэс', 'страны вне ес', 'страны еаэс', 'страны ес', 'страны снг'"]


def test_usage_is_tracked_per_run_only():
    from transforms import lookups

    with lookups.tracking() as used:
        trade_name_code("Total")
    assert used == {"trade groups": {"total"}}
    trade_name_code("Total")  # outside a run: nothing recorded, nothing raised
