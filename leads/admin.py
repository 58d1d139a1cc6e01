from django.contrib import admin

from leads.models import Lead, LeadList, Suppression


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ["email", "company_name", "last_name", "first_name", "tenant", "status"]
    list_filter = ["tenant", "status"]
    search_fields = ["email_normalized", "company_name", "last_name"]
    raw_id_fields = ["owner", "tags"]


@admin.register(LeadList)
class LeadListAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant", "updated_at"]
    list_filter = ["tenant"]


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["email_normalized", "reason", "source", "tenant", "created_at"]
    list_filter = ["tenant", "reason"]
    search_fields = ["email_normalized"]
