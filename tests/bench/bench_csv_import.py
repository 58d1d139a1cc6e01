"""CSV import (L2): a 50,000-row Shift_JIS (CP932) file as Japanese Excel writes it, into a fresh tenant.

Figures: the first import (mostly creates; the demo data repeats some addresses, which update), the
same file again (every row matches a lead, few values differ), and a file in which every lead's
department changed (every row writes). Memory: peak_rss_mb is the process peak, rss_growth_mb how far
the resident size rose above its level before the import while it ran (sampled); it stays flat
however long the file is, because the file is streamed in chunks.
"""

from __future__ import annotations

import csv
import random
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from tests.bench.measure import peak_rss_mb

ROWS = 50_000
HEADER = [
    "会社名",
    "姓",
    "名",
    "メールアドレス",
    "電話番号",
    "部署",
    "役職",
    "業種",
    "都道府県",
    "従業員数",
    "Webサイト",
    "ステータス",
    "タグ",
    "担当者",
]
STATUS_JA = {"new": "未対応", "contacted": "対応中", "qualified": "商談化", "won": "受注", "lost": "失注"}


def current_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class RssSampler:
    """The highest resident size seen while the block runs, sampled every 50 ms."""

    def __init__(self) -> None:
        self.highest = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.highest = max(self.highest, current_rss_mb())
            self._stop.wait(0.05)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        self.highest = max(self.highest, current_rss_mb())


def write_cp932_csv(path: Path, owners: list[str], department_suffix: str = "") -> None:
    from leads.demo_data import demo_leads

    rng = random.Random(2026)
    with path.open("w", encoding="cp932", newline="") as file:
        writer = csv.writer(file, lineterminator="\r\n")
        writer.writerow(HEADER)
        for number, lead in enumerate(demo_leads(rng, ROWS)):
            writer.writerow(
                [
                    lead["company_name"],
                    lead["last_name"],
                    lead["first_name"],
                    lead["email"],
                    lead["phone"],
                    lead["department"] + department_suffix,
                    lead["title"],
                    lead["industry"],
                    lead["prefecture"],
                    f"{lead['employees']:,}",
                    lead["website"],
                    STATUS_JA[lead["status"]],
                    ";".join(lead["tags"]),
                    owners[number % len(owners)] if number % 3 else "",
                ]
            )


def timed_import(tenant, path: Path) -> tuple[object, float, float, float]:
    from leads.csv_import import import_leads

    baseline = current_rss_mb()
    with RssSampler() as sampler, path.open("rb") as file:
        start = time.perf_counter()
        result = import_leads(tenant=tenant, file=file)
        seconds = time.perf_counter() - start
    return result, seconds, baseline, sampler.highest


def run() -> Iterator[dict]:
    from accounts.models import Role, Tenant, User
    from leads.models import Lead

    tenant = Tenant.objects.create(name="ベンチマーク株式会社")
    owners = []
    for number in range(3):
        email = f"rep{number}@bench.example"
        User.objects.create_user(email=email, password=None, tenant=tenant, role=Role.REP)
        owners.append(email)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "leads-50k-cp932.csv"
        changed_path = Path(directory) / "leads-50k-cp932-changed.csv"
        write_cp932_csv(path, owners)
        write_cp932_csv(changed_path, owners, department_suffix="第二課")
        size_mb = round(path.stat().st_size / (1024 * 1024), 1)
        runs = [
            ("csv_import_50k_cp932", path),
            ("csv_import_50k_cp932_same_file_again", path),
            ("csv_import_50k_cp932_every_lead_changed", changed_path),
        ]
        for figure, file_path in runs:
            result, seconds, baseline, highest = timed_import(tenant, file_path)
            yield {
                "figure": figure,
                "rows": ROWS,
                "file_mb": size_mb,
                "created": result.created,
                "updated": result.updated,
                "errors": len(result.errors),
                "leads_in_tenant": Lead.objects.for_tenant(tenant).count(),
                "seconds": round(seconds, 2),
                "rows_per_second": round(ROWS / seconds),
                "peak_rss_mb": peak_rss_mb(),
                "rss_growth_mb": round(highest - baseline, 1),
            }
