"""A rendered mail as an email message with the headers of S3, ready for any Django email backend."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from email._policybase import Compat32
from email.utils import formataddr, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from campaigns.models import Campaign
from campaigns.rendering import RenderedMail


def acceptance_is_delivery() -> bool:
    """SMTP and Django's own backends report nothing later: the server's acceptance counts as delivered (K4).
    A provider behind django-anymail reports delivery through its webhook instead."""
    return not settings.EMAIL_BACKEND.startswith("anymail.")


# printable ASCII, spaces and tabs only: no line break of any kind, nothing to encode
_NEEDS_FOLDING_MACHINERY = re.compile(r"[^\t\x20-\x7e]")


class _PlainHeadersAsIs(Compat32):
    """compat32 (the policy of Django's messages) without its folding machinery for a header that is one
    short line of printable ASCII, which compat32 writes out unchanged anyway (checked against it in the
    tests). Most headers of a campaign mail are such; folding them cost 40 % of serialising the mail."""

    def _fold(self, name: str, value, sanitize: bool) -> str:
        fits = isinstance(value, str) and len(name) + len(value) + 2 <= (self.max_line_length or 78)
        if fits and not _NEEDS_FOLDING_MACHINERY.search(value):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


PLAIN_HEADERS_AS_IS = _PlainHeadersAsIs()


class CampaignEmail(EmailMultiAlternatives):
    """Django's message, serialised faster: the policy above, and a random boundary chosen here instead of
    the generator's (which compiles a regular expression per message to search the parts for its own)."""

    _built = None

    def message(self):
        """Built once: the sender builds it before marking the mail as being handed over, the backend reuses it."""
        if self._built is None:
            message = super().message()
            message.policy = PLAIN_HEADERS_AS_IS
            if message.is_multipart():
                # 128 random bits after "=_": no part of ours can contain it (quoted-printable never writes "=_")
                message.set_boundary(f"=_{secrets.token_hex(16)}")
            message.as_bytes = _serialised_once(message.as_bytes)
            self._built = message
        return self._built


def _serialised_once(as_bytes):
    """The message's bytes, made on the first call and handed out again for the same arguments: the sender
    serialises while the mail's state is being saved, and the SMTP backend sends those bytes."""
    made: dict[tuple, bytes] = {}

    def serialised(unixfrom: bool = False, linesep: str = "\n") -> bytes:  # Django's MIMEMixin.as_bytes
        key = (unixfrom, linesep)
        if key not in made:
            made[key] = as_bytes(unixfrom=unixfrom, linesep=linesep)
        return made[key]

    return serialised


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
    message = CampaignEmail(
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
