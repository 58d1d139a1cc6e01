from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import TenantOwnedModel


class EmailTemplate(TenantOwnedModel):
    """A saved subject and body (T1) that the composer copies into a campaign (C2)."""

    name = models.CharField(_("template name"), max_length=200)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body_html = models.TextField(_("body"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("template")
        verbose_name_plural = _("templates")
        ordering = ["name", "id"]
        # the unique constraint's index on (tenant, name) also serves the index page's lookup and sort
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="template_unique_name_per_tenant")]

    def __str__(self) -> str:
        return self.name
