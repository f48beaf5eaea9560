"""Settings generated from schemas (app/web/forms.py): labels, help and
units from field metadata, structured widgets that need no JSON, and nested
errors in words (HTTP level; tests/ui/test_settings_browser.py drives them in
Chromium)."""

import re

import marshmallow as ma
import pytest
from flask_babel import lazy_gettext as _l

from app.plugin import ClosedDates, SettingsSection, TimeZone, WeeklyHours, hookimpl
from app.web.forms import input_type

FIRST_PARTY = (
    "core",
    "email",
    "sms",
    "webchat",
    "macros",
    "autoclose",
    "roundrobin",
    "shopify",
    "predictive",
    "reports",
    "webhooks",
)


@pytest.fixture
def plugins(app):
    return app.extensions["helpline.plugins"]


@pytest.fixture
def admin(client, login, make_agent):
    agent = make_agent(role="admin", password=None)
    login(client, agent)
    return agent


def test_every_first_party_setting_has_a_label_and_help(app):
    plugins = app.extensions["helpline.plugins"]
    missing = []
    for name in FIRST_PARTY:
        for key, field in plugins.settings_schema(name)().fields.items():
            meta = field.metadata
            if not meta.get("label") or not meta.get("help"):
                missing.append(f"{name}.{key}")
            # Units belong in "unit", shown beside the input, not in the label.
            if re.search(r"\((seconds|minutes|hours|days|months|bytes)\)", str(meta.get("label", ""))):
                missing.append(f"{name}.{key} (unit in the label)")
    assert missing == []


def test_structured_settings_get_widgets_not_json(app):
    plugins = app.extensions["helpline.plugins"]
    kinds = {
        (name, key): input_type(field)
        for name in FIRST_PARTY
        for key, field in plugins.settings_schema(name)().fields.items()
    }
    assert kinds[("webchat", "schedule")] == "weekly_hours"
    assert kinds[("webchat", "closed_dates")] == "dates"
    assert kinds[("webchat", "timezone")] == "timezone"
    assert kinds[("reports", "hours_schedule")] == "weekly_hours"
    assert kinds[("roundrobin", "roles")] == "checkboxes"
    assert "json" not in kinds.values()


def test_plugin_pages_show_display_names_descriptions_and_units(client, admin):
    listing = client.get("/settings/plugins").get_data(as_text=True)
    assert "Round-robin assignment" in listing and "Web chat" in listing
    page = client.get("/settings/plugins/autoclose").get_data(as_text=True)
    assert "<h1>Auto-close settings</h1>" in page
    assert "Preview what a period would close" in page  # the full description
    assert re.search(r'<span class="unit" id="field-inactivity_days-unit">days</span>', page)
    assert 'aria-describedby="field-inactivity_days-unit field-inactivity_days-help"' in page
    # One switch: the plugin's, on its settings page; no "enabled" setting.
    assert 'name="enabled" value="1"' in page and 'name="enabled" value="1" {%' not in page
    assert 'id="field-enabled"' not in page


def test_one_settings_navigation(client, admin):
    page = client.get("/settings").get_data(as_text=True)
    assert page.count('href="/settings/plugins"') == 1
    assert page.count('href="/settings/agents"') == 1
    assert page.count('aria-label="Settings sections"') == 1


def test_office_hours_round_trip_through_the_form(client, admin, plugins):
    form = {
        "timezone": "Europe/Paris",
        "schedule.mon.0.open": "09:00",
        "schedule.mon.0.close": "12:30",
        "schedule.mon.1.open": "14:00",
        "schedule.mon.1.close": "00:00",  # a time input's midnight: to the end of the day
        "schedule.tue.0.open": "",
        "schedule.tue.0.close": "",
        "closed_dates": ["2026-12-25", "", "2027-01-01"],
    }
    saved = client.post("/settings/plugins/webchat", data=form)
    assert saved.status_code == 302
    settings = plugins.get_settings("webchat")
    assert settings["timezone"] == "Europe/Paris"
    assert settings["schedule"]["mon"] == [{"open": "09:00", "close": "12:30"}, {"open": "14:00", "close": "24:00"}]
    assert settings["schedule"]["tue"] == [] and settings["schedule"]["sun"] == []
    assert [d.isoformat() for d in settings["closed_dates"]] == ["2026-12-25", "2027-01-01"]
    page = client.get("/settings/plugins/webchat").get_data(as_text=True)
    assert 'name="schedule.mon.1.close" value="00:00"' in page
    assert 'name="closed_dates" value="2027-01-01"' in page
    assert '<option value="Europe/Paris" selected>Europe/Paris</option>' in page
    assert "settings-form.js" in page


