"""A figure's row is defined once (transforms/figure_row.py); everything that writes or stores it agrees."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Boolean, Date, Float, Integer, String, TypeDecorator, inspect, text

from extractors.base import Record
from transforms import common, figure_row
from warehouse import loader
from warehouse.engine import make_engine
from warehouse.migrate import upgrade
from warehouse.models import Observation

SQL_KINDS = {"text": String, "date": Date, "real": Float, "bool": Boolean}  # Text is a String


def test_a_transforms_row_has_exactly_the_figure_columns():
    record = Record("refugees", "Ukraine", date(2024, 1, 1), date(2024, 1, 31), 1.0, "persons", "csv:row=2")
    row = common._row(record, "a" * 64, lambda name: "UKR", None, True)
    assert tuple(row) == figure_row.NAMES
    assert common.COLUMNS == figure_row.NAMES


def test_the_observation_model_stores_each_value_column_with_its_kind_and_nullability():
    columns = Observation.__table__.columns
    for column in figure_row.FIGURE:
        if column.series:
            assert column.name not in columns  # stored once, in series
            continue
        stored = columns[column.stored_as or column.name]
        if column.stored_as:  # a reference by the integer key of the row it names
            assert isinstance(stored.type, Integer) and stored.foreign_keys, column.name
            assert stored.nullable == column.nullable, column.name
            continue
        kind = stored.type.impl_instance if isinstance(stored.type, TypeDecorator) else stored.type
        assert isinstance(kind, SQL_KINDS[column.kind]), (column.name, stored.type)
        assert stored.nullable == column.nullable, column.name
    assert set(columns.keys()) == {"id", *figure_row.STORED, *loader.CONTEXT_COLS}


def test_the_migrated_observation_table_has_the_models_columns(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(url)
    stored = {c["name"] for c in inspect(make_engine(url)).get_columns("observation")}
    assert stored == set(Observation.__table__.columns.keys())


def test_the_loaders_stage_table_is_made_from_the_definition(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as conn:
        loader._create_stage(conn)
        names = [row[1] for row in conn.execute(text("PRAGMA temp.table_info(stage_raw)"))]
        required = {row[1] for row in conn.execute(text("PRAGMA temp.table_info(stage_raw)"))
                    if row[3] and row[1] != "rid"}
    assert tuple(names) == ("rid", *figure_row.NAMES)  # rid: the row's number in the stage
    assert required == {c.name for c in figure_row.FIGURE if not c.nullable}


@pytest.mark.parametrize("kind", figure_row.KINDS)
def test_every_kind_has_a_sql_type(kind):
    assert kind in SQL_KINDS
    assert figure_row.sql_columns("REAL")  # raises KeyError for a kind without a SQL type
