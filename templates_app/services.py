"""Writes for saved mail templates (T1).

Every rule lives in template_problems(), so the template screens, the API and these services
refuse the same input with the same messages. Bodies are stored only after clean_body_html().
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Tenant, User
from campaigns.body_html import clean_body_html
from campaigns.rendering import content_problems
from campaigns.rules import subject_line_problems
from templates_app.models import EmailTemplate

Problems = dict[str, list[str]]
TEMPLATE_FIELDS = ("name", "subject", "body_html")
NAME_MAX_LENGTH = EmailTemplate._meta.get_field("name").max_length
SUBJECT_MAX_LENGTH = EmailTemplate._meta.get_field("subject").max_length


def template_problems(
    tenant: Tenant, *, name: str, subject: str, body_html: str, template: EmailTemplate | None = None
) -> Problems:
    """What is wrong with these values, by field ("name", "subject", "body_html"); empty when they can be saved.

    `template` is the one being edited (its own name is no duplicate). The body is checked as it
    will be stored, that is cleaned. A template need not carry the unsubscribe tag; sending checks that.
    """
    problems: Problems = {}
    name, subject = (name or "").strip(), (subject or "").strip()
    if not name:
        problems["name"] = [_("Enter a name for the template.")]
    elif len(name) > NAME_MAX_LENGTH:
        problems["name"] = [_("The name can be at most %(limit)d characters.") % {"limit": NAME_MAX_LENGTH}]
    elif _name_taken(tenant, name, template):
        problems["name"] = [_duplicate_name_message(name)]
    if subject_line_problems(subject):
        problems["subject"] = subject_line_problems(subject)
    elif len(subject) > SUBJECT_MAX_LENGTH:
        problems["subject"] = [_("The subject can be at most %(limit)d characters.") % {"limit": SUBJECT_MAX_LENGTH}]
    for field, messages in content_problems(subject=subject, body_html=clean_body_html(body_html)).items():
        problems.setdefault(field, []).extend(messages)
    return problems


def _name_taken(tenant: Tenant, name: str, template: EmailTemplate | None) -> bool:
    others = EmailTemplate.objects.for_tenant(tenant).filter(name=name)
    if template is not None and template.pk:
        others = others.exclude(pk=template.pk)
    return others.exists()


def _duplicate_name_message(name: str) -> str:
    return _("A template named “%(name)s” already exists. Choose another name.") % {"name": name}


def _validated_save(template: EmailTemplate) -> EmailTemplate:
    problems = template_problems(
        template.tenant,
        name=template.name,
        subject=template.subject,
        body_html=template.body_html,
        template=template,
    )
    if problems:
        raise ValidationError(problems)
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError:  # the same name saved by someone else a moment ago
        raise ValidationError({"name": [_duplicate_name_message(template.name)]}) from None
    return template


def create_template(
    tenant: Tenant, user: User | None, *, name: str, subject: str = "", body_html: str = ""
) -> EmailTemplate:
    """Save a new template; raises ValidationError({field: [messages]}) and saves nothing when a rule fails."""
    template = EmailTemplate(
        tenant=tenant,
        created_by=user,
        name=(name or "").strip(),
        subject=(subject or "").strip(),
        body_html=clean_body_html(body_html),
    )
    return _validated_save(template)


def update_template(template: EmailTemplate, **fields) -> EmailTemplate:
    """Change the given fields (name, subject, body_html); raises ValidationError and changes nothing on a bad value."""
    unknown = set(fields) - set(TEMPLATE_FIELDS)
    if unknown:
        raise TypeError(f"update_template() got unknown fields: {', '.join(sorted(unknown))}")
    original = {field: getattr(template, field) for field in TEMPLATE_FIELDS}
    if "name" in fields:
        template.name = (fields["name"] or "").strip()
    if "subject" in fields:
        template.subject = (fields["subject"] or "").strip()
    if "body_html" in fields:
        template.body_html = clean_body_html(fields["body_html"])
    try:
        return _validated_save(template)
    except ValidationError:
        for field, value in original.items():  # the caller's instance stays as it is stored
            setattr(template, field, value)
        raise


def delete_template(template: EmailTemplate) -> None:
    template.delete()
