"""The fault drills' code runs in `make test`: the provider-failure drill at a small size, as `make faults`
runs it (its own PostgreSQL and Redis, two real workers, beat, the refusing SMTP server).

The full drills, with their sizes and the crashes, are `make faults` (README: Fault drills).
"""

import json
import os
import subprocess
import sys

from django.conf import settings

RECIPIENTS = 200
TIMEOUT = 240  # seconds; it takes about 25 (initdb and migrate are most of it)


def test_provider_failure_drill_passes_at_a_small_size():
    env = {**os.environ, "FAULTS_PROVIDER_RECIPIENTS": str(RECIPIENTS)}
    run = subprocess.run(
        [sys.executable, "-m", "tests.faults.run", "provider_failures"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    lines = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    [result] = [line for line in lines if line["drill"] == "provider_failures"]
    assert run.returncode == 0, f"{result}\n{run.stderr[-3000:]}"
    assert result["ok"] and result["problems"] == []
    assert result["messages"] == RECIPIENTS and result["duplicates"] == 0 and result["lost"] == 0
    planned = result["planned"]
    assert result["transient_sent"] == planned["transient_rcpt"] + planned["transient_data"] > 0
    assert result["permanent_failed_with_reason"] == planned["permanent"] > 0
    assert result["statuses"] == {"failed": planned["permanent"], "sent": RECIPIENTS - planned["permanent"]}
