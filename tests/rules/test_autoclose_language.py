"""The auto-close notice is written in the organization's customer-facing
language, whatever language the agents use."""

from app.models import Message
from app.services import messages
from app.testing.factories import refresh
from plugins.autoclose.tasks import close_inactive_tickets


def test_spanish_auto_close_notice_in_the_thread(plugins, fake_channel, make_agent, clock, client, login):
    plugins.set_settings("core", {"customer_language": "es"})
    plugins.set_settings("autoclose", {"enabled": True})
    agent = make_agent(password=None)
    ticket = fake_channel.receive("¿Dónde está mi pedido?").ticket
    messages.reply(ticket, agent, "Sale hoy.")
    clock.advance(days=2, minutes=1)
    close_inactive_tickets.call_local()
    assert refresh(ticket).status == "closed"
    [notice] = Message.select().where((Message.ticket == ticket.id) & (Message.kind == "notice"))
    assert notice.text == "Ticket cerrado por inactividad"
    # An English-speaking agent reads the thread as it was written.
    login(client, agent)
    page = client.get(f"/t/{ticket.id}", headers={"Accept-Language": "en"}).get_data(True)
    assert "Ticket cerrado por inactividad" in page and "My inbox" in page
