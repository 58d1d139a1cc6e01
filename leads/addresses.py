"""Email address normalisation and validation, shared by leads, import and sending."""

import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email


def sendable_email(address: str) -> str:
    """The address as it is kept and mailed to: NFKC (full-width ＠ and letters typed in Japanese input become
    ASCII) and trimmed, its case kept. Validity is checked on normalize_email(), so this form must be kept:
    "ｔａｒｏ＠ｅｘａｍｐｌｅ.jp" as typed passes that check but no mail library accepts it as an address."""
    return unicodedata.normalize("NFKC", address or "").strip()


def normalize_email(address: str) -> str:
    """NFKC (full-width ＠ and letters typed in Japanese input), trimmed, lower-cased."""
    return sendable_email(address).lower()


MAX_EMAIL_LENGTH = 254  # the columns that keep an address (Lead.email, email_normalized, Message.email)


def is_valid_email(address: str) -> bool:
    """A valid address that fits its columns: give it normalized, as NFKC can lengthen what was typed
    ("ﬀ" is "ff", "㍻" is "平成"), so a typed address of 200 characters may not fit once normalized."""
    if len(address) > MAX_EMAIL_LENGTH:
        return False
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True
