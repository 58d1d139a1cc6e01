"""A user's API token (DRF's authtoken, one per user): read, create (replacing the old one) and revoke.

The screen (accounts/token_views.py) shows the whole key only in the answer to its creation; afterwards
only its first characters, so a token seen on a shared screen cannot be copied later.
"""

from __future__ import annotations

from django.db import transaction
from rest_framework.authtoken.models import Token

from accounts.models import User

VISIBLE_PREFIX = 6


def api_token_of(user: User) -> Token | None:
    return Token.objects.filter(user=user).first()


def masked_key(token: Token) -> str:
    return token.key[:VISIBLE_PREFIX] + "…"


@transaction.atomic
def create_api_token(user: User) -> Token:
    """A new key for the user; an existing one stops working at once."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


def revoke_api_token(user: User) -> bool:
    """Delete the user's token; False when there was none."""
    deleted, _by_model = Token.objects.filter(user=user).delete()
    return deleted > 0
