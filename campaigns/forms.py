"""The composer's form (C1–C11, in the order of the screen) and the test-send dialog's form (C14)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Tenant
from campaigns.models import Campaign
from campaigns.rules import always_problems
from campaigns.services import EDITABLE_FIELDS
from campaigns.widgets import RichTextEditor
from leads.addresses import is_valid_email, normalize_email, sendable_email
from leads.models import LeadList
from templates_app.models import EmailTemplate

# entered in Asia/Tokyo (the current time zone): the browser's datetime-local field, or typed by hand
DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M"]
DATETIME_LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
SEND_NOW = "now"
SEND_LATER = "scheduled"


class CampaignForm(forms.ModelForm):
    template = forms.ModelChoiceField(
        label=_("Apply a template"),
        queryset=EmailTemplate.objects.none(),
        required=False,
        empty_label=_("Choose a template"),
        help_text=_("Replaces the subject and the body with the template's."),
    )
    delivery = forms.ChoiceField(
        label=_("Delivery"),
        choices=[(SEND_NOW, _("Send now")), (SEND_LATER, _("Schedule"))],
        widget=forms.RadioSelect,
        initial=SEND_NOW,
    )

    class Meta:
        model = Campaign
        fields = list(EDITABLE_FIELDS)
        labels = {
            "name": _("Campaign name"),
            "subject": _("Subject"),
            "body_html": _("Body"),
            "lead_list": _("Recipient list"),
            "from_name": _("Sender name"),
            "from_email": _("Sender address"),
            "reply_to": _("Reply-to address"),
            "no_reply_to": _("No reply-to address"),
            "scheduled_at": _("Date and time to send"),
            "notify_open": _("Notify me when a recipient opens the mail"),
            "notify_click": _("Notify me when a recipient clicks a link"),
            "salesforce_sync": _("Record the send history in Salesforce"),
        }
        help_texts = {
            "name": _("Only you and your colleagues see it; recipients never do."),
            "subject": _("Merge tags such as {{CompanyName}} can be used."),
            "body_html": _(
                "Merge tags are replaced for each recipient: {{CompanyName}}, {{FullName}} (last name first), "
                "{{LastName}}, {{FirstName}}. Add a fallback after a bar, as in {{LastName|ご担当者}}. Keep the "
                "unsubscribe tag {{Unsubscribe:メールの配信停止はこちら}}: a campaign cannot be sent without it."
            ),
            "scheduled_at": _("Japan time. At least 30 minutes from now."),
        }
        widgets = {
            "body_html": RichTextEditor(attrs={"rows": 14}),
            "from_email": forms.EmailInput(),
            "reply_to": forms.EmailInput(),
            "scheduled_at": DATETIME_LOCAL,
        }

    field_order = [
        "name",
        "template",
        "subject",
        "body_html",
        "lead_list",
        "from_name",
        "from_email",
        "reply_to",
        "no_reply_to",
        "delivery",
        "scheduled_at",
        "notify_open",
        "notify_click",
        "salesforce_sync",
    ]

    def __init__(self, *args, tenant: Tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_list"].queryset = LeadList.objects.for_tenant(tenant).order_by("name")
        self.fields["lead_list"].empty_label = _("Choose a list")
        self.fields["template"].queryset = EmailTemplate.objects.for_tenant(tenant).order_by("name")
        self.fields["scheduled_at"].input_formats = DATETIME_INPUT_FORMATS
        if self.instance.scheduled_at:
            self.fields["delivery"].initial = SEND_LATER
        if not hasattr(tenant, "salesforce_connection"):  # C11: offered only once Salesforce is connected
            del self.fields["salesforce_sync"]

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("delivery") != SEND_LATER:
            cleaned["scheduled_at"] = None
        problems = always_problems(
            subject=cleaned.get("subject") or "",
            from_email=(cleaned.get("from_email") or "").strip(),
            reply_to=(cleaned.get("reply_to") or "").strip(),
            from_name=cleaned.get("from_name") or "",
        )
        for field, messages in problems.items():
            for message in messages:
                self.add_error(field, message)
        return cleaned

    def campaign_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.cleaned_data}

    def wants_schedule(self) -> bool:
        return self.cleaned_data.get("delivery") == SEND_LATER


class TestSendForm(forms.Form):
    prefix = "test"

    email = forms.CharField(label=_("Send the test to"), max_length=254, widget=forms.EmailInput())
    company_name = forms.CharField(label=_("Company name"), max_length=200, required=False)
    contact_name = forms.CharField(
        label=_("Contact name"), max_length=200, required=False, help_text=_("Last name first, e.g. 山田 太郎")
    )

    def clean_email(self) -> str:
        """The address in the form it is mailed to (leads.addresses.sendable_email): a full-width address typed
        in Japanese input passes the check on its normalized form, and must be sent in that form too."""
        email = self.cleaned_data["email"]
        if not is_valid_email(normalize_email(email)):
            raise forms.ValidationError(_("Enter a valid email address."))
        return sendable_email(email)


class ScheduleForm(forms.Form):
    scheduled_at = forms.DateTimeField(
        label=_("Date and time to send"),
        input_formats=DATETIME_INPUT_FORMATS,
        widget=DATETIME_LOCAL,
        help_text=_("Japan time. At least 30 minutes from now."),
    )
