"""Inbound cost does not grow with attachments or References (no N+1)."""

from email_kit import make_mail
from playhouse.test_utils import count_queries

from plugins.email.inbound import receive


def mail_with(n, mid):
    refs = " ".join(f"<old{i}@customer.example>" for i in range(n * 20))
    mail = make_mail(text="Photos attached", message_id=f"<{mid}@customer.example>", references=refs or None)
    for i in range(n):
        mail.add_attachment(b"data%d" % i, maintype="image", subtype="png", filename=f"p{i}.png")
    return bytes(mail)


def test_inbound_query_count_is_flat(app, email_settings):
    receive(mail_with(1, "warm"), email_settings)  # first contact creates the profile: not what we measure
    with count_queries() as one:
        receive(mail_with(1, "one"), email_settings)
    with count_queries() as five:
        receive(mail_with(5, "five"), email_settings)
    assert five.count == one.count
