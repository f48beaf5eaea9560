"""Two list indexes (``app.services.views``):

- ``ticket_tag_status_list`` on ``ticket_tag (tag_id, status, updated_at,
  ticket_id, channel)``: a tagged list with no assignee filter (``status=open
  &tag=refund``, All tickets + tag) walks the tag's rows of each status in
  update order, one walk per status, merged, and stops after a page, instead
  of walking every ticket of the statuses and probing each for the tag (a
  few hundred thousand at 1M for a tag few of them carry). The columns are
  the copies migration 0020 keeps by triggers; ``ticket_tag_list`` leads
  with the assignee after the status, so it serves only lists of one agent
  (or of no one).
- ``ticket_updated_day_created_at_id`` on ``ticket (date(updated_at),
  created_at, id)``: an updated range sorted by creation walks each day of
  the range in creation order and stops after a page, as 0018's index does
  for a created range sorted by update, instead of reading and sorting every
  ticket updated in the range.

Each costs one more index entry per write: a tag row's whenever its ticket's
status, channel or update time changes; the ticket's whenever it is updated
(docs/benchmarks.md, "Tags of some statuses, updated ranges sorted by
creation"). On PostgreSQL ``CREATE INDEX`` blocks writes to the table while
it runs (seconds at 1M tickets).
"""

INDEXES = {
    "ticket_tag_status_list": 'ON "ticket_tag" ("tag_id", "status", "updated_at", "ticket_id", "channel")',
    "ticket_updated_day_created_at_id": 'ON "ticket" (date("updated_at"), "created_at", "id")',
}


def up(migrator, db):
    with db.atomic():
        for name, target in INDEXES.items():
            db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{name}" {target}')


def down(migrator, db):
    with db.atomic():
        for name in INDEXES:
            db.execute_sql(f'DROP INDEX IF EXISTS "{name}"')
