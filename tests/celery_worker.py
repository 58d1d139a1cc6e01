"""A real Celery worker process for tests: `celery -A config worker` on the test database, Redis and the catcher.

Registered for every test through `pytest_plugins` in tests/conftest.py. The architecture's rule: a test
that claims to test delivery runs the real worker, never `task_always_eager`. The worker is another
process, so the test must commit what it wants the worker to see: use `django_db(transaction=True)`.

    pytestmark = pytest.mark.django_db(transaction=True)

    def test_send(celery_worker, mail_catcher, tenant_a):
        some_task.delay(...)
        celery_worker.wait_until(lambda: Message.objects.filter(status="sent").count() == 10)
        mail_catcher.wait_for(10)

    def test_crash(start_celery_worker):
        worker = start_celery_worker(concurrency=2, include=("tests.worker_tasks",))
        worker.kill()   # SIGKILL to the whole process group, like a machine losing power
        worker.start()  # a new worker process under the same node name

    @pytest.mark.worker_env(ANYMAIL_TEST="1", ESP="test")  # extra environment for every worker of the test
    def test_with_other_settings(celery_worker): ...

The worker's environment is this process's, plus DATABASE_URL of the *test* database, REDIS_URL,
`mail_catcher.env()` (EMAIL_URL, OUTBOX_DIR, ESP=""), DJANGO_SETTINGS_MODULE, then the `worker_env`
marker (closest marker wins; a None value removes the variable), then `env=` of `start_celery_worker`.

The broker queue is purged before the first worker starts and after the test, so tasks of one test never
reach another. At teardown every worker is stopped (TERM, SIGKILL after 10 s) before pytest-django
flushes the tables.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import redis
from django.conf import settings
from django.db import connection, connections

from config.celery import app as celery_app

READY_TIMEOUT = 30  # seconds a worker may take to log "ready." (it takes about one)
STOP_TIMEOUT = 10  # seconds a warm shutdown may take before the worker is killed
LOG_TAIL_LINES = 60
# The worker's database sessions carry this name, so teardown can find any left behind.
APPLICATION_NAME = "okuru-test-celery-worker"
# kombu's Redis transport keeps delivered-but-unacknowledged messages (acks_late) here until they are
# acknowledged, or redelivers them after the visibility timeout (an hour): a message a killed worker
# held would otherwise come back in some later test.
REDIS_UNACKED_KEYS = ("unacked", "unacked_index")


def purge_celery_queue() -> int:
    """Drop every message waiting in the broker's Celery queue (and those a killed worker left unacked).

    Returns how many waiting messages were purged.
    """
    purged = celery_app.control.purge() or 0
    if settings.REDIS_URL:
        client = redis.Redis.from_url(settings.REDIS_URL)
        try:
            client.delete(*REDIS_UNACKED_KEYS)
        finally:
            client.close()
    return purged


def worker_database_url() -> str:
    """DATABASE_URL (django-environ's form) of the database this test process uses: the *test* database."""
    db = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.fail(f"a Celery worker needs the PostgreSQL test database (DATABASE_URL), not {connection.vendor}")
    credentials = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db.get("HOST") or "", safe="")  # a socket directory becomes %2Fvar%2Frun%2Fpostgresql
    port = f":{db['PORT']}" if db.get("PORT") else ""
    at = "@" if credentials else ""
    options = {key: value for key, value in (db.get("OPTIONS") or {}).items() if isinstance(value, str | int)}
    options["application_name"] = APPLICATION_NAME
    return f"postgres://{credentials}{at}{host}{port}/{quote(db['NAME'], safe='')}?{urlencode(options)}"


def _marker_env(request: pytest.FixtureRequest) -> dict[str, str | None]:
    """`@pytest.mark.worker_env(KEY="value")` of the test, its class and module; the closest wins."""
    env: dict[str, str | None] = {}
    for marker in reversed(list(request.node.iter_markers("worker_env"))):
        if marker.args:
            pytest.fail("worker_env takes keyword arguments only: @pytest.mark.worker_env(KEY='value')")
        env.update({key: None if value is None else str(value) for key, value in marker.kwargs.items()})
    return env


