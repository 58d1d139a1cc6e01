"""The parts of Salesforce's REST API that Okuru uses: OAuth sign-in, SOQL lookup by email, Task creation.

Sign-in is OAuth 2.0 at `<Salesforce URL>/services/oauth2/token`, made with `requests`: the refresh_token grant
(recommended), or the username-password grant (the password with the security token appended, as Salesforce
expects it). SOAP login is not used, so both methods need a connected app's consumer key. The API calls go through
simple-salesforce's `Salesforce(instance_url=, session_id=)` with the instance URL that the token came with.
A call answered 401 (INVALID_SESSION_ID) signs in again once and is repeated.

Every failure of a whole call raises a SalesforceError whose text is Salesforce's own: `errorCode: message` from the
REST API, `error: error_description` from OAuth. Nothing here touches the database.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from django.conf import settings
from simple_salesforce import Salesforce
from simple_salesforce import exceptions as sf_exceptions
from simple_salesforce.format import format_soql, quote_soql_value

API_VERSION = "62.0"
TIMEOUT = (10, 60)  # seconds to connect, to read
# The URL-encoded SOQL of one lookup stays under this; Salesforce refuses URIs over 16,384 bytes
MAX_ENCODED_QUERY = 8_000
COMPOSITE_MAX_RECORDS = 200  # the sObject Collections limit per request
ERROR_TEXT_MAX = 2_000

T = TypeVar("T")


class SalesforceError(Exception):
    """A call that failed as a whole. str() is the error as Salesforce worded it."""

    def __init__(self, message: str, *, code: str = "", status: int | None = None):
        super().__init__(message[:ERROR_TEXT_MAX])
        self.code = code
        self.status = status


class AuthenticationFailed(SalesforceError):
    """Sign-in refused (wrong credentials, revoked or expired refresh token), or a session refused after renewal."""


class LimitExceeded(SalesforceError):
    """REQUEST_LIMIT_EXCEEDED (403) or 429: the org's API allowance is used up for now."""


class ServerError(SalesforceError):
    """A 5xx answer, or an answer that does not make sense."""


class RequestRefused(SalesforceError):
    """Any other 4xx answer (permissions, a field the org does not have ...)."""


class NetworkError(SalesforceError):
    """No answer: connection refused, timeout, TLS failure."""