def test_nested_errors_are_words_on_their_field(client, admin, plugins):
    before = plugins.get_settings("webchat")["schedule"]
    form = {
        "schedule.mon.0.open": "18:00",
        "schedule.mon.0.close": "09:00",
        "schedule.fri.0.open": "",
        "schedule.fri.0.close": "17:00",
        "closed_dates": ["someday"],
        "timezone": "Mars/Olympus",
    }
    page = client.post("/settings/plugins/webchat", data=form)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    error = html[html.index('id="field-schedule-error"') :]
    error = error[: error.index("</div>")]
    assert "Monday, range 1, closes: The closing time must be after the opening time." in error
    assert "Friday, range 1, opens: Use HH:MM." in error
    assert "{" not in error and "value" not in error  # never a Python repr
    assert "item 1: Not a valid date." in html
    assert "Unknown time zone (use an IANA name like Europe/Paris)." in html
    # What was typed is shown again, and nothing was saved.
    assert 'name="schedule.mon.0.open" value="18:00"' in html
    assert plugins.get_settings("webchat")["schedule"] == before


def test_round_robin_roles_are_a_checkbox_list(client, admin, plugins):
    page = client.get("/settings/plugins/roundrobin").get_data(as_text=True)
    assert "<legend>Roles in the rotation</legend>" in page
    assert re.search(r'name="roles" value="support" checked', page)
    none = client.post("/settings/plugins/roundrobin", data={"max_open_per_agent": "5"})
    assert "Choose at least one role." in none.get_data(as_text=True)
    forged = client.post("/settings/plugins/roundrobin", data={"roles": ["analyst"], "max_open_per_agent": "5"})
    assert "item 1: Roles in the rotation are owner, admin, manager or support." in forged.get_data(as_text=True)
    client.post("/settings/plugins/roundrobin", data={"roles": ["admin", "support"], "max_open_per_agent": "0"})
    assert plugins.get_settings("roundrobin")["roles"] == ["admin", "support"]
    assert plugins.get_settings("roundrobin")["max_open_per_agent"] == 0


class HoursSettings(ma.Schema):
    zone = TimeZone(load_default="UTC", metadata={"label": _l("Zone"), "help": _l("Where.")})
    week = WeeklyHours(metadata={"label": _l("Hours"), "help": _l("When.")})
    holidays = ClosedDates(metadata={"label": _l("Holidays"), "help": _l("Not then.")})
    level = ma.fields.Integer(load_default=1, metadata={"label": _l("Level"), "unit": _l("floors"), "help": _l("Up.")})


class Greeting(SettingsSection):
    slug = "greeting"
    title = "What visitors see"
    template = "web/_dry_run.html"

    def render_data(self, settings, args):
        return {"zone": settings["zone"]}


class HoursPlugin:
    @hookimpl
    def helpline_register_settings(self):
        return HoursSettings

    @hookimpl
    def helpline_register_settings_sections(self):
        return [Greeting]


def test_a_third_party_schema_gets_the_same_widgets_and_sections(client, admin, register_plugin):
    register_plugin(HoursPlugin(), "hours")
    page = client.get("/settings/plugins/hours").get_data(as_text=True)
    assert 'data-week-editor="week"' in page and 'data-date-list="holidays"' in page
    assert '<select id="field-zone" name="zone"' in page
    assert '<span class="unit" id="field-level-unit">floors</span>' in page
    assert '<h2 id="greeting-title">What visitors see</h2>' in page


class Unreachable(SettingsSection):
    slug = "unreachable"
    title = "Carrier status"
    template = "web/_dry_run.html"

    def render_data(self, settings, args):
        raise RuntimeError("carrier API down")


class MissingTemplate(SettingsSection):
    slug = "missing"
    title = "Lost section"
    template = "hours/no_such_section.html"

    def render_data(self, settings, args):
        return {}


class FailingSectionsPlugin(HoursPlugin):
    @hookimpl
    def helpline_register_settings_sections(self):
        return [Unreachable, MissingTemplate, Greeting]


def test_a_failing_settings_section_shows_an_error_instead_of_failing_the_page(
    client, admin, register_plugin, plugins, caplog
):
    register_plugin(FailingSectionsPlugin(), "hours")
    with pytest.raises(RuntimeError, match="carrier API down"):  # strict mode, as in tests: the author sees it
        client.get("/settings/plugins/hours")
    plugins.strict = False
    try:
        answer = client.get("/settings/plugins/hours")
    finally:
        plugins.strict = True
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert (
        '<h2 id="unreachable-title">Carrier status</h2>' in page and '<h2 id="missing-title">Lost section</h2>' in page
    )
    assert page.count("This section could not be loaded.") == 2
    assert '<h2 id="greeting-title">What visitors see</h2>' in page and 'name="zone"' in page  # the rest is there
    logged = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert "settings section unreachable could not be loaded" in logged
    assert "settings section missing could not be loaded" in logged
