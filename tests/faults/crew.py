"""The application processes of a drill: `celery -A config worker` processes and `celery -A config beat`.

Workers are the tests' WorkerProcess (tests/celery_worker.py): each in its own process group, so a
SIGKILL takes its pool child too, like a machine losing power. Beat runs the sweeper every
SENDING_SWEEP_SECONDS (the drills shorten it and the timeouts it applies; see run.py).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from tests.celery_worker import STOP_TIMEOUT, WorkerProcess, stop_process_group

CELERY = str(Path(sys.executable).with_name("celery"))


@dataclass
class Crew:
    workers: list[WorkerProcess]
    beat: subprocess.Popen


def new_worker(env: Mapping[str, str], log_dir: Path, number: int) -> WorkerProcess:
    name = f"faults-{number}"
    command = [
        CELERY, "-A", "config", "worker", "--loglevel=INFO", "--concurrency=1", "--pool=prefork",
        "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    return WorkerProcess(
        name=f"{name}@{socket.gethostname()}",
        command=command,
        env=env,
        cwd=Path(settings.BASE_DIR),
        log_path=log_dir / f"{name}.log",
    )


def start_beat(env: Mapping[str, str], log_dir: Path) -> subprocess.Popen:
    command = [CELERY, "-A", "config", "beat", "--loglevel=INFO", "--schedule", str(log_dir / "beat-schedule")]
    with (log_dir / "beat.log").open("ab") as log:
        return subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@contextlib.contextmanager
def crew(env: Mapping[str, str], log_dir: Path, workers: int = 2) -> Iterator[Crew]:
    """`workers` worker processes (prefork, concurrency 1) and beat, running; all stopped at the end."""
    log_dir.mkdir(parents=True, exist_ok=True)
    team = [new_worker(env, log_dir, number) for number in range(1, workers + 1)]
    beat = start_beat(env, log_dir)
    try:
        for worker in team:
            worker.start()
        yield Crew(team, beat)
    finally:
        for worker in team:  # all at once: each warm shutdown takes seconds
            worker._request_stop()
        deadline = time.monotonic() + STOP_TIMEOUT
        for worker in team:
            worker._wait_stopped(max(0.0, deadline - time.monotonic()))
        stop_process_group(beat)
