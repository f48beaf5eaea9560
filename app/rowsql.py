"""Writes of one model row (an ``INSERT`` of a new row, an ``UPDATE`` of the
fields changed since it was read) with the SQL text written out from the
model's fields instead of built by peewee's query compiler: on the inbound
hot path peewee spent more CPU composing a small insert than SQLite spends
running it (docs/benchmarks.md, "Inbound over HTTP"). Values go through
each field's ``db_value`` as peewee would convert them, and each statement
is logged on the ``peewee`` logger like any other (query counts see it).

Use :func:`insert` where ``Model.create(**fields)`` would do and
:func:`save_dirty` where ``instance.save()`` would (with ``only_save_dirty``,
as every model here has)."""

from __future__ import annotations

import peewee

from .db import db, is_postgres


def _quoted(database, name):
    left, right = database.quote  # peewee's pair of identifier quotes
    return f"{left}{name}{right}"


def _placeholder(param, converted):
    """The SQL for one value and its parameters: a field's ``db_value`` may
    wrap a value in a function (SQLite's ``json(?)`` for JSON fields)."""
    if not isinstance(converted, peewee.Node):
        return param, (converted,)
    if (
        isinstance(converted, peewee.Function)
        and len(converted.arguments) == 1
        and not isinstance(converted.arguments[0], peewee.Node)
        and not converted._order_by
        and converted._filter is None
    ):
        return f"{converted.name}({param})", (converted.arguments[0],)
    sql, params = db.obj.get_sql_context().sql(converted).query()
    return sql, tuple(params)


def _columns(instance, names):
    database = db.obj
    fields = instance._meta.fields
    sql, params = [], []
    for name in names:
        field = fields[name]
        text, values = _placeholder(database.param, field.db_value(instance.__data__[name]))
        sql.append((_quoted(database, field.column_name), text))
        params.extend(values)
    return sql, params


def insert(model, **values):
    """``model.create(**values)``: a new instance with the model's defaults
    filled in, inserted, its primary key set."""
    instance = model(**values)
    meta = model._meta
    pk = meta.primary_key
    instance._populate_unsaved_relations(instance.__data__)
    data = instance.__data__
    # In the fields' order, so one call site always sends the same text (and
    # hits the driver's statement cache).
    names = [name for name in meta.sorted_field_names if name in data and not (name == pk.name and data[name] is None)]
    columns, params = _columns(instance, names)
    database = db.obj
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        _quoted(database, meta.table_name),
        ", ".join(column for column, _text in columns),
        ", ".join(text for _column, text in columns),
    )
    if is_postgres(database):
        cursor = db.execute_sql(f"{sql} RETURNING {_quoted(database, pk.column_name)}", params)
        new_id = cursor.fetchone()[0]
    else:
        new_id = db.execute_sql(sql, params).lastrowid
    if instance.__data__.get(pk.name) is None:
        instance.__data__[pk.name] = new_id
    instance._dirty.clear()
    return instance


def save_dirty(instance):
    """``instance.save()`` for a row read or inserted before: ``UPDATE`` of
    the fields changed since, by primary key; returns the rows changed (0
    when nothing changed, without a statement)."""
    dirty = instance._dirty
    names = [
        name for name in instance._meta.sorted_field_names if name in dirty and name != instance._meta.primary_key.name
    ]
    if not names:
        instance._dirty.clear()
        return 0
    database = db.obj
    meta = instance._meta
    columns, params = _columns(instance, names)
    pk = meta.primary_key
    sql = "UPDATE {} SET {} WHERE ({} = {})".format(
        _quoted(database, meta.table_name),
        ", ".join(f"{column} = {text}" for column, text in columns),
        _quoted(database, pk.column_name),
        database.param,
    )
    params.append(pk.db_value(instance._pk))
    rows = db.execute_sql(sql, params).rowcount
    instance._dirty.clear()
    return rows
