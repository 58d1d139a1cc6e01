"""Email address normalisation and validation, shared by leads, import and sending."""

import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email


def normalize_email(address: str) -> str:
    """NFKC (full-width ＠ and letters typed in Japanese input), trimmed, lower-cased."""
    return unicodedata.normalize("NFKC", address or "").strip().lower()


def is_valid_email(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True
