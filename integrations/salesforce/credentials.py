"""What a SalesforceConnection stores of its credentials: plain identifiers, and the secrets as one encrypted JSON."""

from __future__ import annotations

import json

from integrations.models import SalesforceConnection
from integrations.salesforce import encryption
from integrations.salesforce.client import AccessToken, Credentials

SECRET_NAMES = ("client_secret", "refresh_token", "password", "security_token")


def encrypted_secrets(secrets: dict[str, str]) -> str:
    kept = {name: secrets[name] for name in SECRET_NAMES if secrets.get(name)}
    return encryption.encrypt(json.dumps(kept)) if kept else ""


def stored_secrets(connection: SalesforceConnection) -> dict[str, str]:
    """The decrypted secrets; encryption.UnreadableSecret when the key they were saved under is gone."""
    if not connection.credentials_encrypted:
        return {}
    try:
        secrets = json.loads(encryption.decrypt(connection.credentials_encrypted))
    except ValueError:
        raise encryption.UnreadableSecret from None
    return {name: str(secrets[name]) for name in SECRET_NAMES if secrets.get(name)}


def saved_secret_names(connection: SalesforceConnection) -> tuple[frozenset[str], bool]:
    """Which secrets are saved, and whether they can be read at all."""
    try:
        return frozenset(stored_secrets(connection)), False
    except encryption.UnreadableSecret:
        return frozenset(), True


def stored_credentials(connection: SalesforceConnection) -> Credentials:
    return Credentials(
        instance_url=connection.instance_url,
        auth_method=connection.auth_method,
        client_id=connection.client_id,
        username=connection.username,
        **stored_secrets(connection),
    )


def stored_token(connection: SalesforceConnection) -> AccessToken | None:
    if not connection.access_token_encrypted or not connection.api_url:
        return None
    try:
        return AccessToken(encryption.decrypt(connection.access_token_encrypted), connection.api_url)
    except encryption.UnreadableSecret:
        return None
