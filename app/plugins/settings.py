"""Plugin settings: each plugin's marshmallow schema, validated on write,
stored as JSON in ``plugin_state`` and read back with defaults filled in."""

from __future__ import annotations

import marshmallow
from flask_babel import get_locale
from flask_babel import gettext as _

SECRET_MASK = "********"


class SettingsStore:
    """The settings part of :class:`app.plugins.Plugins`. Uses ``_state()``,
    ``_write()`` and ``_info(name)`` of the manager."""

    def settings_schema(self, name):
        return self._info(name).settings_schema

    def get_settings(self, name):
        """The plugin's settings with defaults filled in (a fresh dict; the
        validated settings are kept per state version, so hot paths such as
        ingest do not run the schema on every call)."""
        state = self._state()
        # Defaults may be translated text (an autoresponder's wording):
        # one cached copy per language.
        key = (name, state.version, str(get_locale()))
        cache = self._settings_cache
        if key not in cache:
            if len(cache) > 256:
                cache.clear()
            cache[key] = self._load_settings(name, state.rows.get(name))
        return dict(cache[key])

    def _load_settings(self, name, row):
        schema = self.settings_schema(name)()
        stored = dict(row.settings) if row is not None else {}
        try:
            return schema.load(stored, unknown=marshmallow.EXCLUDE)
        except marshmallow.ValidationError as err:
            # A value that no longer validates (schema changed) falls back to
            # its default rather than breaking the plugin.
            for key in err.messages:
                stored.pop(key, None)
            return schema.load(stored, unknown=marshmallow.EXCLUDE)

    def public_settings(self, name):
        """The settings as shown to people and API clients: dumped to JSON
        types, with fields marked ``metadata={"secret": True}`` masked."""
        schema = self.settings_schema(name)()
        shown = schema.dump(self.get_settings(name))
        for key, field in schema.fields.items():
            if field.metadata.get("secret") and shown.get(field.data_key or key):
                shown[field.data_key or key] = SECRET_MASK
        return shown

    def set_settings(self, name, data, partial=True):
        """Validate and store settings; raises ``marshmallow.ValidationError``
        with per-field messages. Returns the settings with defaults. A secret
        sent back as the mask (a form or client echoing ``public_settings``)
        keeps the stored value."""
        schema = self.settings_schema(name)()
        data = {
            k: v
            for k, v in data.items()
            if not (v == SECRET_MASK and k in schema.fields and schema.fields[k].metadata.get("secret"))
        }
        row = self._state().rows.get(name)
        # A stored key the schema no longer declares (a setting a newer
        # version dropped) is ignored on read and dropped here, so it
        # cannot fail the save as an unknown field; a key sent now still does.
        known = {field.data_key or key for key, field in schema.fields.items()}
        stored = {k: v for k, v in (row.settings or {}).items() if k in known} if row is not None and partial else {}
        merged = {**stored, **data}
        try:
            loaded = schema.load(merged)
        except marshmallow.ValidationError as err:
            raise marshmallow.ValidationError(field_messages(err.messages)) from None
        before = self.get_settings(name)
        _check_secret_destinations(schema, before, loaded, data)
        # Only what was ever given is stored: a default the merchant never set
        # (which its own validator may refuse, e.g. an empty account SID) is
        # filled in when read, never written back for the next save to trip on.
        self._write(name, settings={k: v for k, v in schema.dump(loaded).items() if k in merged})
        after = self.get_settings(name)
        _audit_change(schema, name, before, after)
        return after


def _audit_change(schema, name, before, after):
    """One audit entry naming the changed fields, with new values except
    for secrets (only that they changed)."""
    from ..services import audit

    changed = {}
    for key, field in schema.fields.items():
        if before.get(key) != after.get(key):
            changed[key] = "(changed)" if field.metadata.get("secret") else schema.dump({key: after.get(key)}).get(key)
    if changed:
        audit.record("settings.changed", target=name, details={"changed": changed})


def _check_secret_destinations(schema, before, after, sent):
    """A stored secret goes only where it was entered for: a save that
    changes one of a secret field's ``metadata={"secret_for": [...]}``
    fields (a host, a port, an API URL, an account) must send the secret
    again, or whoever can edit settings could point the server elsewhere
    and receive the secret."""
    errors = {}
    for key, field in schema.fields.items():
        destinations = field.metadata.get("secret_for") or ()
        if not destinations or not after.get(key) or key in sent:
            continue
        # Clearing a destination sends the secret nowhere, so it needs nothing.
        changed = [d for d in destinations if before.get(d) != after.get(d) and after.get(d) not in ("", None)]
        if changed:
            labels = ", ".join(str(schema.fields[d].metadata.get("label") or d) for d in changed)
            errors[field.data_key or key] = [
                _("Enter this secret again to send it to a new destination (%(fields)s changed).", fields=labels)
            ]
    if errors:
        raise marshmallow.ValidationError(errors)


def field_messages(messages):
    """ValidationError messages as ``{field: [text, ...]}`` with plain strings.
    Marshmallow keeps a translated (lazy) message as one bare object rather
    than a list, which templates would iterate letter by letter and JSON
    cannot encode; every consumer gets the normalized form from here, with
    marshmallow's own English messages in the reader's language."""
    from ..marshmallow_messages import translate

    if isinstance(messages, dict):
        return {
            key: field_messages(value)
            if isinstance(value, dict)
            else [translate(m) for m in (value if isinstance(value, (list, tuple)) else [value])]
            for key, value in messages.items()
        }
    return {"_schema": [translate(m) for m in (messages if isinstance(messages, (list, tuple)) else [messages])]}
