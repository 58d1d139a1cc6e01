"""Sending end to end through real Celery workers into an SMTP catcher, and the workers' memory.

Set-up: an aiosmtpd catcher on a free port of 127.0.0.1, in this process (its own thread), with a
handler that counts each mail and its bytes and drops it (no Maildir: disk writes would be the
catcher's cost, not ours). It offers PIPELINING, as the `make run` catcher, Postfix and the providers'
relays do, except for the figure without it. Two worker processes, each `celery -A config worker --pool=prefork
--concurrency=1` (a main process and one pool child), on the benchmark's database, the Redis broker
and the catcher (EMAIL_URL), SENDING_RATE_PER_DOMAIN a million, DEBUG off; the tenant's rate is a
million mails per second too. The benchmark runner is not inside a transaction (checked), so what is
created here is committed and the workers see it. The broker queue is purged before and after.

Figures:
- smtp_raw_20k: 20,000 mails built and serialised beforehand (not timed), then sent with smtplib into
  the catcher over one connection per 50 mails (a batch), one process: the ceiling of the catcher. Measured
  right before and right after each end-to-end figure below (`when`), which compares with the mean of the
  two: on a busy or slow machine this figure alone swung by a third between runs minutes apart.
- sending_e2e_20k_smtp: `services.request_send` of a 20,000-recipient campaign (demo leads, 200
  company domains) until the campaign is `sent`: the snapshot in a worker, the batches of both workers,
  every mail through Django's SMTP backend into the catcher, pipelined (MAIL FROM, RCPT TO and DATA in one
  write; raw smtplib does not pipeline). mails_per_s is over the whole wait,
  sending_mails_per_s from the campaign's started_at to finished_at. Goal: >= 80 % of smtp_raw_20k (the mean
  of the two around it).
  Also each worker process's peak RSS (VmHWM in /proc, read before the workers are stopped) and the CPU
  time per mail of the workers (every process) and of this process (the catcher's thread and the polling).
- sending_e2e_20k_smtp_without_pipelining: the same with another 20,000-recipient campaign while the catcher
  does not offer PIPELINING, so the sender waits for each command's answer as smtplib does.
- sending_e2e_20k_smtp_concurrency_2: the same with another 20,000-recipient campaign and two pool children
  in each of the two workers, as `make run` starts its worker (Procfile.dev): four processes sending,
  filling the cores while the others wait for the catcher or PostgreSQL.
- worker_peak_rss_100k: the same with 100,000 recipients and EMAIL_BACKEND = the null provider
  (tests.bench.null_email_backend: serialises each mail and drops it), VmHWM of each worker process.
  Goal: <= 150 MB per process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import smtplib
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection

from campaigns import services
from campaigns.mail_message import Envelope, build_email
from campaigns.models import Campaign, CampaignStatus, Message
from campaigns.outbox_catcher import OffersPipelining
from campaigns.rendering import LegalFooter, Recipient, compile_campaign
from leads.models import Lead
from tests.bench.bench_sending_pipeline import NULL_BACKEND, UNTHROTTLED
from tests.bench.bench_snapshot import drop_tenant, sending_world
from tests.celery_worker import (
    STOP_TIMEOUT,
    WorkerProcess,
    _end_worker_db_sessions,
    purge_celery_queue,
    worker_database_url,
)
from tests.mail_catcher import HOST, _FreePortController

E2E_RECIPIENTS = 20_000
RSS_RECIPIENTS = 100_000
WORKERS = 2
SMTP_BATCH = 50  # mails per SMTP connection in the raw figure, as SENDING_BATCH_SIZE is per batch
SEND_TIMEOUT = 900  # seconds a campaign may take before the benchmark gives up


class CountingHandler(OffersPipelining):
    """aiosmtpd handler: counts the mails and their bytes, keeps nothing."""

    def __init__(self) -> None:
        self.count = 0
        self.bytes = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        self.count += 1
        self.bytes += len(envelope.original_content or b"")
        return "250 Message accepted"


@contextlib.contextmanager
def smtp_catcher() -> Iterator[tuple[CountingHandler, int]]:
    handler = CountingHandler()
    controller = _FreePortController(handler, hostname=HOST, port=0, server_hostname="bench-catcher", ready_timeout=10)
    smtp_log = logging.getLogger("mail.log")  # aiosmtpd logs every SMTP command at INFO
    level = smtp_log.level
    smtp_log.setLevel(logging.WARNING)
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()
        smtp_log.setLevel(level)


def vm_hwm_mb(pid: int) -> float:
    """Peak resident set size of a live process, from /proc/<pid>/status (VmHWM, in kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a live process has used, from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # from field 3 (state) on
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def celery_workers(env: dict[str, str], log_dir: Path, *, concurrency: int = 1) -> Iterator[list[WorkerProcess]]:
    """WORKERS worker processes (prefork, `concurrency` pool children each), ready; stopped (TERM, then KILL)
    at the end."""
    base_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "ESP": "",
        "DEBUG": "0",
        "SENDING_RATE_PER_DOMAIN": str(UNTHROTTLED),
        **env,
    }
    celery = Path(sys.executable).with_name("celery")
    workers = []
    for number in range(WORKERS):
        token = uuid.uuid4().hex[:8]
        command = [
            str(celery), "-A", "config", "worker", "--loglevel=INFO", f"--concurrency={concurrency}", "--pool=prefork",
            "-n", f"bench-{token}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        workers.append(
            WorkerProcess(
                name=f"bench-{token}@{socket.gethostname()}",
                command=command,
                env=base_env,
                cwd=Path(settings.BASE_DIR),
                log_path=log_dir / f"worker-{number + 1}.log",
            )
        )
    try:
        for worker in workers:
            worker.start()
        yield workers
    finally:
        for worker in workers:  # all at once: each warm shutdown takes seconds
            worker._request_stop()
        deadline = time.monotonic() + STOP_TIMEOUT
        for worker in workers:
            worker._wait_stopped(max(0.0, deadline - time.monotonic()))


