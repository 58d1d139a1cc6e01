"""What a failed hand-over to the provider means (S7): try again later, or give up on this recipient.

Works for Django's SMTP backend (the catcher, any SMTP relay) and every django-anymail backend.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass

import requests
from anymail.exceptions import AnymailAPIError, AnymailError, AnymailRecipientsRefused

from campaigns.smtp_backend import ReplyLostAfterHandOver


@dataclass(frozen=True)
class ProviderError:
    temporary: bool
    reason: str
    connection_lost: bool = False  # the rest of the batch cannot go through this connection either
    # the provider may have taken the mail before the failure: record it unknown, never try again (S5)
    maybe_delivered: bool = False


def _smtp_reason(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"SMTP {code} {text}".strip()


def _answer_lost_after_the_request(error: AnymailAPIError) -> bool:
    """anymail's HTTP call timed out reading the answer: the request (the mail) had been sent in full."""
    return isinstance(error.__cause__, requests.exceptions.ReadTimeout)


def classify(error: Exception) -> ProviderError:
    if isinstance(error, ReplyLostAfterHandOver):
        return ProviderError(False, str(error), connection_lost=True, maybe_delivered=True)
    if isinstance(error, AnymailAPIError) and _answer_lost_after_the_request(error):
        return ProviderError(False, f"the provider did not answer: {error}", connection_lost=True, maybe_delivered=True)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, message = next(iter(error.recipients.values()))
        return ProviderError(400 <= code < 500, _smtp_reason(code, message))
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return ProviderError(True, f"SMTP connection lost: {error}", connection_lost=True)
    if isinstance(error, smtplib.SMTPResponseException):
        return ProviderError(400 <= error.smtp_code < 500, _smtp_reason(error.smtp_code, error.smtp_error))
    if isinstance(error, smtplib.SMTPException):
        return ProviderError(True, f"SMTP error: {error}", connection_lost=True)
    if isinstance(error, AnymailRecipientsRefused):
        return ProviderError(False, str(error))
    if isinstance(error, AnymailAPIError):
        status = getattr(error, "status_code", None)
        temporary = status is None or status == 429 or status >= 500
        return ProviderError(temporary, f"{status or ''} {error}".strip(), connection_lost=status is None)
    if isinstance(error, AnymailError):
        return ProviderError(True, str(error))
    if isinstance(error, OSError):  # refused, reset, timed out, DNS: the provider cannot be reached now
        return ProviderError(True, f"{type(error).__name__}: {error}", connection_lost=True)
    return ProviderError(False, f"{type(error).__name__}: {error}")
