"""Predictive analytics: customer value, churn risk and next order, beside every ticket.

Each customer's predicted value, churn risk and expected next order come
from BG/NBD and Gamma-Gamma models fitted nightly on the store's own orders.

Needs numpy and scipy (``pip install 'helpline[predictive]'``); without
them the plugin fails to load with that hint instead of breaking startup."""

try:
    import numpy  # noqa: F401
    import scipy  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        f"The predictive plugin needs numpy and scipy ({exc.name} is missing): pip install 'helpline[predictive]'"
    ) from exc

from flask_babel import lazy_gettext as _l

from app.plugin import hookimpl

display_name = _l("Predictive analytics")
description = _l(
    "Each customer's predicted value, churn risk and expected next order beside every ticket, from models fitted nightly on your own orders. Needs numpy and scipy."
)


@hookimpl
def helpline_register_panels():
    from .panel import PredictivePanel

    return [PredictivePanel]


@hookimpl
def helpline_register_models():
    from .models import MODELS

    return MODELS


@hookimpl
def helpline_register_settings():
    from .schemas import PredictiveSettings

    return PredictiveSettings


@hookimpl
def helpline_register_commands():
    from .cli import predictive_group

    return [predictive_group]


@hookimpl
def helpline_register_tasks():
    return ["plugins.predictive.tasks"]


@hookimpl
def helpline_register_blueprints():
    from .views import bp

    return [bp]


@hookimpl
def helpline_register_ui_fragments():
    return [("head", "predictive/head.html")]


@hookimpl
def helpline_on_demo_seeded():
    """Fit on the demo orders at once, so the panel is alive on first run
    (unless this plugin's migrations have not run: then the nightly fit will)."""
    import logging

    from app.plugin import db

    from .refit import refit

    if not db.table_exists("predictive_run"):
        logging.getLogger(__name__).warning("predictive: tables missing, run `helpline migrate`; demo fit skipped")
        return
    refit()
