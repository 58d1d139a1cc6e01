"""A rendered mail as an email message with the headers of S3, ready for any Django email backend."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formataddr, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from campaigns.models import Campaign
from campaigns.rendering import RenderedMail


def acceptance_is_delivery() -> bool:
    """SMTP and Django's own backends report nothing later: the server's acceptance counts as delivered (K4).
    A provider behind django-anymail reports delivery through its webhook instead."""
    return not settings.EMAIL_BACKEND.startswith("anymail.")


@dataclass(frozen=True)
class Envelope:
    """Who a campaign's mail comes from; built once per campaign (or batch)."""

    from_header: str
    reply_to: tuple[str, ...]
    message_id_domain: str

    @classmethod
    def of_campaign(cls, campaign: Campaign) -> Envelope:
        reply_to = () if campaign.no_reply_to or not campaign.reply_to else (campaign.reply_to,)
        domain = campaign.from_email.rpartition("@")[2] or "localhost"
        return cls(formataddr((campaign.from_name, campaign.from_email)), reply_to, domain)


def build_email(
    envelope: Envelope, rendered: RenderedMail, to: str, *, subject_prefix: str = "", connection=None
) -> EmailMultiAlternatives:
    """The multipart/alternative message: text part first, HTML part, one-click unsubscribe headers."""
    message = EmailMultiAlternatives(
        subject=subject_prefix + rendered.subject,
        body=rendered.text,
        from_email=envelope.from_header,
        to=[to],
        reply_to=list(envelope.reply_to),
        headers={
            "Message-ID": make_msgid(domain=envelope.message_id_domain),
            "List-Unsubscribe": f"<{rendered.unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        connection=connection,
    )
    message.attach_alternative(rendered.html, "text/html")
    return message
