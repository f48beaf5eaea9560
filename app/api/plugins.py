"""Plugins (list, enable, disable without restart) and their settings,
validated by each plugin's own schema. The core's general settings are the
plugin ``core``."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import gettext as _
from flask_smorest import Blueprint

from ..auth import require
from ..plugins import CORE, get_plugins
from ..registry import EmptySettings
from ..web.forms import input_type
from . import schemas as s
from .errors import ApiError

bp = Blueprint("api_plugins", __name__, url_prefix="/api/v1", description="Plugins and settings")


def _info(name):
    info = get_plugins().infos.get(name)
    if info is None:
        raise ApiError(404, _("No plugin named %(name)s.", name=name))
    return info


def _out(info):
    plugins = get_plugins()
    return {
        "name": info.name,
        "status": info.status,
        "enabled": plugins.is_enabled(info.name),
        "version": info.version,
        "first_party": info.first_party or info.name == CORE,
        "display_name": info.title,
        "description": str(info.description),
        "error": info.error,
        "has_settings": info.settings_schema is not EmptySettings,
    }


@bp.get("/plugins")
@require("plugins")
@bp.response(200, s.PluginList)
def list_plugins():
    """Every installed plugin with its state, version and load error."""
    infos = get_plugins().infos
    return {"items": [_out(infos[name]) for name in sorted(infos)]}


def _set_enabled(name, enabled):
    info = _info(name)
    get_plugins().set_enabled(name, enabled)
    return _out(info)


@bp.post("/plugins/<string(maxlength=64):name>/enable")
@require("plugins")
@bp.response(200, s.PluginSchema)
@bp.alt_response(409, response="CONFLICT", description="Cannot be enabled (failed to load, pending migrations)")
def enable_plugin(name):
    """Turn a plugin on, in every process, without a restart."""
    return _set_enabled(name, True)


@bp.post("/plugins/<string(maxlength=64):name>/disable")
@require("plugins")
@bp.response(200, s.PluginSchema)
@bp.alt_response(409, response="CONFLICT", description="Cannot be disabled (the core)")
def disable_plugin(name):
    """Turn a plugin off: its routes answer 404, its tasks and hooks stop."""
    return _set_enabled(name, False)


def describe(schema):
    """What a settings form needs to know about each field."""
    out = []
    for name, field in schema.fields.items():
        meta = field.metadata or {}
        item = {
            "name": field.data_key or name,
            "type": type(field).__name__,
            "required": bool(field.required),
            "label": str(meta.get("label", name)),
            "help": str(meta["help"]) if meta.get("help") else None,
            "unit": str(meta["unit"]) if meta.get("unit") else None,
            "widget": input_type(field),
            "secret": bool(meta.get("secret")),
        }
        default = field.load_default
        if default is not ma.missing and not callable(default):
            item["default"] = default
        inner = field.inner if isinstance(field, ma.fields.List) else field
        for validator in inner.validators:
            if isinstance(validator, ma.validate.OneOf):
                item["choices"] = list(validator.choices)
        out.append(item)
    return out


def _settings(name):
    plugins = get_plugins()
    schema = plugins.settings_schema(name)()
    return {"plugin": name, "settings": plugins.public_settings(name), "fields_": describe(schema)}


@bp.get("/settings/<string(maxlength=64):plugin>")
@require("settings")
@bp.response(200, s.SettingsSchema)
def get_settings(plugin):
    """A plugin's settings with defaults filled in, and a description of its
    fields (``core`` holds the general settings)."""
    _info(plugin)
    return _settings(plugin)


@bp.put("/settings/<string(maxlength=64):plugin>")
@require("settings")
@bp.arguments(s.SettingsBody)
@bp.response(200, s.SettingsSchema)
def put_settings(body, plugin):
    """Save settings, validated by the plugin's schema (422 with a message
    per field). Fields left out keep their current value."""
    _info(plugin)
    get_plugins().set_settings(plugin, body, partial=True)
    return _settings(plugin)
