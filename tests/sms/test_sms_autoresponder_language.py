"""The SMS autoresponder's default wording follows the organization's
customer-facing language; a merchant's own template is sent as written."""

from sms_kit import CUSTOMER


def test_spanish_default_autoresponder(sms):
    sms.set_core(sms_prefix="AcmeShop", support_email="care@acme.example", customer_language="es")
    sms.inbound("¿Dónde está mi pedido?")
    [sent] = sms.twilio.sent
    assert sent["To"] == CUSTOMER
    assert sent["Body"] == (
        "AcmeShop: No podemos responderte porque no has dado tu consentimiento para recibir SMS. "
        "Para obtener ayuda, escríbenos a care@acme.example."
    )
