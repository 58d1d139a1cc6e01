from django.contrib import admin

from campaigns.body_html import clean_body_html
from templates_app.models import EmailTemplate


@admin.register(EmailTemplate)
class EmailTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant", "subject", "updated_at"]
    list_filter = ["tenant"]
    search_fields = ["name", "subject"]
    raw_id_fields = ["tenant", "created_by"]

    def save_model(self, request, obj, form, change):
        obj.body_html = clean_body_html(obj.body_html)  # bodies are stored cleaned, whoever edits them
        super().save_model(request, obj, form, change)