def _apply(env: dict[str, str], overrides: Mapping[str, str | None]) -> None:
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)


def stop_process_group(process: subprocess.Popen, timeout: float = STOP_TIMEOUT) -> None:
    """TERM to the process group (graceful), KILL after `timeout` (for a process started in its own group)."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout)


def live_processes_in_group(pgid: int) -> list[int]:
    """Pids of the live (not zombie) processes of a process group."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: ask the kernel whether anything (zombies too) is left
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [pgid]
    members = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # state ppid pgrp ...
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            members.append(int(entry.name))
    return members


class WorkerProcess:
    """One `celery -A config worker` process (with its pool children) in its own process group."""

    def __init__(self, *, name: str, command: Sequence[str], env: Mapping[str, str], cwd: Path, log_path: Path):
        self.name = name  # the node name, e.g. test-1a2b3c4d@myhost: app.control.ping(destination=[name])
        self.command = list(command)
        self.env = dict(env)
        self.cwd = cwd
        self.log_path = log_path
        self.starts = 0
        self._process: subprocess.Popen | None = None

    def __repr__(self) -> str:
        state = f"pid {self.pid}" if self.is_running else "not running"
        return f"<WorkerProcess {self.name} {state}>"

    @property
    def pid(self) -> int | None:
        """The main process's pid of the latest start (None before the first start)."""
        return self._process.pid if self._process else None

    @property
    def returncode(self) -> int | None:
        """Exit status of the latest run (negative: killed by that signal); None while it runs."""
        return self._process.poll() if self._process else None

    @property
    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = READY_TIMEOUT) -> WorkerProcess:
        """Start the worker (again, e.g. after kill()) and wait until it logs "ready."; fails the test if not."""
        if self.is_running:
            raise RuntimeError(f"{self!r} is already running")
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"----- start #{self.starts}: {' '.join(self.command)}\n".encode())
            log.flush()
            offset = log.tell()
            self._process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill() reaches the pool children too
            )
        deadline = time.monotonic() + timeout
        while True:
            if " ready." in self._read_log(offset):
                return self
            if self._process.poll() is not None:
                pytest.fail(
                    f"Celery worker {self.name} exited with {self._process.returncode} before it was ready\n"
                    f"{self.log_tail()}"
                )
            if time.monotonic() >= deadline:
                self.kill()
                pytest.fail(f"Celery worker {self.name} not ready after {timeout}s\n{self.log_tail()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the whole process group now (a crash: no warm shutdown, unacked tasks stay unacked).

        Returns once no process of the group is alive, so nothing of it runs after this.
        """
        if self._process is None:
            return
        pgid = self._process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        self._process.wait()
        self._wait_group_gone(pgid, timeout=5)

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """Warm shutdown (SIGTERM to the main process: running tasks finish); SIGKILL after `timeout` s.

        Returns the exit status (0 after a clean warm shutdown), None if it was never started. A warm
        shutdown of the prefork pool takes Celery about 2.5 s.
        """
        self._request_stop()
        return self._wait_stopped(timeout)

    def processes(self) -> list[int]:
        """Pids of the worker's live processes: the main process and its pool children ([] when stopped)."""
        return live_processes_in_group(self._process.pid) if self._process else []

    def _request_stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._process.pid, signal.SIGTERM)

    def _wait_stopped(self, timeout: float) -> int | None:
        if self._process is None:
            return None
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            with self.log_path.open("ab") as log:
                log.write(f"----- no warm shutdown within {timeout}s: SIGKILL\n".encode())
            self.kill()
        with contextlib.suppress(ProcessLookupError, PermissionError):  # a pool child that outlived its main process
            os.killpg(self._process.pid, signal.SIGKILL)
        self._wait_group_gone(self._process.pid, timeout=5)
        return self._process.returncode

    def log(self) -> str:
        """Everything the worker wrote so far (stdout and stderr, every start)."""
        return self._read_log(0)

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        tail = "\n".join(self.log().splitlines()[-lines:])
        return f"----- last {lines} lines of {self.log_path}:\n{tail}"

    def wait_until(self, predicate: Callable[[], Any], timeout: float = 30, interval: float = 0.1) -> Any:
        """Poll `predicate` until it returns something truthy (returned); fails with the worker's log on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() >= deadline:
                state = "running" if self.is_running else f"NOT running (exit status {self.returncode})"
                pytest.fail(
                    f"waited {timeout}s for {getattr(predicate, '__name__', predicate)}; "
                    f"Celery worker {self.name} is {state}\n{self.log_tail()}"
                )
            time.sleep(interval)

    def _read_log(self, offset: int) -> str:
        try:
            with self.log_path.open("rb") as log:
                log.seek(offset)
                return log.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    @staticmethod
    def _wait_group_gone(pgid: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while live_processes_in_group(pgid) and time.monotonic() < deadline:
            time.sleep(0.02)


def _end_worker_db_sessions(timeout: float = 5) -> None:
    """Wait for the workers' database sessions to end (terminate stragglers), so the test DB can be dropped."""
    sql = (
        "SELECT pid FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = %s AND pid <> pg_backend_pid()"
    )
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, [APPLICATION_NAME])
            pids = [row[0] for row in cursor.fetchall()]
            if not pids:
                return
            if time.monotonic() >= deadline:
                cursor.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s) AS pid", [pids])
                return
            time.sleep(0.05)


