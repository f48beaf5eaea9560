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

import re

from peewee import CTE, SQL

from ..db import db, is_postgres

MAX_TERMS = 10
_WORD = re.compile(r"\w")

# Each kind of match (message, subject, customer) contributes its CANDIDATES
# most recent hits (the FTS index and the ids walk newest first and stop),
# which are then ranked: a search costs the same whether a word is rare or
# in every other message. A word that common is narrowed by adding words.
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
# are indexed unstemmed).
_TSQUERY = (
    "(websearch_to_tsquery('english', {p}) || websearch_to_tsquery('spanish', {p}) "
    "|| websearch_to_tsquery('simple', {p}))"
)
_POSTGRES_HITS = (
    "SELECT hit.ticket_id AS ticket_id, -ts_rank(hit.search_vector, {q}) AS score FROM ("
    "SELECT ticket_id, search_vector FROM message WHERE search_vector @@ {q} ORDER BY id DESC LIMIT {k}) AS hit "
    "UNION ALL SELECT hit.id, -2 * ts_rank(hit.search_vector, {q}) FROM ("
    "SELECT id, search_vector FROM ticket WHERE search_vector @@ {q} ORDER BY id DESC LIMIT {k}) AS hit "
    "UNION ALL SELECT ticket.id, -ts_rank(hit.search_vector, {q}) FROM ("
    "SELECT id, search_vector FROM profile WHERE search_vector @@ {q} ORDER BY id DESC LIMIT {k}) AS hit "
    "JOIN ticket ON ticket.profile_id = hit.id"
)


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
        sql = _POSTGRES_HITS.format(q=_TSQUERY.format(p=db.param), k=CANDIDATES)
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
    body = SQL(f"SELECT ticket_id, MIN(score) FROM ({sql}) AS hits GROUP BY ticket_id", params)
    return CTE("search_hits", body, columns=("ticket_id", "score"))
