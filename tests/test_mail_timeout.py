"""SMTP calls time out by default (EMAIL_TIMEOUT, 30 s): a provider that stops answering must not hold a
Celery worker for ever (the provider_hangs fault drill stalled a campaign with two silent connections)."""

import os
import subprocess
import sys

from django.conf import settings


def test_smtp_connections_time_out_by_default():
    env = {key: value for key, value in os.environ.items() if key not in ("EMAIL_TIMEOUT", "ESP", "EMAIL_BACKEND")}
    env["EMAIL_URL"] = "smtp://127.0.0.1:1025"
    probe = (
        "import django; django.setup(); from django.core.mail import get_connection; print(get_connection().timeout)"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=settings.BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert run.stdout.strip() == "30.0"