def worker_processes(workers: list[WorkerProcess]) -> dict[str, int]:
    """Every live process of every worker by role: worker1_main, worker1_child, ... -> pid."""
    roles = {}
    for number, worker in enumerate(workers, start=1):
        children = [pid for pid in sorted(worker.processes()) if pid != worker.pid]
        roles[f"worker{number}_main"] = worker.pid
        for position, pid in enumerate(children, start=1):
            roles[f"worker{number}_child" + ("" if position == 1 else str(position))] = pid
    return roles


def worker_memory(workers: list[WorkerProcess]) -> dict[str, float]:
    """VmHWM (peak RSS) in MB of every process of every worker."""
    return {role: vm_hwm_mb(pid) for role, pid in worker_processes(workers).items()}


def worker_cpu(workers: list[WorkerProcess]) -> float:
    """CPU seconds used so far by every process of every worker together."""
    return sum(cpu_seconds(pid) for pid in worker_processes(workers).values())


def own_cpu() -> float:
    """CPU seconds of this process (the catcher's thread and the polling)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def send_and_wait(
    campaign: Campaign, workers: list[WorkerProcess], timeout: float = SEND_TIMEOUT
) -> tuple[Campaign, float]:
    """request_send, then poll until the campaign is sent (or `timeout` seconds); (the campaign, seconds waited)."""
    started = time.perf_counter()
    services.request_send(campaign)  # not in a transaction: the start task is queued at once
    while True:
        status = Campaign.objects.values_list("status", flat=True).get(pk=campaign.pk)
        if status == CampaignStatus.SENT:
            seconds = time.perf_counter() - started
            campaign.refresh_from_db()
            return campaign, seconds
        if status not in (CampaignStatus.QUEUED, CampaignStatus.SENDING):
            raise RuntimeError(f"the campaign is {status}: {campaign.status_note}")
        stopped = [worker for worker in workers if not worker.is_running]
        if stopped or time.perf_counter() - started > timeout:
            logs = "\n".join(worker.log_tail() for worker in workers)
            raise RuntimeError(f"the campaign is still {status} after {time.perf_counter() - started:.0f} s\n{logs}")
        time.sleep(0.1)


def prebuilt_mails(campaign: Campaign) -> list[tuple[str, str, bytes]]:
    """The campaign's mails to every lead of its list as the sender builds them: (from, to, MIME bytes)."""
    campaign = Campaign.objects.select_related("tenant").get(pk=campaign.pk)
    compiled = compile_campaign(
        subject=campaign.subject, body_html=campaign.body_html, footer=LegalFooter.of_tenant(campaign.tenant)
    )
    envelope = Envelope.of_campaign(campaign)
    leads = Lead.objects.filter(tenant=campaign.tenant).order_by("id")
    mails = []
    for number, lead in enumerate(leads.iterator(chunk_size=5000)):
        rendered = compiled.render(Recipient(lead.company_name, lead.last_name, lead.first_name), f"{number:064x}")
        email = build_email(envelope, rendered, lead.email)
        mails.append((campaign.from_email, lead.email, email.message().as_bytes(linesep="\r\n")))
    return mails


