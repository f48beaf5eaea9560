"""Bulk apply: a background job over many tickets, with progress and a
result per ticket; a failing ticket does not stop the others."""

from app.models import Message, Profile, Ticket
from app.testing.factories import refresh
from plugins.macros.models import MacroBulkJob

URL = "/api/v1/macros/bulk-apply"


def sms_tickets(count, clock):
    """``count`` SMS tickets, each with its customer's first message, written
    set-based: ingest itself is tested elsewhere, and 200 one-by-one ingests
    would dominate this test's time."""
    at = clock.now()
    phones = [f"+1500555{i:04d}" for i in range(count)]
    Profile.insert_many(
        [
            {"name": f"Customer {i}", "phone": p, "sms_consent": "transactional", "created_at": at, "updated_at": at}
            for i, p in enumerate(phones)
        ]
    ).execute()
    profiles = {p.phone: p.id for p in Profile.select().where(Profile.phone.in_(phones))}
    Ticket.insert_many(
        [
            {
                "channel": "fakesms",
                "thread_key": p,
                "profile": profiles[p],
                "created_at": at,
                "updated_at": at,
                "last_customer_message_at": at,
            }
            for p in phones
        ]
    ).execute()
    tickets = list(Ticket.select().where(Ticket.thread_key.in_(phones)).order_by(Ticket.id))
    Message.insert_many(
        [
            {
                "ticket": t.id,
                "channel": "fakesms",
                "direction": "inbound",
                "author_type": "customer",
                "text": "Is the sale still on?",
                "external_id": f"in-{t.id}",
                "created_at": at,
            }
            for t in tickets
        ]
    ).execute()
    return tickets


def test_bulk_over_200_tickets_with_one_failing(sms_channel, support, make_macro, as_agent, clock):
    tickets = sms_tickets(200, clock)
    refusing = tickets[137]
    Profile.update(sms_consent=None).where(Profile.id == refusing.profile_id).execute()
    macro = make_macro(
        support,
        "Spring sale closed",
        body="Hi {{ customer.phone }}, the sale has ended.",
        actions=[{"type": "set_status", "params": {"status": "closed"}}],
    )
    client = as_agent(support)
    resp = client.post(URL, json={"macro_id": macro.id, "ticket_ids": [t.id for t in tickets]})
    assert resp.status_code == 202, resp.json
    job_id = resp.json["id"]
    status = client.get(f"{URL}/{job_id}").json
    assert status["state"] == "done"
    assert (status["total"], status["done"], status["succeeded"], status["failed"]) == (200, 200, 199, 1)
    [failure] = [r for r in status["results"] if not r["ok"]]
    assert failure["ticket_id"] == refusing.id and failure["code"] == "no_sms_consent"
    assert failure["message"] == "This customer has not agreed to receive SMS."
    assert len(status["results"]) == 200
    # The refused ticket is untouched; every other one got its reply and actions.
    assert refresh(refusing).status == "open"
    assert Ticket.select().where(Ticket.status == "closed").count() == 199
    assert len(sms_channel.sent) == 199
    assert sms_channel.sent[0].text == "Hi +15005550000, the sale has ended."
    assert refresh(macro).usage_count == 199


def test_missing_tickets_are_reported_and_jobs_are_private(ticket, support, make_agent, make_macro, as_agent):
    macro = make_macro(support, "Tag", actions=[{"type": "add_tags", "params": {"tags": ["x"]}}])
    resp = as_agent(support).post(URL, json={"macro_id": macro.id, "ticket_ids": [ticket.id, 424242]})
    job = resp.json
    assert [(r["ticket_id"], r["ok"], r["code"]) for r in job["results"]] == [
        (ticket.id, True, "ok"),
        (424242, False, "not_found"),
    ]
    assert as_agent(make_agent(role="manager")).get(f"{URL}/{job['id']}").status_code == 404


