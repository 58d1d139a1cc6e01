from django.urls import path

from integrations.salesforce import views as salesforce

app_name = "integrations"
urlpatterns = [
    path("settings/salesforce/", salesforce.salesforce_settings, name="salesforce_settings"),
    path("settings/salesforce/disconnect/", salesforce.salesforce_disconnect, name="salesforce_disconnect"),
    path(
        "integrations/salesforce/campaigns/<int:campaign_id>/retry/",
        salesforce.salesforce_retry,
        name="salesforce_retry",
    ),
]
