from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Tenant
from campaigns.default_body import DEFAULT_BODY_HTML
from campaigns.widgets import RichTextEditor
from templates_app import services
from templates_app.models import EmailTemplate


class EmailTemplateForm(forms.ModelForm):
    """Input only; every rule is templates_app.services.template_problems, shown beside its field."""

    class Meta:
        model = EmailTemplate
        fields = ["name", "subject", "body_html"]
        labels = {"name": _("Template name"), "subject": _("Subject"), "body_html": _("Body")}
        help_texts = {
            "name": _("Shown only to your team, when a campaign applies a template."),
            "subject": _("Merge tags such as {{CompanyName}} can be used."),
            "body_html": _(
                "Merge tags are replaced for each recipient: {{CompanyName}}, {{FullName}} (last name first), "
                "{{LastName}}, {{FirstName}}; add a fallback after a bar, as in {{LastName|ご担当者}}. "
                "A campaign is sent only with the unsubscribe tag {{Unsubscribe:メールの配信停止はこちら}}, "
                "so keep it in the template."
            ),
        }
        widgets = {"body_html": RichTextEditor(attrs={"rows": 14})}
        error_messages = {"name": {"required": _("Enter a name for the template.")}}

    def __init__(self, *args, tenant: Tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        if not self.instance.pk:
            self.fields["body_html"].initial = DEFAULT_BODY_HTML

    def _post_clean(self):
        """No model validation: template_problems (in clean) holds every rule, the services save."""

    def clean(self):
        cleaned = super().clean()
        problems = services.template_problems(
            self.tenant,
            name=cleaned.get("name", ""),
            subject=cleaned.get("subject", ""),
            body_html=cleaned.get("body_html", ""),
            template=self.instance,
        )
        for field, messages in problems.items():
            if field in self.errors:
                continue  # a missing or too long value is reported once, as the field found it
            for message in messages:
                self.add_error(field, message)
        return cleaned

    def template_fields(self) -> dict[str, str]:
        return {field: self.cleaned_data[field] for field in self.Meta.fields}
