from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts import login_throttle
from accounts.client_address import client_ip
from accounts.models import Role, User


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        "invalid_login": _("The email address or password is wrong."),
        "inactive": _("This account is disabled."),
        "locked": _("Too many failed sign-ins. Wait %(minutes)s minutes, then try again."),
    }

    def clean(self):
        email = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request) if self.request else None
        if email and login_throttle.is_locked(email, ip):
            minutes = max(1, settings.LOGIN_LOCK_SECONDS // 60)
            raise forms.ValidationError(self.error_messages["locked"], code="locked", params={"minutes": minutes})
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if email:
                login_throttle.record_failure(email, ip)
            raise
        login_throttle.clear(email)
        return cleaned


class NewUserForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput(render_value=False))

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email=email).exists():
            raise forms.ValidationError(_("This email address is already in use."))
        return email

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password


class EditUserForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    is_active = forms.BooleanField(label=_("Can sign in"), required=False)
