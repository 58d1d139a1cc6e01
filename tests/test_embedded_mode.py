"""The embedded default of `make run`: no DATABASE_URL, no REDIS_URL — SQLite and the filesystem broker in
the var folder — and still a campaign goes out through a real worker into the catcher that Procfile.dev's
`mail` line starts (S5, ARCHITECTURE)."""

import contextlib
import os
import re
import shlex
import smtplib
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from tests.mail_catcher import HOST, MailCatcher

PYTHON = sys.executable
CELERY = str(Path(sys.executable).with_name("celery"))


@contextlib.contextmanager
def procfile_catcher(directory: Path):
    """The catcher as `make run` starts it (Procfile.dev's `mail` line), on a free port and into `directory`."""
    [line] = [
        line for line in (settings.BASE_DIR / "Procfile.dev").read_text().splitlines() if line.startswith("mail:")
    ]
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    replacements = {"python": PYTHON, "127.0.0.1:1025": f"{HOST}:{port}", "var/outbox": str(directory)}
    command = [replacements.get(word, word) for word in shlex.split(line.removeprefix("mail:"))]
    process = subprocess.Popen(command, cwd=settings.BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError):
                with smtplib.SMTP(HOST, port, timeout=5) as smtp:
                    smtp.ehlo()
                    offers_pipelining = smtp.has_extn("pipelining")
                break
            assert process.poll() is None and time.monotonic() < deadline, process.stderr.read().decode()
            time.sleep(0.2)
        assert offers_pipelining  # as Postfix and the providers' relays: the sender's pipelined path runs locally
        yield MailCatcher(HOST, port, directory, handler=None)
    finally:
        process.terminate()
        process.wait(timeout=15)


def embedded_env(var_dir: Path, mail_catcher) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(mail_catcher.env())
    env.update(OKURU_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="config.settings", SENDING_RATE_PER_DOMAIN="1000")
    for folder in ("broker/out", "broker/processed", "imports"):
        (var_dir / folder).mkdir(parents=True, exist_ok=True)
    return env


def manage(env, *arguments: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *arguments], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def demo_campaign_state(database: Path) -> tuple[str, int | None]:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT status, recipients_total FROM campaigns_campaign").fetchone()


TRACKING_SCRIPT = """
from datetime import timedelta
from django.db.models import Sum
from django.test import Client
from django.utils import timezone
from campaigns.models import Message
from tracking.models import CampaignActivity, LinkActivity
Message.objects.update(sent_at=timezone.now() - timedelta(hours=1))  # read an hour after it was sent
browser = Client(HTTP_HOST="localhost", HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
codes = [browser.get(path).status_code for path in PATHS]
codes.append(browser.post(PATHS[2], {"List-Unsubscribe": "One-Click"}).status_code)
totals = CampaignActivity.objects.aggregate(o=Sum("opened"), c=Sum("clicked"), u=Sum("unsubscribed"))
print(codes, totals, LinkActivity.objects.aggregate(n=Sum("clicks"))["n"])
"""


def assert_tracking_records_on_sqlite(env, html: str) -> None:
    """The caught mail's pixel, first link and unsubscribe link, answered and counted by the SQLite database."""
    pixel = re.search(r'src="http://localhost:8000(/t/o/[0-9a-f]{44}\.gif)"', html).group(1)
    link = re.search(r'href="http://localhost:8000(/t/c/[0-9a-f]{44}/1/)"', html).group(1)
    unsubscribe = re.search(r'href="http://localhost:8000(/u/[0-9a-f]{44}/)"', html).group(1)
    output = manage(env, "shell", "-c", f"PATHS = {[pixel, link, unsubscribe]!r}" + TRACKING_SCRIPT)
    assert output.strip().splitlines()[-1] == "[200, 302, 200, 200] {'o': 1, 'c': 1, 'u': 1} 1", output


def test_make_runs_default_process_set_sends_the_demo_campaign(tmp_path):
    with procfile_catcher(tmp_path / "outbox") as mail_catcher:
        sends_the_demo_campaign(tmp_path, mail_catcher)


def sends_the_demo_campaign(tmp_path: Path, mail_catcher: MailCatcher) -> None:
    env = embedded_env(tmp_path, mail_catcher)
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "seed_demo")
    processes = [
        subprocess.Popen(
            [CELERY, "-A", "config", command, "--loglevel=INFO", *extra],
            env=env, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        for command, extra, log in (
            ("worker", ["--concurrency=2"], (tmp_path / "worker.log").open("w")),
            ("beat", [f"--schedule={tmp_path / 'beat-schedule'}"], (tmp_path / "beat.log").open("w")),
        )
    ]  # fmt: skip
    try:
        manage(
            env, "shell", "-c",
            "from campaigns.models import Campaign; from campaigns.services import request_send; "
            "request_send(Campaign.objects.get())",
        )  # fmt: skip
        deadline = time.monotonic() + 90
        while (state := demo_campaign_state(tmp_path / "okuru.sqlite3"))[0] != "sent":
            assert time.monotonic() < deadline, (state, (tmp_path / "worker.log").read_text()[-3000:])
            time.sleep(0.5)
        recipients = state[1]
        assert recipients and recipients > 10
        mails = mail_catcher.wait_for(recipients, timeout=30)
        assert len(mails) == recipients
        assert all("【デモ商事】" in mail.subject and "{{" not in mail.subject for mail in mails)
        assert_tracking_records_on_sqlite(env, mails[0].html)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
