"""The drills' own PostgreSQL cluster and redis-server: started, crashed and restarted at will.

Both live in the drills' temporary directory on ports of their own, with their default durability
settings (fsync, synchronous_commit; Redis' RDB snapshots), so what survives a crash here survives one
in production. PostgreSQL refuses to run as root: as root its commands run as the `postgres` user.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis

PG_BIN = Path(os.environ.get("FAULTS_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "postgres"
DATABASE = "okuru_faults"
READY_TIMEOUT = 30.0


def free_port() -> int:
    """A port of 127.0.0.1 nobody listens on now (the server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", PG_USER, "--", *command]


def _run(command: list[str]) -> None:
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)


class OwnPostgres:
    def __init__(self, root: Path, port: int):
        self.root = root
        self.port = port
        self.data = root / "pgdata"
        self.sockets = root / "pgsock"
        self.log = root / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgres://{PG_USER}@127.0.0.1:{self.port}/{DATABASE}"

    def create(self) -> None:
        """initdb, start, and an empty database."""
        self.data.mkdir()
        self.sockets.mkdir()
        if os.geteuid() == 0:
            for path in (self.data, self.sockets):
                shutil.chown(path, PG_USER, PG_USER)
            self.log.touch()
            shutil.chown(self.log, PG_USER, PG_USER)
        _run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", PG_USER, "--auth=trust", "-E", "UTF8"]))
        self.start()
        _run(_as_postgres([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_USER, DATABASE]))

    def start(self) -> None:
        options = f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1"
        pg_ctl = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w"]
        _run(_as_postgres([*pg_ctl, "-t", str(int(READY_TIMEOUT)), "start"]))

    def stop(self, mode: str = "fast") -> None:
        """`fast`: sessions ended, a clean shutdown; `immediate`: a crash (recovery at the next start)."""
        _run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]))

    def restart(self, mode: str, down_seconds: float) -> float:
        """Stop (`mode`), stay down `down_seconds`, start; the seconds it did not answer."""
        started = time.monotonic()
        self.stop(mode)
        time.sleep(down_seconds)
        self.start()
        return time.monotonic() - started

    def shut_down(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.SubprocessError):
                self.stop("immediate")


class OwnRedis:
    def __init__(self, root: Path, port: int):
        self.port = port
        self.directory = root / "redis"
        self.directory.mkdir()
        self.log = root / "redis.log"
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory)]
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            with contextlib.suppress(redis.ConnectionError, redis.BusyLoadingError):
                if client.ping():
                    client.close()
                    return
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start, see {self.log}")
            time.sleep(0.05)

    def stop(self, *, crash: bool) -> None:
        """crash: SIGKILL, everything since the last snapshot is gone (queued and unacknowledged tasks);
        else SHUTDOWN, which saves a snapshot that the next start loads."""
        if self._process is None or self._process.poll() is not None:
            return
        if crash:
            self._process.send_signal(signal.SIGKILL)
        else:
            with contextlib.suppress(redis.ConnectionError):
                redis.Redis.from_url(self.url).shutdown(save=True)
        self._process.wait(READY_TIMEOUT)

    def restart(self, *, crash: bool, down_seconds: float) -> float:
        started = time.monotonic()
        self.stop(crash=crash)
        time.sleep(down_seconds)
        self.start()
        return time.monotonic() - started

    def shut_down(self) -> None:
        self.stop(crash=True)
