"""Forms of the mail settings screen (A4, A5). They only parse input: the rules are in accounts.services."""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.models import Tenant
from accounts.services import SEND_RATE_MAX, SEND_RATE_MIN


class SenderDomainForm(forms.Form):
    domain = forms.CharField(
        label=_("Domain"),
        max_length=1000,
        help_text=_(
            "The part after the @ of your From addresses, for example example.co.jp. Japanese domain names can be "
            "entered as they are. A subdomain such as mail.example.co.jp is a domain of its own: add it separately."
        ),
        widget=forms.TextInput(attrs={"placeholder": "example.co.jp", "autocomplete": "off", "spellcheck": "false"}),
    )


def _model_field(name: str, **widget_attrs) -> forms.Field:
    """The form field of a Tenant field: its translated label and maximum length come from the model."""
    field = Tenant._meta.get_field(name).formfield()
    field.widget.attrs.update(widget_attrs)
    return field


class LegalSenderForm(forms.Form):
    legal_sender_name = _model_field("legal_sender_name", autocomplete="organization")
    legal_postal_address = _model_field("legal_postal_address", autocomplete="street-address")
    legal_contact = _model_field("legal_contact", spellcheck="false")
    send_rate_per_second = forms.IntegerField(
        label=capfirst(Tenant._meta.get_field("send_rate_per_second").verbose_name),
        widget=forms.NumberInput(attrs={"min": SEND_RATE_MIN, "max": SEND_RATE_MAX}),
        help_text=_("From 1 to 1,000. Keep it within your mail provider's sending quota."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["legal_sender_name"].help_text = _("Your company's name, as recipients should see it.")
        self.fields["legal_postal_address"].help_text = _("Postal code and full address of your company.")
        self.fields["legal_contact"].help_text = _(
            "An email address or a web page (http:// or https://) where recipients can send inquiries and complaints."
        )
