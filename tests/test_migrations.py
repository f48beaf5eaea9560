"""The migrated schema equals the models, on whichever backend runs."""

from playhouse.schema_diff import diff_models

from app.db import db

# Full-text search on PostgreSQL keeps a generated ``search_vector`` column
# (and its GIN index) that the database computes and no model reads
# (app/services/search.py queries it in SQL); on SQLite the same lives in
# FTS5 tables outside the models.
SEARCH_COLUMN = "search_vector"


def test_migrated_schema_matches_models(app):
    models = app.extensions["helpline.plugins"].all_models()
    diff = diff_models(db.obj, models)
    diff = diff._replace(
        drop_columns=[tc for tc in diff.drop_columns if tc[1] != SEARCH_COLUMN],
        drop_indexes=[i for i in diff.drop_indexes if tuple(i.columns) != (SEARCH_COLUMN,)],
    )
    assert not diff, f"models and migrations disagree:\n{diff}"


def test_migrate_status_has_nothing_pending(app):
    assert app.extensions["helpline.plugins"].pending_migrations() == []


def test_each_source_keeps_its_own_history_table(app):
    tables = set(db.get_tables())
    for source, _ in app.extensions["helpline.plugins"].migration_sources():
        runner = app.extensions["helpline.plugins"].runner(source, _)
        if runner.migrations():
            assert f"migrations_{source}" in tables
