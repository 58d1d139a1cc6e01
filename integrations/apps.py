from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        # the Celery tasks live next to their integration; autodiscovery only looks at integrations.tasks
        from integrations.salesforce import tasks  # noqa: F401
