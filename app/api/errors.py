"""The API's side of the one error shape (``app.errors``): its schema in the
OpenAPI document, and an error for API views that answer a status of their
choosing."""

from __future__ import annotations

import marshmallow as ma

from ..errors import CODES
from ..services import ServiceError


class ErrorDetail(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "Stable, for programs."})
    message = ma.fields.String(required=True, metadata={"description": "Translated, for people."})
    fields = ma.fields.Dict(metadata={"description": "Messages per field (validation errors)."})


class ErrorSchema(ma.Schema):
    """The body of every error answer."""

    error = ma.fields.Nested(ErrorDetail, required=True)


class ApiError(ServiceError):
    """Raised by API views for an answer with any status."""

    def __init__(self, status, message, code=None, field=None, fields=None):
        super().__init__(message, code=code or CODES.get(status, "error"), field=field)
        self.status = status
        self.fields = fields
