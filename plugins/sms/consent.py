"""A customer's SMS consent as three distinct states: never asked, opted in
(the profile holds a marketing or transactional consent) and opted out (the
last STOP/START keyword they texted was STOP). An opted-out number gets
nothing automatic; the states and the keyword history are shown on the
customer's profile through :class:`ConsentPanel`."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.plugin import SMS_CONSENT, Panel, utc_iso

from .models import KeywordLog

NEVER_ASKED, OPTED_IN, OPTED_OUT = "never_asked", "opted_in", "opted_out"
LABELS = {NEVER_ASKED: _l("Never asked"), OPTED_IN: _l("Opted in"), OPTED_OUT: _l("Opted out")}
ACTION_LABELS = {"opt_out": _l("opted out"), "opt_in": _l("opted in"), "help": _l("asked for help")}
HISTORY_SHOWN = 20


def _last_opt_action(phone):
    row = (
        KeywordLog.select(KeywordLog.action)
        .where((KeywordLog.phone == phone) & (KeywordLog.action.in_(("opt_out", "opt_in"))))
        .order_by(KeywordLog.received_at.desc(), KeywordLog.id.desc())
        .first()
    )
    return row.action if row else None


def state(phone, sms_consent):
    """``never_asked``, ``opted_in`` or ``opted_out`` for ``phone`` whose
    profile holds ``sms_consent``. One indexed query at most."""
    if sms_consent in SMS_CONSENT:
        return OPTED_IN
    if phone and _last_opt_action(phone) == "opt_out":
        return OPTED_OUT
    return NEVER_ASKED


def opted_out(phone, sms_consent=None):
    """True when nothing automatic may be sent to ``phone``."""
    return state(phone, sms_consent) == OPTED_OUT


def history(phone, limit=HISTORY_SHOWN):
    """The latest keyword messages of ``phone``, newest first."""
    rows = (
        KeywordLog.select()
        .where(KeywordLog.phone == phone)
        .order_by(KeywordLog.received_at.desc(), KeywordLog.id.desc())
        .limit(limit)
    )
    return [{"keyword": r.keyword, "action": r.action, "received_at": utc_iso(r.received_at)} for r in rows]


class ConsentPanel(Panel):
    """The customer's SMS consent state and keyword history."""

    slug = "sms_consent"
    title = _l("SMS consent")
    template = "sms/consent_panel.html"

    def eligible(self, profile):
        return bool(profile.phone)

    def render_data(self, profile):
        current = state(profile.phone, profile.sms_consent)
        return {
            "state": current,
            "label": str(LABELS[current]),
            "consent": profile.sms_consent,
            "history": [{**h, "label": str(ACTION_LABELS[h["action"]])} for h in history(profile.phone)],
        }
