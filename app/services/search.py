"""Full-text search: which tickets a text finds, and how well they match.

A ticket matches when every term of the text occurs in its subject, in one of
its messages (any of them, not only the latest) or in its customer's name,
email or phone. The indexes are built by migration ``0006_search`` and kept
current by the database itself (FTS5 triggers on SQLite, generated
``tsvector`` columns on PostgreSQL), so every write path stays searchable.

Terms are the whitespace-separated pieces of the text that hold a letter or
a digit; each is looked up as a phrase of the words the tokenizer makes of
it, so punctuation (``order_123``, ``50%``, an email address) matches as it
was written and is never query syntax. Stemming: English and Spanish on
PostgreSQL; English (Porter) with accents folded on SQLite.
"""

from __future__ import annotations

import contextlib
import re

from peewee import CTE, SQL

from ..db import db, is_postgres

MAX_TERMS = 10
_WORD = re.compile(r"\w")

# Each kind of match (message, subject, customer) contributes its CANDIDATES
# most recent hits (SQLite's FTS index walks newest first and stops;
# PostgreSQL picks one of two ways per table, see below), which are then
# ranked: the work is bounded whether a word is rare or in every other
# message. A word that common is narrowed by adding words.
CANDIDATES = 1000

# bm25() is lower-is-better on SQLite; ts_rank() higher-is-better, so it is
# negated: on both backends a lower score is a better match. A subject match
# weighs twice a message match.
_SQLITE_HITS = (
    "SELECT message.ticket_id AS ticket_id, hit.score AS score FROM ("
    "SELECT rowid AS id, bm25(message_fts) AS score FROM message_fts WHERE message_fts MATCH {p} "
    "ORDER BY rowid DESC LIMIT {k}) AS hit JOIN message ON message.id = hit.id "
    "UNION ALL SELECT * FROM (SELECT rowid, 2 * bm25(ticket_fts) FROM ticket_fts WHERE ticket_fts MATCH {p} "
    "ORDER BY rowid DESC LIMIT {k}) "
    "UNION ALL SELECT ticket.id, hit.score FROM ("
    "SELECT rowid AS id, bm25(profile_fts) AS score FROM profile_fts WHERE profile_fts MATCH {p} "
    "ORDER BY rowid DESC LIMIT {k}) AS hit JOIN ticket ON ticket.profile_id = hit.id"
)
# Stems in English or in Spanish, or the words as written (customer fields
# are indexed unstemmed). The words as written are left out when they equal
# a stemmed form (most words: "cancel", "refund", an order number), since
# every row a walk tests evaluates each branch of the OR (81,000 rows for a
# pair of words in 1.2 % of messages: 36 ms with three branches, 31 with
# two). Same matches, same ts_rank: it counts each distinct lexeme once, and
# the query stays an OR (ts_rank ranks an AND differently), even when the
# two stemmed forms are equal. Folds to one constant when planned.
_EN, _ES, _AS_IS = (f"websearch_to_tsquery('{c}', {{p}})" for c in ("english", "spanish", "simple"))
_TSQUERY = f"(CASE WHEN {_AS_IS} IN ({_EN}, {_ES}) THEN {_EN} || {_ES} ELSE {_EN} || {_ES} || {_AS_IS} END)"

