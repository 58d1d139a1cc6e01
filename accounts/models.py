from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import TenantQuerySet


class Tenant(models.Model):
    name = models.CharField(_("company name"), max_length=200)
    has_mail_plan = models.BooleanField(_("mail plan"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # A5: the sender named in every campaign mail's footer (特定電子メール法); sending waits until all three are set
    legal_sender_name = models.CharField(_("sender name"), max_length=200, blank=True)
    legal_postal_address = models.CharField(_("postal address"), max_length=300, blank=True)
    legal_contact = models.CharField(_("contact for inquiries"), max_length=320, blank=True)
    send_rate_per_second = models.PositiveIntegerField(_("sending rate (mails per second)"), default=20)

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    REP = "rep", _("Sales rep")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Admin")


class UserQuerySet(TenantQuerySet):
    pass


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an email address; belongs to one tenant with one role."""

    email = models.EmailField(_("email address"), unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, null=True, blank=True, related_name="users", verbose_name=_("tenant")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.REP)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @property
    def is_tenant_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_see_all_campaigns(self) -> bool:
        return self.role in (Role.MANAGER, Role.ADMIN)


class SenderDomain(models.Model):
    """A4: a domain the tenant may put in a campaign's From address (stored lower-case, IDNA-decoded)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="sender_domains")
    domain = models.CharField(_("domain"), max_length=253)
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("sender domain")
        verbose_name_plural = _("sender domains")
        ordering = ["domain"]
        constraints = [models.UniqueConstraint(fields=["tenant", "domain"], name="sender_domain_unique_per_tenant")]

    def __str__(self) -> str:
        return self.domain
