"""The schema's history: one file per step, ``NNNN_name.py`` defining ``up(migrator, db)``, applied in
order by ``incidents.db.migrate`` and recorded in ``schema_migration``.

The rule: **a migration never imports the live models; it declares what it changes.** A table is
created from a frozen model class written inside the step (``Meta.table_name``, its columns as they
were that day), a column is added with its field written out, and a data step reads and writes
those columns by name. So a step means the same thing the day it is written and ten model changes
later, and a database made at any step migrates to today's schema: ``tests/test_migrations.py``
migrates an empty database through every step and compares the result with what the models create.

A data step that derives values today's code must agree with (the search keys a query is matched
against, the open-data cells an export reads, the ciphertext the data key opens) calls that live pure
function and says why; any other rule it applies is written out in the step.

The helpers below build those declarations; they describe tables by name, never by model.
"""
from __future__ import annotations

from peewee import SQL, AutoField, CharField, CompositeKey, Field, ForeignKeyField, IntegerField, Model, Table, fn
from playhouse.migrate import make_index_name


class Frozen(Model):
    """A table as one step knows it. Bound to the step's database only while the step uses it."""

    class Meta:
        legacy_table_names = False


def reference(table: str, key: str = "id", key_field: Field | None = None) -> type[Frozen]:
    """A stand-in for a table an earlier step created, for a foreign key to point at: its primary
    key ``key``, an integer unless ``key_field`` says otherwise."""
    field = key_field or (AutoField() if key == "id" else IntegerField())
    field.primary_key, field.column_name = True, key
    meta = type("Meta", (), {"table_name": table})
    return type(f"Frozen_{table}", (Frozen,), {"Meta": meta, key: field, "__module__": __name__})


def foreign_key(table: str, to: str = "id", to_field: Field | None = None, **options) -> ForeignKeyField:
    """A foreign key to ``table`` (its primary key, the column ``to``, an integer unless ``to_field``
    says otherwise), as a column of its own or of a frozen model."""
    target = reference(table, to, to_field)
    return ForeignKeyField(target, field=target._meta.primary_key, backref="+", **options)


def create_tables(db, *models: type[Frozen]) -> None:
    """Create the frozen models' tables and indexes, those that do not exist yet, in the order given:
    a foreign key points at a stand-in, so peewee cannot order the tables by their references."""
    with db.bind_ctx(models):
        for model in models:
            model.create_table(safe=True)


def add_columns(migrator, table: str, **columns) -> None:
    """Add to ``table`` each column (name=field) it does not have yet.

    Only the missing ones: a step re-run on a database that has its columns (as the upgrade tests
    do, after dropping some) adds what it lacks and nothing twice.
    """
    present = {column.name for column in migrator.database.get_columns(table)}
    operations = [migrator.add_column(table, name, field) for name, field in columns.items() if name not in present]
    if operations:
        migrator.migrate(*operations)


def indexes_of(db, table: str) -> set[str]:
    return {index.name for index in db.get_indexes(table)}


def drop_indexes(migrator, table: str, *names: str) -> None:
    """Drop those of the indexes ``names`` that ``table`` has."""
    present = indexes_of(migrator.database, table)
    operations = [migrator.drop_index(table, name) for name in names if name in present]
    if operations:
        migrator.migrate(*operations)


class _Count(Frozen):
    dimension = CharField()
    value = CharField()
    count = IntegerField()

    class Meta:
        table_name = "published_count"
        primary_key = CompositeKey("dimension", "value")


def count_published(db, columns: dict[str, str]) -> None:
    """Count the published incidents afresh into ``published_count``: in all (dimension "total"),
    per value of each facet column (``columns``: dimension -> column of ``published_incident``)
    and per vocabulary term; and count one more change (dimension "generation")."""
    counts = {("total", ""): db.execute_sql("SELECT COUNT(*) FROM published_incident").fetchone()[0]}
    published = Table("published_incident").bind(db)
    for dimension, column in columns.items():
        value = getattr(published.c, column)  # quoted as an identifier by peewee
        query = published.select(value, fn.COUNT(SQL("*"))).where(value.is_null(False)).group_by(value)
        counts.update({(dimension, str(found)): number for found, number in query.tuples()})
    cursor = db.execute_sql("SELECT vocabulary, code, COUNT(*) FROM published_term GROUP BY vocabulary, code")
    counts.update({(vocabulary, code): number for vocabulary, code, number in cursor})
    with db.bind_ctx([_Count]):
        generation = _Count.select(_Count.count).where(_Count.dimension == "generation").scalar() or 0
        counts[("generation", "")] = generation + 1
        _Count.delete().execute()
        rows = [{"dimension": d, "value": v, "count": n} for (d, v), n in counts.items()]
        for start in range(0, len(rows), 500):
            _Count.insert_many(rows[start:start + 500]).execute()


def add_indexes(migrator, table: str, *indexes: tuple[tuple[str, ...], bool]) -> None:
    """Add to ``table`` each index ((columns), unique) it does not have yet, named as peewee names them."""
    present = indexes_of(migrator.database, table)
    operations = [migrator.add_index(table, columns, unique) for columns, unique in indexes
                  if make_index_name(table, columns) not in present]
    if operations:
        migrator.migrate(*operations)
