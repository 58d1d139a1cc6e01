from django.urls import path

from accounts import settings_views

app_name = "settings"
urlpatterns = [
    path("mail/", settings_views.mail_settings, name="mail"),
    path("mail/domains/", settings_views.mail_domain_add, name="mail_domain_add"),
    path("mail/domains/<int:domain_id>/delete/", settings_views.mail_domain_delete, name="mail_domain_delete"),
]
