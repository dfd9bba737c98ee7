"""PostgreSQL: a figure's series and snapshot are checked once per statement, not once per row

Revision ID: 0006
Revises: 0005

A foreign key on PostgreSQL runs a trigger for every inserted row: a lookup and a row lock on the
parent. For a million figures that is two million lookups and locks, a third of the write
(bench/schema_study.py and bench/load.py, docs/PERFORMANCE.md). The foreign keys from ``observation`` to
``series`` and ``snapshot`` become triggers that give the same guarantee (every figure names an
existing series and, where it names one, an existing snapshot, and neither can be removed while a
figure names it), checked once per statement over all of its rows:

- after an INSERT (or COPY) into ``observation``: no new figure names a missing series or snapshot.
  Under READ COMMITTED (every writer here) the check reads a fresh snapshot of the parents; under a
  stricter isolation level it first locks the named parents as a foreign key does (``FOR KEY SHARE``),
  so a concurrent delete fails to serialize instead of leaving an orphan;
- a figure's ``series_id`` and ``snapshot_id`` and the parents' ``id`` never change (a foreign key
  would allow re-pointing; nothing here does it, and refusing keeps the check to inserts);
- a DELETE or TRUNCATE on ``series`` or ``snapshot`` first locks ``observation`` against writers
  (``SHARE ROW EXCLUSIVE``: it waits for running loads to end and holds new ones until it ends), then
  refuses if any figure names a removed row. It runs only under READ COMMITTED, where the check sees
  every figure committed before the lock.

``tests/test_figure_references.py`` shows each of these on both databases (SQLite keeps its foreign
keys, which it checks inside each INSERT at little cost: 0.7 s of 12.8 s for a million figures), and
the two orders of a concurrent delete and load on PostgreSQL.
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0006"
down_revision: Union[str, None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

FOREIGN_KEYS = (("observation_series_id_fkey", "series_id", "series"),
                ("observation_snapshot_id_fkey", "snapshot_id", "snapshot"))

FUNCTIONS = r"""
CREATE FUNCTION figure_parents_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  missing bigint;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    PERFORM 1 FROM series WHERE id IN (SELECT series_id FROM new_figures) FOR KEY SHARE;
    PERFORM 1 FROM snapshot WHERE id IN (SELECT snapshot_id FROM new_figures) FOR KEY SHARE;
  END IF;
  SELECT n.series_id INTO missing FROM new_figures n
   WHERE NOT EXISTS (SELECT 1 FROM series s WHERE s.id = n.series_id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert on table "observation" names series % which is not in table "series"', missing
      USING ERRCODE = 'foreign_key_violation', TABLE = 'observation', COLUMN = 'series_id';
  END IF;
  SELECT n.snapshot_id INTO missing FROM new_figures n
   WHERE n.snapshot_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM snapshot s WHERE s.id = n.snapshot_id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert on table "observation" names snapshot % which is not in table "snapshot"', missing
      USING ERRCODE = 'foreign_key_violation', TABLE = 'observation', COLUMN = 'snapshot_id';
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION figure_reference_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'update on table "%" changes %, by which figures name their series and snapshot: refused',
    TG_TABLE_NAME, TG_ARGV[0] USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME;
END $$;

CREATE FUNCTION figure_parents_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION '% on table "%" runs only under READ COMMITTED, where it can see every figure', TG_OP,
      TG_TABLE_NAME USING ERRCODE = 'feature_not_supported';
  END IF;
  LOCK TABLE observation IN SHARE ROW EXCLUSIVE MODE;
  IF TG_OP = 'TRUNCATE' AND EXISTS (SELECT 1 FROM observation) THEN
    RAISE EXCEPTION 'truncate on table "%" removes rows that figures name', TG_TABLE_NAME
      USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME;
  END IF;
  RETURN NULL;
END $$;
"""


def _unnamed_after_delete(parent: str) -> str:
    """The check after a DELETE on ``parent``: no figure names a removed row."""
    return f"""
CREATE FUNCTION {parent}_unnamed_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  figure bigint;
BEGIN
  SELECT o.id INTO figure FROM observation o JOIN deleted d ON o.{parent}_id = d.id LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'delete on table "{parent}" removes a {parent} that figure % names', figure
      USING ERRCODE = 'foreign_key_violation', TABLE = '{parent}';
  END IF;
  RETURN NULL;
END $$"""


PARENTS = ("series", "snapshot")
TRIGGERS = (
    """CREATE TRIGGER observation_parents_exist AFTER INSERT ON observation
       REFERENCING NEW TABLE AS new_figures FOR EACH STATEMENT EXECUTE FUNCTION figure_parents_exist()""",
    """CREATE TRIGGER observation_references_fixed BEFORE UPDATE OF series_id, snapshot_id ON observation
       FOR EACH ROW WHEN (OLD.series_id IS DISTINCT FROM NEW.series_id
                          OR OLD.snapshot_id IS DISTINCT FROM NEW.snapshot_id)
       EXECUTE FUNCTION figure_reference_fixed('series_id or snapshot_id')""",
    *(f"""CREATE TRIGGER {parent}_id_fixed BEFORE UPDATE OF id ON {parent}
          FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION figure_reference_fixed('id')"""
      for parent in PARENTS),
    *(f"""CREATE TRIGGER {parent}_removal_lock BEFORE DELETE OR TRUNCATE ON {parent}
          FOR EACH STATEMENT EXECUTE FUNCTION figure_parents_lock()""" for parent in PARENTS),
    *(f"""CREATE TRIGGER {parent}_unnamed_after_delete AFTER DELETE ON {parent}
          REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION {parent}_unnamed_after_delete()"""
      for parent in PARENTS),
)
DROPPED = (("observation_parents_exist", "observation"), ("observation_references_fixed", "observation"),
           ("series_id_fixed", "series"), ("snapshot_id_fixed", "snapshot"),
           ("series_removal_lock", "series"), ("snapshot_removal_lock", "snapshot"),
           ("series_unnamed_after_delete", "series"), ("snapshot_unnamed_after_delete", "snapshot"))
FUNCTION_NAMES = ("figure_parents_exist", "figure_reference_fixed", "figure_parents_lock",
                  "series_unnamed_after_delete", "snapshot_unnamed_after_delete")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite keeps its foreign keys (see above)
    for name, _column, _parent in FOREIGN_KEYS:
        op.drop_constraint(name, "observation", type_="foreignkey")
    op.execute(FUNCTIONS)
    for parent in PARENTS:
        op.execute(_unnamed_after_delete(parent))
    for trigger in TRIGGERS:
        op.execute(trigger)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for trigger, table in DROPPED:
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
    for function in FUNCTION_NAMES:
        op.execute(f"DROP FUNCTION {function}()")
    for name, column, parent in FOREIGN_KEYS:
        op.create_foreign_key(name, "observation", parent, [column], ["id"])