# PostgreSQL has two ways to find a table's CANDIDATES newest hits, and the
# planner's choice between them rests on its estimate of how many rows match,
# which is wrong for any word outside its sample of most common ones (an
# order number is estimated at 75,000 rows of 5M; it is in 5): walking the
# primary key backwards, testing each row, reads CANDIDATES / frequency rows
# (25,000 for a word in 4 % of rows, all of them for a rare one); the GIN
# bitmap fetches every match, each from its own page (every row holding a
# common word). So each search measures instead: it tests the term on the
# SAMPLE newest rows of each table and takes the cheaper way for that
# frequency, a fetched match costing BITMAP_ROW_COST walked rows (measured
# at 1M tickets: 11 us against 0.6 us a message, 6 against 0.3 a ticket).
# Either way finds the same CANDIDATES newest hits; the sample only picks.
SAMPLE = 1000
BITMAP_ROW_COST = 20
_PG_SAMPLE = (
    "{t}_walk AS MATERIALIZED (SELECT k > 0 AND least({c}.0 * s / greatest(k, 1), n) < {r}.0 * k * n / s AS walk "
    "FROM (SELECT count(*) FILTER (WHERE search_vector @@ {q}) AS k, greatest(count(*), 1) AS s, "
    "(SELECT max(id) FROM {t}) AS n FROM (SELECT search_vector FROM {t} ORDER BY id DESC LIMIT {s}) AS newest) AS sample)"
)
# The walk: OFFSET 0 keeps the match test out of the ordered subquery, so the
# plan is the backward primary-key walk whatever the estimate. The bitmap:
# "id + 0" cannot be read from the primary key in order, so the matches are
# read from the GIN index and the newest kept. Only one runs: the other's
# one-time filter is false.
_PG_NEWEST = (
    "(SELECT {cols}, search_vector FROM (SELECT {inner}, search_vector FROM {t} ORDER BY id DESC OFFSET 0) AS newest "
    "WHERE search_vector @@ {q} AND (SELECT walk FROM {t}_walk) ORDER BY id DESC LIMIT {c}) "
    "UNION ALL SELECT * FROM (SELECT {cols}, search_vector FROM {t} WHERE search_vector @@ {q} "
    "ORDER BY id + 0 DESC LIMIT {c}) AS matches WHERE NOT (SELECT walk FROM {t}_walk)"
)
_POSTGRES_HITS = (
    "WITH {message_walk}, {ticket_walk}, {profile_walk} "
    "SELECT hit.ticket_id AS ticket_id, -ts_rank(hit.search_vector, {q}) AS score FROM ({message}) AS hit "
    "UNION ALL SELECT hit.id, -2 * ts_rank(hit.search_vector, {q}) FROM ({ticket}) AS hit "
    # A customer's tickets by the profile_id index, one customer at a time
    # (OFFSET 0 keeps it a nested loop): a hash join would read every ticket
    # when the planner expects many customers.
    "UNION ALL SELECT mine.id, -ts_rank(hit.search_vector, {q}) FROM ({profile}) AS hit "
    "CROSS JOIN LATERAL (SELECT id FROM ticket WHERE ticket.profile_id = hit.id OFFSET 0) AS mine"
)


def _postgres_hits(q):
    parts = {"q": q}
    for table, cols in (("message", "ticket_id"), ("ticket", "id"), ("profile", "id")):
        inner = "id" if cols == "id" else f"id, {cols}"
        parts[f"{table}_walk"] = _PG_SAMPLE.format(t=table, q=q, c=CANDIDATES, r=BITMAP_ROW_COST, s=SAMPLE)
        parts[table] = _PG_NEWEST.format(t=table, q=q, c=CANDIDATES, cols=cols, inner=inner)
    return _POSTGRES_HITS.format(**parts)


@contextlib.contextmanager
def planned(searching=True):
    """Around running a statement that holds a search (``searching``): on
    PostgreSQL, inside a transaction that turns off JIT compilation and
    parallel workers for its statements (inside an outer transaction, until
    that one ends). Both are chosen from the plan's estimated cost, which the
    branch that does not run inflates: compiling took 100 ms and starting two
    workers 15-80 ms for a search that then ran in 2 ms."""
    if not (searching and is_postgres()):
        yield
        return
    with db.atomic():
        db.execute_sql(
            "SELECT set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)"
        )
        yield


def terms(text):
    """The terms of a search text (at most ``MAX_TERMS``)."""
    return [piece for piece in (text or "").split() if _WORD.search(piece)][:MAX_TERMS]


def _hits(text):
    """``(sql, params)`` selecting ``(ticket_id, score)``, one row per
    matching message, subject or customer; None when the text has no term."""
    found = terms(text)
    if not found:
        return None
    if is_postgres():
        query = " ".join('"' + piece.replace('"', " ") + '"' for piece in found)
        sql = _postgres_hits(_TSQUERY.format(p=db.param))
        return sql, [query] * sql.count(db.param)
    query = " ".join('"' + piece.replace('"', '""') + '"' for piece in found)
    return _SQLITE_HITS.format(p=db.param, k=CANDIDATES), [query] * 3


def matching_ids(text):
    """A subquery of the ids of the tickets ``text`` finds, for ``IN``."""
    hits = _hits(text)
    if hits is None:
        return SQL("(SELECT NULL WHERE 1 = 0)")
    sql, params = hits
    return SQL(f"(SELECT ticket_id FROM ({sql}) AS hits)", params)


def ranked(text):
    """A CTE ``search_hits(ticket_id, score)``: each ticket ``text`` finds
    once, with its best score (lower is better). Join it on ``ticket_id``."""
    hits = _hits(text) or ("SELECT NULL AS ticket_id, NULL AS score WHERE 1 = 0", [])
    sql, params = hits
    # Sorted as a relevance page sorts (score, then id): PostgreSQL then reads
    # the tickets in that order and stops after a page, instead of reading
    # every candidate's ticket, customer and assignee (2,000 of them for a
    # common word at 1M: about 20 ms) and sorting them all.
    body = SQL(f"SELECT ticket_id, MIN(score) FROM ({sql}) AS hits GROUP BY ticket_id ORDER BY 2, 1", params)
    return CTE("search_hits", body, columns=("ticket_id", "score"))
