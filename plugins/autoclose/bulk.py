"""Many rows in one ``INSERT ... SELECT`` whose per-row values arrive as
one JSON array parameter, unpacked by the database (``json_each`` on
SQLite, ``jsonb_to_recordset`` on PostgreSQL); and a batch's ids as one
parameter (:func:`among`).

Why not ``insert_many``: peewee builds SQL for every field of every row
(that was most of the sweep's CPU time with 500-row batches), and
PostgreSQL then parses 500 rows of literals. Here the statement is short
and the same for any batch size; Python only dumps one JSON document."""

from __future__ import annotations

import json

import peewee

from app.plugin import db, is_postgres

#: Column types a varying column may have: how PostgreSQL's record reads
#: it, and whether SQLite must keep it as JSON text.
TYPES = {"integer": "integer", "text": "text", "json": "jsonb"}


def quote(name: str) -> str:
    """An identifier quoted the SQL standard way (SQLite and PostgreSQL)."""
    return '"' + name.replace('"', '""') + '"'


def insert_rows(model, fixed: dict, varying: dict, records: list[dict], returning=None):
    """Insert one row of ``model``'s table per record: ``fixed`` maps
    columns to the value every row gets (plain scalars or datetimes),
    ``varying`` maps columns to a type of :data:`TYPES`, read from each
    record's key of the same name (other keys are ignored; every record is
    sent as JSON, so its values must be JSON-serializable). With ``returning`` (a tuple of column
    names) returns those columns of each new row as tuples, in no
    particular order, else None."""
    if not records:
        return [] if returning else None
    postgres = is_postgres()
    columns = [*fixed, *varying]
    mark = "%s" if postgres else "?"
    if postgres:
        shape = ", ".join(f"{quote(c)} {TYPES[t]}" for c, t in varying.items())
        source = f"jsonb_to_recordset({mark}::jsonb) AS v({shape})"
        picked = [f"v.{quote(c)}" for c in varying]
    else:
        source = f"json_each({mark}) AS v"
        # json_extract answers JSON text for objects and arrays, which is
        # how SQLite stores peewee's JSONField.
        picked = [f"json_extract(v.value, '$.{c}')" for c in varying]
    sql = (
        f"INSERT INTO {quote(model._meta.table_name)} ({', '.join(quote(c) for c in columns)}) "
        f"SELECT {', '.join([mark] * len(fixed) + picked)} FROM {source}"
    )
    # Each record as it is: the statement picks the varying keys by name
    # and ignores any other (no copy of 500 dicts per batch).
    params = [*fixed.values(), json.dumps(records)]
    if returning:
        cursor = db.execute_sql(sql + f" RETURNING {', '.join(quote(c) for c in returning)}", params)
        return [tuple(row) for row in cursor.fetchall()]
    db.execute_sql(sql, params)
    return None


def among(column, ids):
    """``column IN ids`` with the ids sent as one parameter (a PostgreSQL
    array, a JSON array unpacked by ``json_each`` on SQLite): peewee builds a
    parameter node per id for ``in_()``, which for a sweep's batches of 500
    cost more than the statement itself. Either way the database looks each
    id up in the primary key."""
    ids = list(ids)
    if is_postgres():
        return column == peewee.fn.ANY(peewee.Value(ids, unpack=False))
    return column.in_(peewee.SQL("(SELECT value FROM json_each(?))", (json.dumps(ids),)))
