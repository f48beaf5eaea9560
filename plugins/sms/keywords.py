"""Keyword messages (STOP, START, HELP...): they change the sender's SMS
consent and never become tickets. Each is recorded in the plugin's keyword
log (idempotent on MessageSid) and on the profile's timeline."""

from __future__ import annotations

import dataclasses

from app.plugin import Profile, ProfileEvent, Sender, find_or_create_profile, now, update_profile

from .models import KeywordLog

OPT_OUT, OPT_IN, HELP = "opt_out", "opt_in", "help"


@dataclasses.dataclass
class KeywordResult:
    keyword: str
    action: str
    profile: Profile
    duplicate: bool = False


def match(body, settings):
    """``(KEYWORD, action)`` when the whole message is a configured keyword
    (case and surrounding spaces or punctuation ignored), else None."""
    word = (body or "").strip().strip(".!").strip().upper()
    if not word or len(word) > 20:
        return None
    for action, key in ((OPT_OUT, "stop_keywords"), (OPT_IN, "start_keywords"), (HELP, "help_keywords")):
        if word in (settings.get(key) or ()):
            return word, action
    return None


def consent_after(current, action):
    """The consent a keyword leaves: opting out removes any consent; opting
    in grants transactional consent and keeps an existing marketing one."""
    if action == OPT_OUT:
        return None
    if action == OPT_IN:
        return current or "transactional"
    return current


def apply(phone, message_sid, keyword, action, name=""):
    """Record a keyword message and update consent. Call inside a write
    transaction; a MessageSid seen before changes nothing."""
    existing = KeywordLog.get_or_none(KeywordLog.message_sid == message_sid)
    profile = find_or_create_profile(Sender(name=name, phone=phone))
    if existing is not None:
        return KeywordResult(existing.keyword, existing.action, profile, duplicate=True)
    at = now()
    KeywordLog.create(message_sid=message_sid, phone=phone, keyword=keyword, action=action, received_at=at)
    before = profile.sms_consent
    after = consent_after(before, action)
    update_profile(profile, sms_consent=after)  # plugins hear of a changed consent
    ProfileEvent.create(
        profile=profile,
        metric="sms_keyword",
        occurred_at=at,
        properties={
            "keyword": keyword,
            "action": action,
            "message_sid": message_sid,
            "consent_before": before,
            "consent_after": after,
        },
    )
    return KeywordResult(keyword, action, profile)
