from django.urls import path

from accounts.settings_api import MailSettingsView

urlpatterns = [
    path("settings/mail/", MailSettingsView.as_view(), name="mail-settings"),
]
