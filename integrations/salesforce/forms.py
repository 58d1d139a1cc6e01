"""The Salesforce settings form (I1). It only parses input: the rules are in integrations.salesforce.services.

Secret fields never render a value, not even the one just typed: a saved secret shows as "saved" in its help text,
and leaving the field empty keeps it.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from integrations.models import SalesforceAuthMethod
from integrations.salesforce.credentials import SECRET_NAMES


def _secret_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=1000,
        strip=True,
        help_text=help_text,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password", "spellcheck": "false"}),
    )


class SalesforceConnectionForm(forms.Form):
    instance_url = forms.CharField(
        label=_("Salesforce URL"),
        max_length=255,
        help_text=_(
            "Your org's My Domain address, for example https://yourcompany.my.salesforce.com "
            "(a sandbox: https://yourcompany--sandbox.sandbox.my.salesforce.com)."
        ),
        widget=forms.URLInput(
            attrs={"placeholder": "https://yourcompany.my.salesforce.com", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    auth_method = forms.ChoiceField(
        label=_("Sign-in method"),
        choices=SalesforceAuthMethod.choices,
        initial=SalesforceAuthMethod.REFRESH_TOKEN,
        widget=forms.RadioSelect,
    )
    client_id = forms.CharField(
        label=_("Consumer key"),
        max_length=255,
        required=False,
        help_text=_("The consumer key of the connected app that Okuru signs in through."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    client_secret = _secret_field(
        _("Consumer secret"),
        _("The connected app's consumer secret. Required for the username-password sign-in."),
    )
    refresh_token = _secret_field(_("Refresh token"), _("An OAuth refresh token issued to the connected app."))
    username = forms.CharField(
        label=_("Username"),
        max_length=255,
        required=False,
        help_text=_("The Salesforce user the Tasks are recorded as, for example okuru@yourcompany.co.jp."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    password = _secret_field(_("Password"), _("That user's Salesforce password."))
    security_token = _secret_field(
        _("Security token"),
        _("Needed unless Okuru's IP addresses are trusted in your org. Salesforce mails it when it is reset."),
    )

    def __init__(self, *args, saved_secrets: frozenset[str] = frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        for name in SECRET_NAMES:
            if name in saved_secrets:
                field = self.fields[name]
                field.help_text = _("Saved. Leave empty to keep it, or enter a new value to replace it.")
                field.widget.attrs["placeholder"] = _("(saved)")
