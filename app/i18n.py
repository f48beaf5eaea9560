"""Translations (flask-babel): English first, Spanish to follow."""

from flask import has_request_context, request
from flask_babel import Babel

LANGUAGES = ("en", "es")
babel = Babel()


def select_locale():
    if not has_request_context():
        return "en"
    return request.accept_languages.best_match(LANGUAGES) or "en"


def init_app(app):
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=select_locale)
