"""The local mail catcher's outbox: reads the Maildir its handler (campaigns/outbox_catcher.py) writes.

`make run` starts `python -m aiosmtpd ... -c campaigns.outbox_catcher.OutboxMailbox var/outbox`; every mail
Django sends in development lands there as one file. This module reads that Maildir (directory
`settings.OUTBOX_DIR`) for the DEBUG-only outbox page and for the tests' `mail_catcher` fixture.
It only reads: nothing here writes, moves or deletes a mail.
"""

from __future__ import annotations

import email.policy
import mailbox
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import cast

from django.conf import settings

# Python's mailbox names a new mail "<seconds>.M<microseconds>P<pid>Q<counter>.<host>" (the host
# with "/" and ":" escaped as "\057" and "\072"); other Maildir writers use the same alphabet.
KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\\-]{0,254}")
_DELIVERY_PATTERN = re.compile(r"(\d+)\.M(\d+)P\d+Q(\d+)\.")
_PARSER = BytesParser(policy=email.policy.default)


@dataclass(frozen=True)
class OutboxMail:
    """One caught mail. `list_outbox` fills the summary; `read_outbox_mail` also the parts."""

    key: str
    subject: str
    from_: str
    to: str
    date: datetime | None  # aware; the Date header, else the time the catcher stored the mail
    has_html: bool
    size: int  # bytes of the stored .eml
    headers: list[tuple[str, str]] = field(default_factory=list)  # every header, in order, decoded
    text: str | None = None
    html: str | None = None
    attachments: list[str] = field(default_factory=list)  # file names (content type when unnamed)


def outbox_dir() -> Path:
    return Path(str(settings.OUTBOX_DIR))


def is_valid_key(key: str) -> bool:
    return bool(KEY_PATTERN.fullmatch(key)) and ".." not in key


def list_outbox(limit: int | None = 200, *, directory: Path | str | None = None) -> list[OutboxMail]:
    """The caught mail, newest first (by the time the catcher stored it), at most `limit` of them."""
    box = _open(directory)
    if box is None:
        return []
    try:
        keys = sorted(box.keys(), key=lambda key: _delivery_order(box, key), reverse=True)
    except OSError:  # the directory is not (yet) a Maildir
        return []
    if limit is not None:
        keys = keys[:limit]
    mails = (_load(box, key, detail=False) for key in keys)
    return [mail for mail in mails if mail is not None]


def read_outbox_mail(key: str, *, directory: Path | str | None = None) -> OutboxMail | None:
    """One mail with its headers and parts; None for a malformed key or one not in the outbox."""
    if not is_valid_key(key):
        return None
    box = _open(directory)
    return _load(box, key, detail=True) if box is not None else None


def read_outbox_raw(key: str, *, directory: Path | str | None = None) -> bytes | None:
    """The stored .eml bytes of one mail; None for a malformed key or one not in the outbox."""
    if not is_valid_key(key):
        return None
    box = _open(directory)
    return _raw(box, key) if box is not None else None


def preview_srcdoc(html: str) -> str:
    """The mail's HTML for an iframe's srcdoc, with `<base target="_blank">` so its links open a tab.

    The base goes inside <head> (or right after <html> or the doctype), so a doctype stays first
    and the mail does not fall into quirks mode.
    """
    base = '<base target="_blank">'
    for pattern in (r"<head\b[^>]*>", r"<html\b[^>]*>", r"^\s*<!doctype\b[^>]*>"):
        match = re.search(pattern, html, flags=re.IGNORECASE)
        if match:
            return html[: match.end()] + base + html[match.end() :]
    return base + html


def _open(directory: Path | str | None) -> mailbox.Maildir | None:
    path = Path(directory) if directory is not None else outbox_dir()
    try:
        return mailbox.Maildir(path, factory=None, create=False)
    except mailbox.NoSuchMailboxError:
        return None


def _raw(box: mailbox.Maildir, key: str) -> bytes | None:
    try:
        return box.get_bytes(key)
    except (KeyError, OSError):  # unknown key, or the mail was removed since the listing
        return None


def _delivery_order(box: mailbox.Maildir, key: str) -> tuple[int, int, int]:
    match = _DELIVERY_PATTERN.match(key)
    if match:
        seconds, microseconds, counter = (int(part) for part in match.groups())
        return seconds, microseconds, counter
    try:  # a file put there by another writer: its modification time (mailbox reads it as the date)
        stored_at = box.get_message(key).get_date()
    except (KeyError, OSError):
        return 0, 0, 0
    return int(stored_at), int(stored_at % 1 * 1_000_000), 0


def _delivered_at(key: str) -> datetime | None:
    match = _DELIVERY_PATTERN.match(key)
    if not match:
        return None
    return datetime.fromtimestamp(int(match.group(1)) + int(match.group(2)) / 1_000_000, tz=UTC)


def _load(box: mailbox.Maildir, key: str, *, detail: bool) -> OutboxMail | None:
    raw = _raw(box, key)
    if raw is None:
        return None
    message = cast(EmailMessage, _PARSER.parsebytes(raw))  # policy.default makes EmailMessage objects
    html_part = _body(message, "html")
    summary = {
        "key": key,
        "subject": _header(message, "Subject"),
        "from_": _header(message, "From"),
        "to": _header(message, "To") or _header(message, "X-RcptTo"),
        "date": _date(message) or _delivered_at(key),
        "has_html": html_part is not None,
        "size": len(raw),
    }
    if not detail:
        return OutboxMail(**summary)
    text_part = _body(message, "plain")
    return OutboxMail(
        **summary,
        headers=[(name, _header_text(value)) for name, value in message.items()],
        text=_content(text_part) if text_part is not None else None,
        html=_content(html_part) if html_part is not None else None,
        attachments=[part.get_filename() or part.get_content_type() for part in message.iter_attachments()],
    )


def _header(message: EmailMessage, name: str) -> str:
    value = message.get(name)
    return _header_text(value) if value is not None else ""


def _header_text(value: object) -> str:
    """Decoded and unfolded; stripped, since a folded first line (Django folds long Japanese
    subjects as "Subject:" + newline + encoded words) leaves a leading space."""
    try:
        return str(value).strip()
    except Exception:  # a header too broken to decode is shown as it came
        return repr(value)


def _date(message: EmailMessage) -> datetime | None:
    try:
        value = message.get("Date")
        parsed = getattr(value, "datetime", None)
    except (TypeError, ValueError):
        return None
    if not isinstance(parsed, datetime):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _body(message: EmailMessage, subtype: str) -> EmailMessage | None:
    try:
        part = message.get_body(preferencelist=(subtype,))
    except (KeyError, ValueError):
        return None
    return part if isinstance(part, EmailMessage) else None


def _content(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset or a broken transfer encoding
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else str(payload)
    return content if isinstance(content, str) else content.decode("utf-8", errors="replace")