def test_bulk_input_is_bounded(support, make_macro, as_agent):
    macro = make_macro(support, "Tag", actions=[{"type": "add_tags", "params": {"tags": ["x"]}}])
    client = as_agent(support)
    assert client.post(URL, json={"macro_id": macro.id, "ticket_ids": []}).status_code == 422
    resp = client.post(URL, json={"macro_id": macro.id, "ticket_ids": list(range(1, 1003))})
    assert resp.status_code == 422 and "ticket_ids" in resp.json["error"]["fields"]
    assert client.post(URL, json={"macro_id": 999, "ticket_ids": [1]}).status_code == 404
    assert MacroBulkJob.select().count() == 0


def test_a_rerun_job_skips_tickets_already_done(ticket, support, make_macro, fake_channel):
    from plugins.macros import service

    macro = make_macro(support, "Hi", body="Hello")
    job = service.start_bulk(macro, [ticket.id], support)
    MacroBulkJob.update(state="running").where(MacroBulkJob.id == job.id).execute()  # as if a worker died
    service.run_bulk(job.id)
    assert Message.select().where(Message.kind == "message", Message.direction == "outbound").count() == 1
    assert refresh(job).done == 1


def test_each_ticket_of_a_bulk_job_says_which_macro_ran_and_why(sms_channel, support, make_macro, as_agent, clock):
    """Issue 21: a macro applied in bulk runs on each ticket in a background
    job, without an agent clicking on that ticket: an automatic action, so
    each ticket gets a notice and an activity entry with the reason, and the
    API answers the same reason on both."""
    from app.auth import create_token

    *tickets, single = sms_tickets(4, clock)
    macro = make_macro(
        support,
        "Spring sale closed",
        body="Hi, the sale has ended.",
        actions=[{"type": "set_status", "params": {"status": "closed"}}],
    )
    client = as_agent(support)
    resp = client.post(URL, json={"macro_id": macro.id, "ticket_ids": [t.id for t in tickets]})
    assert resp.status_code == 202, resp.json
    job_id = resp.json["id"]
    _, token = create_token(support, "test")
    headers = {"Authorization": f"Bearer {token}"}
    expected = {
        "rule": "macros.bulk",
        "summary": "Bulk macro: Sam Support applied “Spring sale closed” to 3 tickets at 2026-01-05 09:00 UTC, "
        "and a background job ran it on this ticket: its reply; Set status to closed.",
        "inputs": {
            "macro_id": macro.id,
            "macro": "Spring sale closed",
            "job_id": job_id,
            "started_by_id": support.id,
            "started_by": "Sam Support",
            "started_at": "2026-01-05T09:00:00+00:00",
            "tickets": 3,
            "reply": True,
            "actions": ["set_status"],
        },
        "settings_url": f"/macros/{macro.id}",
    }
    for ticket in tickets:
        thread = client.get(f"/api/v1/tickets/{ticket.id}/messages", headers=headers).json["items"]
        assert [(m["kind"], m["text"]) for m in thread[1:]] == [
            ("message", "Hi, the sale has ended."),
            ("notice", "Macro “Spring sale closed” applied by a bulk action of Sam Support."),
        ]
        assert thread[-1]["reason"] == expected and thread[1]["reason"] is None
        items = client.get(f"/api/v1/tickets/{ticket.id}/activities", headers=headers).json["items"]
        [applied] = [a for a in items if a["action"] == "macro_applied"]
        assert applied["reason"] == expected and applied["actor"]["name"] == "Sam Support"
        assert applied["undo_until"] is None  # its reply is sent: nothing to take back
    # An agent applying the macro from the composer is not automatic: no notice.
    r = client.post(f"/api/v1/macros/{macro.id}/apply", json={"ticket_id": single.id})
    assert r.status_code in (200, 201), r.json
    assert not Message.select().where((Message.ticket == single.id) & (Message.kind == "notice")).exists()
