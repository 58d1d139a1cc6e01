"""The public addresses a mail links to: open pixel, click redirect, unsubscribe page (K1–K3).

Every tracking or unsubscribe URL in a mail is built here and nowhere else; the tracking views
serve exactly these paths. They carry only the message's random token, never a tenant or lead id.
"""

from __future__ import annotations

from django.conf import settings

# link number 0 is the hidden honeypot link of every mail (K5); the campaign's own links count from 1
HONEYPOT_LINK_NUMBER = 0
TEST_MAIL_TOKEN = "test"  # noqa: S105 -- not a secret; test sends and previews: the unsubscribe page explains, nothing is recorded


def public_base_url() -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/")


def open_pixel_url(token: str, base: str | None = None) -> str:
    return f"{base or public_base_url()}/t/o/{token}.gif"


def click_url(token: str, link_number: int, base: str | None = None) -> str:
    return f"{base or public_base_url()}/t/c/{token}/{link_number}/"


def unsubscribe_url(token: str, base: str | None = None) -> str:
    return f"{base or public_base_url()}/u/{token}/"
