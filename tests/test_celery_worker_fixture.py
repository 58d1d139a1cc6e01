"""The `celery_worker` / `start_celery_worker` fixtures run a real worker on the test DB, Redis and the catcher."""

import pytest
import redis
from django.conf import settings

from config.celery import app as celery_app
from leads.models import Tag
from tests.worker_tasks import record_ping

pytestmark = pytest.mark.django_db(transaction=True)

WORKER_TASKS = ("tests.worker_tasks",)


def _tag_exists(tenant, name):
    return lambda: Tag.objects.filter(tenant=tenant, name=name).exists()


def test_worker_writes_to_the_test_database_and_mails_through_the_catcher(
    start_celery_worker, mail_catcher, tenant_a, tenant_b
):
    worker = start_celery_worker(include=WORKER_TASKS)

    record_ping.delay(tenant_a.pk, "worker-ping", to="lead@example.jp")

    worker.wait_until(_tag_exists(tenant_a, "worker-ping"))
    [mail] = mail_catcher.wait_for(1)
    assert mail.subject == "ping worker-ping"
    assert "lead@example.jp" in mail.to
    assert mail.from_ == settings.DEFAULT_FROM_EMAIL
    assert not Tag.objects.filter(tenant=tenant_b).exists()
    assert "tests.worker_tasks.record_ping" in worker.log()  # listed under [tasks], then received


@pytest.mark.worker_env(DEFAULT_FROM_EMAIL="worker-env@okuru.test")
def test_worker_env_marker_reaches_the_worker(start_celery_worker, mail_catcher, tenant_a):
    assert settings.DEFAULT_FROM_EMAIL != "worker-env@okuru.test"  # only the worker's environment changed
    worker = start_celery_worker(include=WORKER_TASKS)

    record_ping.delay(tenant_a.pk, "marker")

    worker.wait_until(_tag_exists(tenant_a, "marker"))
    [mail] = mail_catcher.wait_for(1)
    assert mail.from_ == "worker-env@okuru.test"


def test_celery_worker_answers_a_ping_and_stops_gracefully(celery_worker):
    assert celery_worker.is_running
    assert celery_app.control.ping(destination=[celery_worker.name], timeout=5) == [
        {celery_worker.name: {"ok": "pong"}}
    ]

    assert celery_worker.stop() == 0
    assert not celery_worker.is_running
    assert "Warm shutdown" in celery_worker.log()


def test_a_task_sent_while_the_worker_is_dead_is_processed_after_restart(start_celery_worker, tenant_a):
    worker = start_celery_worker(concurrency=2, include=WORKER_TASKS)
    first_pid = worker.pid
    assert len(worker.processes()) == 3  # the main process and two pool children

    worker.kill()
    assert not worker.is_running
    assert worker.returncode == -9
    assert worker.processes() == []  # the pool children died with it

    record_ping.delay(tenant_a.pk, "while-dead")
    assert not Tag.objects.filter(name="while-dead").exists()

    worker.start()
    assert worker.pid != first_pid
    worker.wait_until(_tag_exists(tenant_a, "while-dead"))
    assert worker.log().count(" ready.") == 2


def test_two_workers_share_the_queue(start_celery_worker, mail_catcher, tenant_a):
    first = start_celery_worker(concurrency=2, include=WORKER_TASKS)
    second = start_celery_worker(include=WORKER_TASKS)
    assert first.name != second.name
    assert "concurrency: 2 (prefork)" in first.log()

    for number in range(6):
        record_ping.delay(tenant_a.pk, f"shared-{number}")

    first.wait_until(lambda: Tag.objects.filter(tenant=tenant_a, name__startswith="shared-").count() == 6)
    assert len(mail_catcher.wait_for(6)) == 6


@pytest.fixture
def stale_task(tenant_a):
    """A task published before the worker fixture sets up (this fixture comes first in the test's arguments)."""
    record_ping.delay(tenant_a.pk, "stale")
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        return client.llen("celery")
    finally:
        client.close()


def test_tasks_of_earlier_tests_are_purged_before_the_worker_starts(stale_task, start_celery_worker, tenant_a):
    assert stale_task == 1  # it was waiting in the queue
    worker = start_celery_worker(include=WORKER_TASKS)

    record_ping.delay(tenant_a.pk, "fresh")

    worker.wait_until(_tag_exists(tenant_a, "fresh"))  # one process, FIFO: a stale task would have run first
    assert not Tag.objects.filter(name="stale").exists()


def test_wait_until_fails_with_the_worker_log(celery_worker):
    def nothing_happens():
        return False

    with pytest.raises(pytest.fail.Exception) as failure:
        celery_worker.wait_until(nothing_happens, timeout=0.2)

    message = str(failure.value)
    assert "waited 0.2s for nothing_happens" in message
    assert f"{celery_worker.name} is running" in message
    assert f"{celery_worker.name} ready." in message  # the log tail


def test_a_worker_that_cannot_start_fails_with_its_log(start_celery_worker):
    with pytest.raises(pytest.fail.Exception) as failure:
        start_celery_worker(env={"DJANGO_SETTINGS_MODULE": "config.no_such_settings"})

    message = str(failure.value)
    assert "exited with" in message and "before it was ready" in message
    assert "no_such_settings" in message
