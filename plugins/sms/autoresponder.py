"""The automatic reply to senders who have not consented to SMS, at most
once per phone number per window (the loop guard: two automated systems
must never answer each other forever)."""

import datetime as dt

import peewee

from app.plugin import db, get_plugins, now

from .models import AutoReplyLog
from .schemas import render


def template_context():
    """``organization_prefix`` and ``email`` from the core settings."""
    core = get_plugins().get_settings("core")
    return {"organization_prefix": core["sms_prefix"], "email": core["support_email"]}


def autoresponder_text(settings):
    return render(settings["autoresponder_template"], **template_context())


def help_text(settings):
    return render(settings["help_reply"], **template_context())


def claim(phone, window_hours):
    """True when ``phone`` may get an automatic reply now, recording it; a
    reply exactly one window after the previous one is allowed. Call inside a
    write transaction (the sender's rows are serialized by the caller)."""
    at = now()
    cutoff = at - dt.timedelta(hours=window_hours)
    updated = (
        AutoReplyLog.update(last_sent_at=at, count=AutoReplyLog.count + 1)
        .where((AutoReplyLog.phone == phone) & (AutoReplyLog.last_sent_at <= cutoff))
        .execute()
    )
    if updated:
        return True
    if AutoReplyLog.select().where(AutoReplyLog.phone == phone).exists():
        return False
    try:
        with db.atomic():
            AutoReplyLog.create(phone=phone, last_sent_at=at)
    except peewee.IntegrityError:  # a concurrent webhook claimed it first
        return False
    return True
