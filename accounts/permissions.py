"""API permissions: the same rules as accounts.access, for DRF views."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from accounts.models import Role


class IsTenantMember(BasePermission):
    message = _("Sign in as a member of a company to use the API.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.tenant_id)


class HasMailPlan(IsTenantMember):
    """The plan gate (A2) for every mail API."""

    message = _("Bulk mail is not part of your company's plan.")
    code = "mail_plan_required"

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and request.user.tenant.has_mail_plan


class IsTenantAdmin(IsTenantMember):
    message = _("Only an administrator may do this.")

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and request.user.role == Role.ADMIN
