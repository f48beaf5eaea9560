"""Domain logic, callable from the API, the UI, the CLI and tasks alike.
Nothing here touches Flask's request object."""


class ServiceError(Exception):
    """An operation refused for a reason the user can fix; ``code`` is stable
    for programs, the message is for people."""

    status = 400

    def __init__(self, message, code="invalid", field=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


class NotFound(ServiceError):
    """The thing asked for does not exist (HTTP 404)."""

    status = 404


class Conflict(ServiceError):
    """The request conflicts with the current state (HTTP 409)."""

    status = 409


class Denied(ServiceError):
    """The actor may not do this to this target (a rule, not the role matrix)."""

    status = 403


class Forbidden(Denied):
    """The acting agent's role does not allow this (the role matrix)."""

    def __init__(self, message=None, code="forbidden", field=None):
        if message is None:
            from flask_babel import gettext as _

            message = _("Your role does not allow this.")
        super().__init__(message, code=code, field=field)
