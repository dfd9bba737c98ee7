"""trade_watch view: transit exports to Russia per reporter, goods and year, with context figures

Revision ID: 0002
Revises: 0001
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0002"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# SQLite keeps dates as ISO text; PostgreSQL as DATE. Everything else in the view is the same SQL.
YEAR = {"sqlite": "CAST(substr(o.period_start, 1, 4) AS INTEGER)",
        "postgresql": "CAST(EXTRACT(YEAR FROM o.period_start) AS INTEGER)"}
CALENDAR_YEAR = {
    "sqlite": "substr(o.period_start, 6, 5) = '01-01' AND substr(o.period_end, 6, 5) = '12-31' "
              "AND substr(o.period_start, 1, 4) = substr(o.period_end, 1, 4)",
    "postgresql": "o.period_end = (o.period_start + INTERVAL '1 year' - INTERVAL '1 day')::date "
                  "AND EXTRACT(DOY FROM o.period_start) = 1",
}

VIEW = """
CREATE VIEW trade_watch AS
WITH annual AS (
    SELECT o.id, o.source_id, s.geo, s.partner, s.commodity, s.flow, o.value, {year} AS year
    FROM observation o JOIN series s ON s.id = o.series_id
    WHERE o.superseded_at IS NULL AND s.indicator = 'trade_value' AND s.unit = 'USD' AND {calendar_year}
), exports AS (
    SELECT x.*,
        (SELECT m.id FROM annual m WHERE m.geo = 'RUS' AND m.partner = x.geo AND m.flow = 'M'
            AND m.commodity = x.commodity AND m.year = x.year ORDER BY m.source_id LIMIT 1) AS mirror_id
    FROM annual x WHERE x.partner = 'RUS' AND x.flow = 'X'
)
SELECT x.source_id, x.geo AS reporter, x.commodity, x.year,
    x.value AS exports_to_rus_usd, x.id AS exports_obs_id,
    p.value AS previous_year_usd, p.id AS previous_obs_id,
    CASE WHEN p.value > 0 THEN 100.0 * (x.value - p.value) / p.value END AS yoy_change_pct,
    m.value AS mirror_rus_imports_usd, m.id AS mirror_obs_id, m.source_id AS mirror_source_id,
    eu.value AS imports_from_eu_usd, eu.id AS imports_from_eu_obs_id,
    cn.value AS imports_from_chn_usd, cn.id AS imports_from_chn_obs_id
FROM exports x
LEFT JOIN annual p ON p.source_id = x.source_id AND p.geo = x.geo AND p.partner = x.partner
    AND p.flow = x.flow AND p.commodity = x.commodity AND p.year = x.year - 1
LEFT JOIN annual m ON m.id = x.mirror_id
LEFT JOIN annual eu ON eu.source_id = x.source_id AND eu.geo = x.geo AND eu.partner = 'AGG-EU'
    AND eu.flow = 'M' AND eu.commodity = x.commodity AND eu.year = x.year
LEFT JOIN annual cn ON cn.source_id = x.source_id AND cn.geo = x.geo AND cn.partner = 'CHN'
    AND cn.flow = 'M' AND cn.commodity = x.commodity AND cn.year = x.year
"""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute(VIEW.format(year=YEAR[dialect], calendar_year=CALENDAR_YEAR[dialect]))


def downgrade() -> None:
    op.execute("DROP VIEW trade_watch")
