"""Test-only Celery tasks: a worker imports them only when started with include=("tests.worker_tasks",).

They prove what the `celery_worker` fixture promises: the worker writes to the *test* database and
sends mail through the SMTP catcher, with the environment the fixture gave it.
"""

from django.core.mail import send_mail

from config.celery import app
from leads.models import Tag


@app.task
def record_ping(tenant_id: int, note: str, to: str = "ping@example.jp") -> None:
    """Tag `note` for the tenant and mail "ping <note>" to `to` from DEFAULT_FROM_EMAIL. Safe to run twice."""
    Tag.objects.get_or_create(tenant_id=tenant_id, name=note)
    send_mail(subject=f"ping {note}", message=f"ping {note} from the worker", from_email=None, recipient_list=[to])