def normalized_url(value: str) -> str:
    """`https://host[:port]` of a Salesforce URL; ValueError unless https on a host SALESFORCE_HOST_SUFFIXES allows.

    The Lightning address people copy from their browser (`*.lightning.force.com`) is turned into the org's My Domain
    (`*.my.salesforce.com`), which is where the API and OAuth live.
    """
    parts = urllib.parse.urlsplit(value.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme.lower() != "https" or not host or parts.username or parts.password:
        raise ValueError("not an https URL")
    if host.endswith(".lightning.force.com"):
        host = host.removesuffix(".lightning.force.com") + ".my.salesforce.com"
    suffixes = [suffix.lower().strip(".") for suffix in settings.SALESFORCE_HOST_SUFFIXES if suffix.strip(".")]
    if not any(host == suffix or host.endswith("." + suffix) for suffix in suffixes):
        raise ValueError("not a Salesforce host")
    port = parts.port  # ValueError when it is not a number
    return f"https://{host}" if port in (None, 443) else f"https://{host}:{port}"


@dataclass(frozen=True)
class Credentials:
    instance_url: str
    auth_method: str  # integrations.models.SalesforceAuthMethod
    client_id: str = ""
    client_secret: str = ""
    refresh_token: str = ""
    username: str = ""
    password: str = ""
    security_token: str = ""

    def token_request(self) -> dict[str, str]:
        if self.auth_method == "password":
            form = {
                "grant_type": "password",
                "username": self.username,
                "password": self.password + self.security_token,
            }
        else:
            form = {"grant_type": "refresh_token", "refresh_token": self.refresh_token}
        form["client_id"] = self.client_id
        if self.client_secret:
            form["client_secret"] = self.client_secret
        return form


@dataclass(frozen=True)
class AccessToken:
    access_token: str
    instance_url: str


def _oauth_error_text(response: requests.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("error"):
        code = str(body["error"])
        description = str(body.get("error_description") or "")
        return (f"{code}: {description}" if description else code), code
    return error_text(body if body is not None else response.text, response.status_code)


def error_text(content: Any, status: int | None = None) -> tuple[str, str]:
    """Salesforce's `[{"message", "errorCode"}]` as `errorCode: message; ...` and the first code."""
    if isinstance(content, list) and content and all(isinstance(entry, dict) for entry in content):
        texts = [
            f"{entry.get('errorCode') or entry.get('statusCode') or ''}: {entry.get('message') or ''}".strip(": ")
            for entry in content
        ]
        first = content[0]
        return "; ".join(texts), str(first.get("errorCode") or first.get("statusCode") or "")
    if isinstance(content, dict) and (content.get("errorCode") or content.get("message")):
        return error_text([content], status)
    if isinstance(content, bytes):
        content = content.decode("utf-8", errors="replace")
    text = " ".join(str(content or "").split())
    return (f"HTTP {status}: {text}" if text else f"HTTP {status}"), ""


def request_token(credentials: Credentials, session: requests.Session) -> AccessToken:
    """Sign in (OAuth 2.0 refresh_token or password grant); AuthenticationFailed with Salesforce's reason."""
    url = f"{normalized_url(credentials.instance_url)}/services/oauth2/token"
    try:
        response = session.post(url, data=credentials.token_request(), timeout=TIMEOUT, allow_redirects=False)
    except requests.RequestException as error:
        raise NetworkError(str(error)) from None
    if response.status_code >= 500:
        text, code = _oauth_error_text(response)
        raise ServerError(text, code=code, status=response.status_code)
    if response.status_code != 200:
        text, code = _oauth_error_text(response)
        raise AuthenticationFailed(text, code=code, status=response.status_code)
    try:
        body = response.json()
        token = AccessToken(access_token=str(body["access_token"]), instance_url=normalized_url(body["instance_url"]))
    except (ValueError, KeyError, TypeError):
        raise ServerError("The OAuth token answer had no usable access_token and instance_url.") from None
    return token


def _mapped(error: sf_exceptions.SalesforceError) -> SalesforceError:
    text, code = error_text(error.content, error.status)
    if code == "REQUEST_LIMIT_EXCEEDED" or error.status == 429:
        return LimitExceeded(text, code=code or "REQUEST_LIMIT_EXCEEDED", status=error.status)
    if error.status == 401:
        return AuthenticationFailed(text, code=code, status=error.status)
    if error.status >= 500:
        return ServerError(text, code=code, status=error.status)
    return RequestRefused(text, code=code, status=error.status)


def soql_in_chunks(values: Sequence[str], *, max_encoded: int) -> Iterator[list[str]]:
    """The values split so that each chunk's quoted, URL-encoded IN list stays within max_encoded characters."""
    chunk: list[str] = []
    size = 0
    for value in values:
        cost = len(urllib.parse.quote_plus(quote_soql_value(value) + ","))
        if chunk and size + cost > max_encoded:
            yield chunk
            chunk, size = [], 0
        chunk.append(value)
        size += cost
    if chunk:
        yield chunk


class SalesforceClient:
    """One org, one access token at a time. `on_token` is told of every new token (to keep it for the next run)."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        token: AccessToken | None = None,
        on_token: Callable[[AccessToken], None] | None = None,
        session: requests.Session | None = None,
        max_encoded_query: int | None = None,
    ):
        self.credentials = credentials
        self.token = token
        self.on_token = on_token
        self.session = session or requests.Session()
        self.max_encoded_query = max_encoded_query or MAX_ENCODED_QUERY
        self._api: Salesforce | None = None

    def close(self) -> None:
        self.session.close()

    def sign_in(self) -> AccessToken:
        self.token = request_token(self.credentials, self.session)
        self._api = None
        if self.on_token is not None:
            self.on_token(self.token)
        return self.token

    def _salesforce(self) -> Salesforce:
        if self.token is None:
            self.sign_in()
        if self._api is None:
            token = self.token
            self._api = Salesforce(
                instance_url=token.instance_url,
                session_id=token.access_token,
                version=API_VERSION,
                session=self.session,
            )
        return self._api

    def call(self, operation: Callable[[Salesforce], T]) -> T:
        """Run one API operation; an expired session is renewed once and the operation repeated."""
        renewed = False
        while True:
            try:
                return operation(self._salesforce())
            except sf_exceptions.SalesforceExpiredSession as error:
                if renewed:
                    raise _mapped(error) from None
                renewed = True
                self.sign_in()
            except sf_exceptions.SalesforceError as error:
                raise _mapped(error) from None
            except requests.RequestException as error:
                raise NetworkError(str(error)) from None
            except ValueError as error:  # an answer that is not JSON
                raise ServerError(f"Unreadable answer from Salesforce: {error}") from None

    def find_by_email(self, sobject: str, emails: Sequence[str], *, condition: str = "") -> list[dict]:
        """`Id` and `Email` of every `sobject` record with one of the addresses: one query per chunk of addresses."""
        records: list[dict] = []
        for chunk in soql_in_chunks(emails, max_encoded=self.max_encoded_query):
            soql = format_soql(
                "SELECT Id, Email FROM {sobject:literal} WHERE Email IN {emails}{condition:literal}",
                sobject=sobject,
                emails=chunk,
                condition=f" AND {condition}" if condition else "",
            )
            records += self.call(lambda api, soql=soql: list(api.query_all_iter(soql, timeout=TIMEOUT)))
        return records

    def create_records(self, records: Sequence[dict]) -> list[dict]:
        """Create through sObject Collections (allOrNone false): one result per record, in order."""
        results: list[dict] = []
        for start in range(0, len(records), COMPOSITE_MAX_RECORDS):
            body = {"allOrNone": False, "records": list(records[start : start + COMPOSITE_MAX_RECORDS])}
            answer = self.call(
                lambda api, body=body: api.restful("composite/sobjects", method="POST", json=body, timeout=TIMEOUT)
            )
            if not isinstance(answer, list) or len(answer) != len(body["records"]):
                raise ServerError("Salesforce answered the record creation with an unexpected number of results.")
            results += answer
        return results

    def check(self) -> None:
        """Sign in afresh and read one Contact and one Lead: what the sync needs, short of creating a Task."""
        self.sign_in()
        for soql in ("SELECT Id FROM Contact LIMIT 1", "SELECT Id FROM Lead LIMIT 1"):
            self.call(lambda api, soql=soql: api.query(soql, timeout=TIMEOUT))
