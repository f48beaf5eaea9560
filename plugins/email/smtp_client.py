"""Outbound SMTP with smtplib: plain, STARTTLS or implicit TLS, optional
login. Failures become :class:`DeliveryError`: retryable for temporary
(4xx) and connection problems, final for permanent (5xx) refusals."""

import smtplib
import ssl

from flask_babel import gettext as _

from app.plugin import DeliveryError


def send(settings, message):
    """Deliver an ``EmailMessage`` through the configured server."""
    host, port, timeout = settings["smtp_host"], settings["smtp_port"], settings["smtp_timeout"]
    security = settings.get("smtp_security", "starttls")
    try:
        if security == "ssl":
            client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        with client:
            if security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.get("smtp_username"):
                client.login(settings["smtp_username"], settings.get("smtp_password", ""))
            refused = client.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _msg in exc.recipients.values()]
        detail = "; ".join(f"{addr}: {code} {_text(msg)}" for addr, (code, msg) in exc.recipients.items())
        raise DeliveryError(
            _("The mail server refused the recipient: %(detail)s", detail=detail),
            retryable=all(400 <= c < 500 for c in codes),
        )
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(
            _("The mail server refused the login: %(code)s %(msg)s", code=exc.smtp_code, msg=_text(exc.smtp_error)),
            retryable=False,
        )
    except smtplib.SMTPNotSupportedError as exc:
        raise DeliveryError(
            _("The mail server does not support what the settings ask for: %(error)s", error=str(exc)), retryable=False
        )
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(
            _("The mail server answered %(code)s %(msg)s", code=exc.smtp_code, msg=_text(exc.smtp_error)),
            retryable=not 500 <= exc.smtp_code < 600,
        )
    except (TimeoutError, smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        raise DeliveryError(
            _(
                "Could not reach the mail server %(host)s:%(port)s: %(error)s",
                host=host,
                port=port,
                error=str(exc) or type(exc).__name__,
            ),
            retryable=True,
        )
    if refused:
        # Some recipients refused, the rest accepted: the customer is the only one.
        raise DeliveryError(_("The mail server refused the recipient: %(detail)s", detail=refused), retryable=False)


def _text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
