"""A4 sender domains: the one place that decides what a registered sending domain looks like.

A domain is kept in one canonical form: lower-case Unicode (IDNA-decoded), without a trailing dot,
so "例え.JP", "xn--r8jz45g.jp" and "ｅｘａｍｐｌｅ．ｊｐ" typed in a Japanese input method all become the
one value that is stored and compared. Lengths are checked on the ASCII (punycode) form, as DNS
counts them. IDNA is Python's built-in codec, the one Django's own email validation uses.
"""

from __future__ import annotations

import encodings.idna
import re
import unicodedata
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.text import Truncator
from django.utils.translation import gettext as _

MAX_DOMAIN_LENGTH = 253
MAX_LABEL_LENGTH = 63
ASCII_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
NOT_IN_A_DOMAIN = re.compile(r"[^\w.-]")


def normalize_sender_domain(text: str) -> str:
    """The canonical form of a domain typed by a person; ValidationError naming the value if it is not one."""
    shown = Truncator((text or "").strip()).chars(80)
    value = unicodedata.normalize("NFKC", text or "").strip().lower().replace("。", ".")
    if not value:
        raise ValidationError(_("Enter a domain, for example example.co.jp."), code="required")
    problem = _format_problem(value)
    if problem:
        raise ValidationError(problem, code="invalid", params={"domain": shown})
    if value.endswith(".") and not value.endswith(".."):
        value = value[:-1]  # the fully qualified form "example.co.jp." names the same domain
    labels = value.split(".")
    if len(labels) < 2:
        raise ValidationError(
            _("“%(domain)s” is not a complete domain: it needs at least one dot, as in example.co.jp."),
            code="invalid",
            params={"domain": shown},
        )
    if any(not label for label in labels):
        raise ValidationError(
            _("“%(domain)s” has an empty part between dots."), code="invalid", params={"domain": shown}
        )
    ascii_labels = []
    unicode_labels = []
    for label in labels:
        ascii_label, unicode_label = _label_forms(label, shown)
        ascii_labels.append(ascii_label)
        unicode_labels.append(unicode_label)
    if ascii_labels[-1].isdigit():
        raise ValidationError(
            _("“%(domain)s” is not a domain name (IP addresses cannot be registered)."),
            code="invalid",
            params={"domain": shown},
        )
    if len(".".join(ascii_labels)) > MAX_DOMAIN_LENGTH:
        raise ValidationError(
            _("“%(domain)s” is too long: a domain may have at most %(max)s characters."),
            code="invalid",
            params={"domain": shown, "max": MAX_DOMAIN_LENGTH},
        )
    return ".".join(unicode_labels)


def normalize_sender_domains(texts: Iterable[str]) -> list[str]:
    """A whole list of domains in canonical form, in the given order; one message per bad or repeated value."""
    domains: list[str] = []
    problems: list[ValidationError] = []
    for text in texts:
        try:
            domain = normalize_sender_domain(text)
        except ValidationError as error:
            problems.append(error)
            continue
        if domain in domains:
            problems.append(
                ValidationError(
                    _("“%(domain)s” is listed more than once."),
                    code="duplicate",
                    params={"domain": Truncator(text.strip()).chars(80)},
                )
            )
            continue
        domains.append(domain)
    if problems:
        raise ValidationError(problems)
    return domains


def ascii_domain(domain: str) -> str:
    """The punycode form of a canonical domain, as it is written in DNS records."""
    try:
        return ".".join(encodings.idna.ToASCII(label).decode("ascii") for label in domain.split("."))
    except UnicodeError:  # a row not written through normalize_sender_domain
        return domain


def _format_problem(value: str) -> str | None:
    """A message for input that is something else than a bare domain (a URL, an address, a pattern)."""
    if "*" in value:
        return _("“%(domain)s”: wildcards are not accepted. Register each domain itself, for example example.co.jp.")
    if "://" in value or value.startswith(("http:", "https:", "mailto:")):
        return _("“%(domain)s”: enter only the domain, without http:// or https://.")
    if "@" in value:
        return _("“%(domain)s” is an email address: enter only the part after the @, for example example.co.jp.")
    if "/" in value or "?" in value or "#" in value:
        return _("“%(domain)s”: enter only the domain, without a path.")
    if any(character.isspace() for character in value):
        return _("“%(domain)s” contains a space. A domain has no spaces.")
    if NOT_IN_A_DOMAIN.search(value) or "_" in value:
        return _("“%(domain)s” contains characters a domain cannot have. Use letters, digits, hyphens and dots.")
    return None


def _label_forms(label: str, shown: str) -> tuple[str, str]:
    """(ASCII form, Unicode form) of one label between dots."""
    try:
        prepared = label if label.isascii() else encodings.idna.nameprep(label)
        ascii_label = prepared if prepared.isascii() else "xn--" + prepared.encode("punycode").decode("ascii")
    except UnicodeError:
        ascii_label = ""
    if len(ascii_label) > MAX_LABEL_LENGTH:
        raise ValidationError(
            _("“%(domain)s”: each part between dots may have at most %(max)s characters."),
            code="invalid",
            params={"domain": shown, "max": MAX_LABEL_LENGTH},
        )
    try:
        unicode_label = encodings.idna.ToUnicode(ascii_label) if ASCII_LABEL.fullmatch(ascii_label) else ""
    except UnicodeError:
        unicode_label = ""
    if not unicode_label or _unicode_problem(unicode_label):
        raise ValidationError(
            _("“%(domain)s” is not a valid domain name. Use letters, digits and hyphens (not at the start or end)."),
            code="invalid",
            params={"domain": shown},
        )
    return ascii_label, unicode_label


def _unicode_problem(label: str) -> bool:
    return label.startswith("-") or label.endswith("-") or NOT_IN_A_DOMAIN.search(label) is not None
