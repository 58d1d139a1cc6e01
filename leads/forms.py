from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Tenant, User
from leads.addresses import is_valid_email, normalize_email
from leads.models import Lead, Tag
from leads.services import parse_tag_names

TAG_MAX_LENGTH = Tag._meta.get_field("name").max_length


class LeadForm(forms.ModelForm):
    tags_text = forms.CharField(
        label=_("Tags"), required=False, help_text=_("Separate tags with a semicolon (;)."), max_length=1000
    )

    class Meta:
        model = Lead
        fields = [
            "company_name",
            "last_name",
            "first_name",
            "email",
            "phone",
            "department",
            "title",
            "industry",
            "prefecture",
            "employees",
            "website",
            "status",
            "owner",
        ]
        widgets = {"email": forms.EmailInput()}

    def __init__(self, *args, tenant: Tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.for_tenant(tenant).filter(is_active=True)
        self.fields["owner"].label_from_instance = lambda user: user.display_name
        if self.instance.pk:
            self.fields["tags_text"].initial = "; ".join(tag.name for tag in self.instance.tags.all())

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if not is_valid_email(normalize_email(email)):
            raise forms.ValidationError(_("Enter a valid email address."))
        return email

    def clean_tags_text(self) -> list[str]:
        raw = self.cleaned_data["tags_text"]
        too_long = [name for name in parse_tag_names(raw, limit=None) if len(name) > TAG_MAX_LENGTH]
        if too_long:  # never cut silently: the tag is refused with its beginning shown
            raise forms.ValidationError(
                _("A tag can have at most %(max)s characters: “%(tag)s…” has %(length)s.")
                % {"max": TAG_MAX_LENGTH, "tag": too_long[0][:20], "length": len(too_long[0])}
            )
        return parse_tag_names(raw)

    def lead_fields(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["tags"] = self.cleaned_data["tags_text"]
        return data
