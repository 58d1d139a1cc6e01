"""Salesforce credentials at rest: Fernet (AES-128-CBC with HMAC-SHA256) under a key from the settings.

SALESFORCE_ENCRYPTION_KEY holds one Fernet key, or several to rotate (the first encrypts, any decrypts).
Without it the key is derived from SECRET_KEY with HKDF-SHA256, so a changed SECRET_KEY makes saved
credentials unreadable: the connection then reports it and the admin enters them again.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

HKDF_INFO = b"okuru salesforce credentials v1"


class UnreadableSecret(Exception):
    """The stored value was encrypted under a key this installation no longer has."""


def _derived_key() -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(settings.SECRET_KEY.encode()))


def _fernet() -> MultiFernet:
    keys = [key.encode() for key in settings.SALESFORCE_ENCRYPTION_KEY if key] or [_derived_key()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        raise UnreadableSecret from None