def send_raw(mails: list[tuple[str, str, bytes]], port: int) -> float:
    """smtplib into the catcher, one connection per SMTP_BATCH mails; seconds."""
    started = time.perf_counter()
    for first in range(0, len(mails), SMTP_BATCH):
        with smtplib.SMTP(HOST, port, timeout=30) as smtp:
            for sender, recipient, data in mails[first : first + SMTP_BATCH]:
                smtp.sendmail(sender, [recipient], data)
    return time.perf_counter() - started


def wait_for_count(handler: CountingHandler, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while handler.count < count and time.monotonic() < deadline:
        time.sleep(0.05)


def run() -> Iterator[dict]:
    if connection.in_atomic_block or not connection.get_autocommit():
        raise RuntimeError("the benchmark runner is inside a transaction: the workers would not see the data")
    if not settings.REDIS_URL:
        raise RuntimeError("the end-to-end benchmark needs the Redis broker (REDIS_URL)")
    purge_celery_queue()
    try:
        with tempfile.TemporaryDirectory(prefix="okuru-bench-workers-") as log_dir:
            yield from _smtp_figures(Path(log_dir))
            yield from _memory_figure(Path(log_dir))
    finally:
        purge_celery_queue()
        _end_worker_db_sessions()


def _smtp_figures(log_dir: Path) -> Iterator[dict]:
    world = sending_world("送信E2E株式会社", E2E_RECIPIENTS, seed=31, exclusions=False)
    try:
        with smtp_catcher() as (handler, port):
            mails = prebuilt_mails(world.campaign)
            for seed, (concurrency, pipelining) in enumerate(((1, True), (1, False), (2, True)), start=31):
                if world is None:  # a fresh campaign and leads, as the previous figure's are sent
                    world = sending_world("送信E2E株式会社", E2E_RECIPIENTS, seed=seed, exclusions=False)
                handler.pipelining = pipelining
                figure = "sending_e2e_20k_smtp" + ("" if pipelining else "_without_pipelining")
                figure += "" if concurrency == 1 else f"_concurrency_{concurrency}"
                raw_before = _raw_figure(mails, handler, port, when=f"before {figure}")
                sent = _sent_through_workers(world, handler, port, log_dir, figure, concurrency)
                raw_after = _raw_figure(mails, handler, port, when=f"after {figure}")
                yield raw_before
                yield raw_after
                yield _compared_with_raw(sent, raw_before["mails_per_s"], raw_after["mails_per_s"])
                drop_tenant(world.tenant)
                world = None
    finally:
        if world is not None:
            drop_tenant(world.tenant)


def _raw_figure(mails: list[tuple[str, str, bytes]], handler: CountingHandler, port: int, *, when: str) -> dict:
    caught_before, bytes_before = handler.count, handler.bytes
    own_before, load = own_cpu(), os.getloadavg()[0]
    raw_seconds = send_raw(mails, port)
    own = own_cpu() - own_before
    wait_for_count(handler, caught_before + len(mails))
    return {
        "figure": "smtp_raw_20k",
        "when": when,
        "mails": len(mails),
        "caught": handler.count - caught_before,
        "mb_caught": round((handler.bytes - bytes_before) / 1024 / 1024, 1),
        "seconds": round(raw_seconds, 2),
        "mails_per_s": round(len(mails) / raw_seconds),
        "mails_per_connection": SMTP_BATCH,
        "cpu_ms_per_mail": round(own * 1000 / len(mails), 2),
        "load_average_before": round(load, 2),
        "catcher": "aiosmtpd in this process, a handler that counts and drops",
    }


def _sent_through_workers(
    world, handler: CountingHandler, port: int, log_dir: Path, figure: str, concurrency: int
) -> dict:
    caught_before = handler.count
    with celery_workers({"EMAIL_URL": f"smtp://{HOST}:{port}"}, log_dir, concurrency=concurrency) as workers:
        cpu_before, own_before, load = worker_cpu(workers), own_cpu(), os.getloadavg()[0]
        campaign, seconds = send_and_wait(world.campaign, workers)
        memory = worker_memory(workers)
        cpu, own = worker_cpu(workers) - cpu_before, own_cpu() - own_before
    sent = Message.objects.filter(campaign=campaign, status="sent").count()
    wait_for_count(handler, caught_before + sent)
    rate = sent / seconds
    sending_seconds = (campaign.finished_at - campaign.started_at).total_seconds()
    return {
        "figure": figure,
        "recipients": campaign.recipients_total,
        "sent": sent,
        "caught": handler.count - caught_before,
        "seconds": round(seconds, 2),
        "mails_per_s": round(rate),
        "sending_mails_per_s": round(sent / sending_seconds),
        "workers": f"{WORKERS} processes x prefork concurrency {concurrency}",
        "catcher_offers_pipelining": handler.pipelining,
        "batch_size": settings.SENDING_BATCH_SIZE,
        "parallel_batches": settings.SENDING_PARALLEL_BATCHES,
        "peak_rss_mb": memory,
        "workers_cpu_ms_per_mail": round(cpu * 1000 / sent, 2),
        "bench_process_cpu_ms_per_mail": round(own * 1000 / sent, 2),
        "load_average_before": round(load, 2),
        "cpus": os.cpu_count(),
    }


def _compared_with_raw(sent: dict, raw_before: float, raw_after: float) -> dict:
    """The end-to-end figure with the raw rate measured right before and right after it, and its ratio to
    their mean (the raw rate alone swung by a third between runs minutes apart on a busy or slow machine)."""
    raw = (raw_before + raw_after) / 2
    figures = {"raw_smtp_mails_per_s": round(raw), "raw_smtp_before_and_after": [raw_before, raw_after]}
    return {**sent, **figures, "ratio_to_raw_smtp": round(sent["sent"] / sent["seconds"] / raw, 3), "goal_ratio": 0.8}


def _memory_figure(log_dir: Path) -> Iterator[dict]:
    world = sending_world("送信メモリ株式会社", RSS_RECIPIENTS, seed=41, exclusions=False)
    try:
        with celery_workers({"EMAIL_BACKEND": NULL_BACKEND}, log_dir) as workers:
            at_start = worker_memory(workers)
            cpu_before, load = worker_cpu(workers), os.getloadavg()[0]
            campaign, seconds = send_and_wait(world.campaign, workers)
            memory = worker_memory(workers)
            cpu = worker_cpu(workers) - cpu_before
        sent = Message.objects.filter(campaign=campaign, status="sent").count()
        yield {
            "figure": "worker_peak_rss_100k",
            "recipients": campaign.recipients_total,
            "sent": sent,
            "seconds": round(seconds, 2),
            "mails_per_s": round(sent / seconds),
            "email_backend": NULL_BACKEND,
            "workers": f"{WORKERS} processes x prefork concurrency 1",
            "peak_rss_mb": memory,
            "peak_rss_when_ready_mb": at_start,
            "max_peak_rss_mb": max(memory.values()),
            "workers_cpu_ms_per_mail": round(cpu * 1000 / sent, 2),
            "load_average_before": round(load, 2),
            "goal_mb": 150,
        }
    finally:
        drop_tenant(world.tenant)
