"""`make faults`: `python -m tests.faults.run [drill ...]` runs the fault drills, one JSON line per result.

Drills (all when none is named): worker_kills, redis_restart, postgres_restart, postgres_and_workers_crash,
provider_failures, provider_lost_replies, provider_outage, provider_hangs, tracking_postgres_restart,
tracking_redis_restart. The runner starts a PostgreSQL cluster (initdb into a temporary directory) and a
redis-server of its own on free ports (FAULTS_PG_PORT, FAULTS_REDIS_PORT to choose), migrates, runs the
drills and removes it all; the directory with every process's log is kept when a drill fails (or with
FAULTS_KEEP=1). The exit status is 1 when any drill broke a promise.

The sweeper's timings are shortened so a crash is mended in seconds, not minutes; each is an
environment variable of config/settings.py and may be overridden (DRILL_SETTINGS below).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import django
import pytest

from tests.faults.servers import OwnPostgres, OwnRedis, free_port

DRILL_NAMES = (
    "worker_kills",
    "redis_restart",
    "postgres_restart",
    "postgres_and_workers_crash",
    "provider_failures",
    "provider_lost_replies",
    "provider_outage",
    "provider_hangs",
    "tracking_postgres_restart",
    "tracking_redis_restart",
)
DRILL_SETTINGS = {
    "SENDING_SWEEP_SECONDS": "2",  # beat runs the sweeper this often
    "SENDING_STALL_SECONDS": "5",  # a campaign with no batch for this long gets its chains again
    "SENDING_CLAIM_TIMEOUT": "10",  # a dead worker's claimed, never handed over mails go back to pending
    "SENDING_HANDOVER_TIMEOUT": "10",  # ... and the one it was handing over becomes unknown
    "SENDING_RETRY_BASE_SECONDS": "1",  # temporary provider errors: retried after 1 s, 4 s, 16 s ...
    "SENDING_RATE_PER_DOMAIN": "1000000",  # the tenant's rate is what paces a drill
    "EMAIL_TIMEOUT": "5",  # seconds a worker waits for an SMTP answer (provider_hangs)
}


def drills() -> dict[str, Callable]:
    """Imported after django.setup()."""
    from tests.faults.sending_drills import (
        drill_postgres_and_workers_crash,
        drill_postgres_restart,
        drill_provider_failures,
        drill_provider_hangs,
        drill_provider_lost_replies,
        drill_provider_outage,
        drill_redis_restart,
        drill_worker_kills,
    )
    from tests.faults.tracking_drill import drill_tracking_postgres_restart, drill_tracking_redis_restart

    return {
        "worker_kills": drill_worker_kills,
        "redis_restart": drill_redis_restart,
        "postgres_restart": drill_postgres_restart,
        "postgres_and_workers_crash": drill_postgres_and_workers_crash,
        "provider_failures": drill_provider_failures,
        "provider_lost_replies": drill_provider_lost_replies,
        "provider_outage": drill_provider_outage,
        "provider_hangs": drill_provider_hangs,
        "tracking_postgres_restart": drill_tracking_postgres_restart,
        "tracking_redis_restart": drill_tracking_redis_restart,
    }


def environment(postgres: OwnPostgres, redis: OwnRedis, root: Path) -> dict[str, str]:
    """This process's environment for the drills; every process they start inherits it."""
    env = {key: os.environ.get(key, value) for key, value in DRILL_SETTINGS.items()}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": postgres.url,
        "REDIS_URL": redis.url,
        "OKURU_VAR_DIR": str(root / "var"),
        "DEBUG": "0",
        "ESP": "",
        "PYTHONUNBUFFERED": "1",
    }


def _results(outcome: dict | Iterable[dict]) -> Iterator[dict]:
    if isinstance(outcome, dict):
        yield outcome
    else:
        yield from outcome


def run_drills(names: list[str], root: Path) -> bool:
    """Starts the servers, runs the named drills, prints their lines; True when all held."""
    postgres = OwnPostgres(root, int(os.environ.get("FAULTS_PG_PORT") or free_port()))
    redis = OwnRedis(root, int(os.environ.get("FAULTS_REDIS_PORT") or free_port()))
    try:
        postgres.create()
        redis.start()
        env = environment(postgres, redis, root)
        os.environ.update(env)
        django.setup()
        from django.core.management import call_command

        from tests.faults.sending_drills import Stack

        call_command("migrate", verbosity=0)
        print(json.dumps({"drill": "setup", **{key: env[key] for key in DRILL_SETTINGS}}), flush=True)
        stack = Stack(postgres, redis, dict(os.environ), root / "logs")
        available = drills()
        passed = True
        for name in names:
            try:
                for result in _results(available[name](stack)):
                    print(json.dumps(result, ensure_ascii=False), flush=True)
                    passed = passed and result["ok"]
            except (Exception, pytest.fail.Exception) as error:  # one broken drill must not hide the others' counts
                traceback.print_exc()
                print(json.dumps({"drill": name, "ok": False, "error": repr(error)}, ensure_ascii=False), flush=True)
                passed = False
        return passed
    finally:
        redis.shut_down()
        postgres.shut_down()


def main(argv: list[str]) -> int:
    unknown = sorted(set(argv) - set(DRILL_NAMES))
    if unknown:
        print(f"unknown drill(s) {unknown}; known: {', '.join(DRILL_NAMES)}", file=sys.stderr)
        return 2
    root = Path(tempfile.mkdtemp(prefix="okuru-faults-"))
    root.chmod(0o755)  # the postgres user (as root) must reach its data directory inside
    passed = False
    try:
        passed = run_drills(argv or list(DRILL_NAMES), root)
    finally:
        if passed and os.environ.get("FAULTS_KEEP") != "1":
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"fault drill logs kept in {root}", file=sys.stderr)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
