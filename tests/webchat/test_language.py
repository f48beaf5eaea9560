"""Web chat in Spanish: the widget's texts follow the visitor's browser (else
the organization's customer-facing language); the greeting and the
follow-up email follow the organization's customer-facing language."""

from app.models import Message, Ticket
from app.services.messages import reply
from plugins.webchat import tasks
from plugins.webchat.models import Conversation

from .conftest import SITE_KEY, STOREFRONT


def config(client, language):
    return client.get(
        f"/api/v1/webchat/config?key={SITE_KEY}", headers={"Accept-Language": language, "Origin": STOREFRONT}
    )


def test_widget_texts_follow_the_visitor_browser(client, webchat):
    plugins = webchat
    spanish = config(client, "es-AR,es;q=0.9")
    labels = spanish.get_json()["labels"]
    assert labels["send"] == "Enviar" and labels["placeholder"] == "Escribe un mensaje..."
    assert spanish.get_json()["title"] == "Chatea con nosotros"
    english = config(client, "en")
    assert english.get_json()["labels"]["send"] == "Send"
    plugins.set_settings("core", {"customer_language": "es"})
    other = config(client, "de")
    assert other.get_json()["labels"]["send"] == "Enviar"  # no German: the organization's language


def test_spanish_greeting_and_followup_email(webchat, visitor, smtp, make_agent, clock):
    webchat.set_settings("core", {"customer_language": "es"})
    webchat.set_settings("webchat", {"auto_replies": True})
    v = visitor("Ada", "ada@example.net")
    v.say("¿Envían a Canadá?")
    ticket = Ticket.get(Ticket.channel == "webchat")
    greeting = Message.select().where((Message.ticket == ticket.id) & (Message.author_type == "bot")).get()
    assert greeting.text.startswith("¡Hola! Gracias por escribirnos")
    clock.advance(minutes=1)
    reply(ticket, make_agent(name="Grace Hopper"), "Sí, en 5 días.")
    Conversation.update(left_at=clock.now()).where(Conversation.public_id == v.cid).execute()
    clock.advance(minutes=3)
    assert tasks.send_followups.call_local() == 1
    [(rcpts, mail)] = smtp.messages
    body = mail.get_content()
    assert mail["Subject"] == "Nueva respuesta a tu chat: Chatea con nosotros"
    assert "Hola, Ada:" in body and "Saliste del chat antes de poder leer nuestra respuesta:" in body
    assert "Sí, en 5 días." in body
