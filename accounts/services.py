"""Writes for tenants and users, and a tenant's mail settings."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from accounts.models import Role, SenderDomain, Tenant, User
from accounts.sender_domains import normalize_sender_domain, normalize_sender_domains


@transaction.atomic
def create_tenant(*, name: str, admin_email: str, password: str, mail_plan: bool) -> tuple[Tenant, User, str]:
    """A new company with its first admin; returns the admin's API token key too."""
    tenant = Tenant.objects.create(name=name, has_mail_plan=mail_plan)
    admin = create_user(tenant=tenant, email=admin_email, password=password, role=Role.ADMIN)
    token, _created = Token.objects.get_or_create(user=admin)
    return tenant, admin, token.key


def create_user(*, tenant: Tenant, email: str, password: str, role: str, name: str = "") -> User:
    return User.objects.create_user(email=email, password=password, tenant=tenant, role=role, name=name)


def update_user(*, user: User, name: str, role: str, is_active: bool) -> User:
    user.name = name
    user.role = role
    user.is_active = is_active
    user.save(update_fields=["name", "role", "is_active"])
    return user


# Mail settings (A4 sender domains, A5 legal sender information). Every rule is checked here, so the
# settings screen and the API refuse the same input with the same messages.

SEND_RATE_MIN = 1
SEND_RATE_MAX = 1000


@transaction.atomic
def update_mail_settings(
    tenant: Tenant,
    *,
    sender_domains: list[str] | None = None,
    legal_sender_name: str | None = None,
    legal_postal_address: str | None = None,
    legal_contact: str | None = None,
    send_rate_per_second: int | None = None,
) -> Tenant:
    """Change the settings that are given (None leaves one as it is); a given domain list replaces the old one.

    Raises ValidationError({field: [messages]}) naming every bad value; nothing is saved then.
    """
    errors: dict[str, list[ValidationError]] = {}
    changes: dict[str, object] = {}
    texts = {
        "legal_sender_name": legal_sender_name,
        "legal_postal_address": legal_postal_address,
        "legal_contact": legal_contact,
    }
    for field, value in texts.items():
        if value is None:
            continue
        try:
            changes[field] = clean_legal_contact(value) if field == "legal_contact" else _clean_text(field, value)
        except ValidationError as error:
            errors[field] = error.error_list
    if send_rate_per_second is not None:
        try:
            changes["send_rate_per_second"] = clean_send_rate(send_rate_per_second)
        except ValidationError as error:
            errors["send_rate_per_second"] = error.error_list
    domains: list[str] | None = None
    if sender_domains is not None:
        try:
            domains = normalize_sender_domains(sender_domains)
        except ValidationError as error:
            errors["sender_domains"] = error.error_list
    if errors:
        raise ValidationError(errors)

    if changes:
        for field, value in changes.items():
            setattr(tenant, field, value)
        tenant.save(update_fields=list(changes))
    if domains is not None:
        SenderDomain.objects.for_tenant(tenant).exclude(domain__in=domains).delete()
        SenderDomain.objects.bulk_create(
            [SenderDomain(tenant=tenant, domain=domain) for domain in domains], ignore_conflicts=True
        )
    return tenant


def add_sender_domain(tenant: Tenant, domain: str) -> SenderDomain:
    """Register one more sender domain (A4); ValidationError naming the value if it is bad or already there."""
    name = normalize_sender_domain(domain)
    already = ValidationError(_("“%(domain)s” is already registered."), code="duplicate", params={"domain": name})
    if SenderDomain.objects.for_tenant(tenant).filter(domain=name).exists():
        raise already
    try:
        with transaction.atomic():
            return SenderDomain.objects.create(tenant=tenant, domain=name)
    except IntegrityError:  # the same domain added at the same moment in another request
        raise already from None


def remove_sender_domain(sender_domain: SenderDomain) -> None:
    sender_domain.delete()


def clean_legal_contact(value: str) -> str:
    """The inquiry contact (A5): empty, an email address, or an http(s) URL."""
    value = _clean_text("legal_contact", value)
    if not value:
        return value
    try:
        if "://" in value or value.lower().startswith(("http:", "https:")):
            URLValidator(schemes=["http", "https"])(value)
        else:
            validate_email(value)
    except ValidationError:
        raise ValidationError(
            _(
                "Enter an email address (for example info@example.co.jp) or a web page address starting with "
                "http:// or https://."
            ),
            code="invalid",
        ) from None
    return value


def clean_send_rate(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not SEND_RATE_MIN <= value <= SEND_RATE_MAX:
        raise ValidationError(
            _("Enter a sending rate from %(min)s to %(max)s mails per second."),
            code="invalid",
            params={"min": SEND_RATE_MIN, "max": f"{SEND_RATE_MAX:,}"},
        )
    return value


def _clean_text(field: str, value: str) -> str:
    value = unicodedata.normalize("NFKC", value) if field == "legal_contact" else value
    value = value.strip()
    max_length = Tenant._meta.get_field(field).max_length
    if len(value) > max_length:
        raise ValidationError(
            _("Use at most %(max)s characters (this has %(length)s)."),
            code="max_length",
            params={"max": max_length, "length": len(value)},
        )
    if "\x00" in value:
        raise ValidationError(_("The text contains a character that cannot be saved."), code="null_characters")
    return value