@pytest.fixture
def start_celery_worker(request, mail_catcher, transactional_db, tmp_path) -> Iterator[Callable[..., WorkerProcess]]:
    """A factory: `start(concurrency=1, env=None, include=()) -> WorkerProcess`, started and ready.

    `env` adds to (None removes from) the worker's environment; `include` names task modules the worker
    imports besides the project's (`--include`), e.g. ("tests.worker_tasks",). Every worker it started is
    stopped at teardown, which comes before pytest-django's flush of the tables (it needs transactional_db).
    """
    if not settings.REDIS_URL:
        pytest.fail("a Celery worker in tests needs the Redis broker: set REDIS_URL (e.g. redis://127.0.0.1:6379/15)")
    base_env = dict(os.environ)
    _apply(
        base_env,
        {
            "DATABASE_URL": worker_database_url(),
            "REDIS_URL": settings.REDIS_URL,
            **mail_catcher.env(),
            "DJANGO_SETTINGS_MODULE": "config.settings",
        },
    )
    _apply(base_env, _marker_env(request))
    celery = Path(sys.executable).with_name("celery")
    workers: list[WorkerProcess] = []
    purge_celery_queue()

    def start(concurrency: int = 1, env: Mapping[str, str | None] | None = None, include: Sequence[str] = ()):
        token = uuid.uuid4().hex[:8]
        command = [
            str(celery), "-A", "config", "worker", "--loglevel=INFO", f"--concurrency={concurrency}",
            "--pool=prefork", "-n", f"test-{token}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        if include:
            command += ["--include", ",".join(include)]
        worker_env = dict(base_env)
        _apply(worker_env, env or {})
        worker = WorkerProcess(
            name=f"test-{token}@{socket.gethostname()}",  # what celery makes of %h
            command=command,
            env=worker_env,
            cwd=Path(settings.BASE_DIR),
            log_path=tmp_path / f"celery-worker-{len(workers) + 1}-{token}.log",
        )
        workers.append(worker)
        return worker.start()

    yield start

    try:
        for worker in workers:  # all at once: each warm shutdown takes seconds
            worker._request_stop()
        deadline = time.monotonic() + STOP_TIMEOUT
        for worker in workers:
            worker._wait_stopped(max(0.0, deadline - time.monotonic()))
    finally:
        try:
            purge_celery_queue()
        finally:
            _end_worker_db_sessions()
            connections.close_all()


@pytest.fixture
def celery_worker(start_celery_worker) -> WorkerProcess:
    """One running worker with the defaults (concurrency 1, the project's tasks); see `start_celery_worker`."""
    return start_celery_worker()
