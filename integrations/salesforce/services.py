"""Writes of the Salesforce integration (I1): connect, test, disconnect, the connection's health, retrying failures.

Secrets typed into the settings screen are encrypted before they are stored (credentials.py) and never handed
back: a field left empty keeps the saved value, so the admin can replace a secret without seeing the old one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Tenant, User
from campaigns.models import Campaign
from integrations.models import SalesforceAuthMethod, SalesforceConnection, SalesforceSyncRecord, SyncStatus
from integrations.salesforce import encryption
from integrations.salesforce.client import (
    AccessToken,
    Credentials,
    SalesforceClient,
    SalesforceError,
    normalized_url,
)
from integrations.salesforce.credentials import (
    SECRET_NAMES,
    encrypted_secrets,
    stored_credentials,
    stored_secrets,
    stored_token,
)
from integrations.salesforce.selectors import connection_for

# Back-off after a failure: 1, 2, 4 ... minutes, at most 2 hours apart; a record gives up after MAX_ATTEMPTS
# (the campaign page's "retry failed" starts it again). A failure of the whole connection pauses it the same way.
RETRY_BASE_SECONDS = 60
RETRY_MAX_SECONDS = 2 * 60 * 60
MAX_ATTEMPTS = 8

# the secrets each sign-in method uses; the others are dropped when the method is saved
METHOD_SECRETS = {
    SalesforceAuthMethod.REFRESH_TOKEN: ("client_secret", "refresh_token"),
    SalesforceAuthMethod.PASSWORD: ("client_secret", "password", "security_token"),
}


def backoff(attempts: int) -> timedelta:
    """The wait before attempt number attempts + 1."""
    exponent = max(attempts - 1, 0)
    return timedelta(seconds=min(RETRY_BASE_SECONDS * 2**exponent, RETRY_MAX_SECONDS))


def _required(errors: dict[str, list[str]], field: str) -> None:
    errors.setdefault(field, []).append(_("This field is required."))


def _resolved_credentials(
    connection: SalesforceConnection | None,
    *,
    instance_url: str,
    auth_method: str,
    client_id: str,
    username: str,
    secrets: dict[str, str],
) -> Credentials:
    """The credentials the input stands for, a saved secret filling each secret left empty; ValidationError by field."""
    errors: dict[str, list[str]] = {}
    url = ""
    if not instance_url.strip():
        _required(errors, "instance_url")
    else:
        try:
            url = normalized_url(instance_url)
        except ValueError:
            errors["instance_url"] = [
                _(
                    "Enter your Salesforce address starting with https://, for example "
                    "https://yourcompany.my.salesforce.com (or https://login.salesforce.com)."
                )
            ]
    if auth_method not in SalesforceAuthMethod.values:
        errors["auth_method"] = [_("Choose how Okuru signs in to Salesforce.")]
    try:
        saved = stored_secrets(connection) if connection is not None else {}
    except encryption.UnreadableSecret:
        saved = {}
    merged = {name: (secrets.get(name) or "").strip() or saved.get(name, "") for name in SECRET_NAMES}
    client_id, username = client_id.strip(), username.strip()
    if not client_id:
        _required(errors, "client_id")
    if auth_method == SalesforceAuthMethod.REFRESH_TOKEN and not merged["refresh_token"]:
        _required(errors, "refresh_token")
    if auth_method == SalesforceAuthMethod.PASSWORD:
        for name, value in (("username", username), ("password", merged["password"])):
            if not value:
                _required(errors, name)
        if not merged["client_secret"]:  # the username-password flow always needs the consumer secret
            _required(errors, "client_secret")
    if errors:
        raise ValidationError(errors)
    used = METHOD_SECRETS[SalesforceAuthMethod(auth_method)]
    return Credentials(
        instance_url=url,
        auth_method=auth_method,
        client_id=client_id,
        username=username if auth_method == SalesforceAuthMethod.PASSWORD else "",
        **{name: merged[name] for name in used},
    )


@transaction.atomic
def save_connection(
    tenant: Tenant,
    user: User | None,
    *,
    instance_url: str,
    auth_method: str,
    client_id: str,
    username: str = "",
    client_secret: str = "",
    refresh_token: str = "",
    password: str = "",
    security_token: str = "",
) -> SalesforceConnection:
    """Connect the tenant's org, or change its connection. A secret left empty keeps the saved one.

    The connection starts afresh (no cached token, no pause), and failed records waiting for a retry are due at once.
    """
    connection = SalesforceConnection.objects.select_for_update().for_tenant(tenant).first()
    secrets = {
        "client_secret": client_secret,
        "refresh_token": refresh_token,
        "password": password,
        "security_token": security_token,
    }
    credentials = _resolved_credentials(
        connection,
        instance_url=instance_url,
        auth_method=auth_method,
        client_id=client_id,
        username=username,
        secrets=secrets,
    )
    if connection is None:
        connection = SalesforceConnection(tenant=tenant)
    connection.instance_url = credentials.instance_url
    connection.auth_method = credentials.auth_method
    connection.client_id = credentials.client_id
    connection.username = credentials.username
    connection.credentials_encrypted = encrypted_secrets({name: getattr(credentials, name) for name in SECRET_NAMES})
    connection.access_token_encrypted = ""
    connection.api_url = ""
    connection.connected_by = user
    connection.failures = 0
    connection.paused_until = None
    connection.last_error = ""
    connection.last_error_at = None
    connection.save()
    SalesforceSyncRecord.objects.for_tenant(tenant).filter(
        status=SyncStatus.FAILED, next_attempt_at__isnull=False
    ).update(next_attempt_at=timezone.now())
    return connection


def check_connection(
    tenant: Tenant,
    *,
    instance_url: str,
    auth_method: str,
    client_id: str,
    username: str = "",
    client_secret: str = "",
    refresh_token: str = "",
    password: str = "",
    security_token: str = "",
) -> str | None:
    """Sign in with the input (saved secrets where left empty) and read a Contact and a Lead; nothing is saved.

    None when Salesforce accepts it, else Salesforce's error as it worded it. ValidationError for incomplete input.
    """
    credentials = _resolved_credentials(
        connection_for(tenant),
        instance_url=instance_url,
        auth_method=auth_method,
        client_id=client_id,
        username=username,
        secrets={
            "client_secret": client_secret,
            "refresh_token": refresh_token,
            "password": password,
            "security_token": security_token,
        },
    )
    client = SalesforceClient(credentials)
    try:
        client.check()
    except SalesforceError as error:
        return str(error)
    finally:
        client.close()
    return None


def disconnect(tenant: Tenant) -> bool:
    """Forget the connection and its secrets. Records stay; mail sent meanwhile waits for a new connection."""
    deleted, _by_model = SalesforceConnection.objects.for_tenant(tenant).delete()
    return bool(deleted)


def client_for(connection: SalesforceConnection) -> SalesforceClient:
    """A client with the connection's saved token; a new token is saved (encrypted) for the next run.

    encryption.UnreadableSecret when the credentials were saved under another key.
    """
    credentials = stored_credentials(connection)

    def keep(token: AccessToken) -> None:
        save_access_token(connection, token)

    return SalesforceClient(credentials, token=stored_token(connection), on_token=keep)


def save_access_token(connection: SalesforceConnection, token: AccessToken) -> None:
    SalesforceConnection.objects.filter(pk=connection.pk).update(
        access_token_encrypted=encryption.encrypt(token.access_token), api_url=token.instance_url
    )


def record_connection_failure(connection: SalesforceConnection, error: SalesforceError | str) -> datetime:
    """A failure of the whole connection: it pauses with back-off. Returns when it is tried again."""
    now = timezone.now()
    connection.failures += 1
    connection.paused_until = now + backoff(connection.failures)
    connection.last_error = str(error)
    connection.last_error_at = now
    SalesforceConnection.objects.filter(pk=connection.pk).update(
        failures=connection.failures,
        paused_until=connection.paused_until,
        last_error=connection.last_error,
        last_error_at=now,
    )
    return connection.paused_until


def record_connection_success(connection: SalesforceConnection) -> None:
    now = timezone.now()
    connection.failures, connection.paused_until, connection.last_error = 0, None, ""
    connection.last_success_at = now
    SalesforceConnection.objects.filter(pk=connection.pk).update(
        failures=0, paused_until=None, last_error="", last_success_at=now
    )


def retry_failed(campaign: Campaign) -> int:
    """Every failed record of the campaign is due again now, with its attempts counted from zero."""
    count = SalesforceSyncRecord.objects.filter(campaign=campaign, status=SyncStatus.FAILED).update(
        next_attempt_at=timezone.now(), attempts=0
    )
    if count:
        from integrations.salesforce.tasks import sync_tenant_on_commit

        sync_tenant_on_commit(campaign.tenant_id)
    return count
