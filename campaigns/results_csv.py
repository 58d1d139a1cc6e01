"""The results CSV of a campaign (D2): one row per recipient with its outcome, times in Japan time."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import MessageStatus
from leads.csv_export import csv_lines, neutralise


def _tokyo_time(value: datetime | None) -> str:
    return timezone.localtime(value, timezone.get_default_timezone()).strftime("%Y/%m/%d %H:%M") if value else ""


def _header() -> list[str]:
    return [
        _("Email address"),
        _("Company name"),
        _("Name"),
        _("Status"),
        _("Sent at"),
        _("Delivered at"),
        _("Opened at"),
        _("Clicked at"),
        _("Unsubscribed at"),
        _("Bounced at"),
        _("Complained at"),
        _("Reason"),
    ]


def results_csv_lines(rows: Iterable) -> Iterator[str]:
    """CSV text for campaigns.selectors.recipient_outcomes rows; every text cell neutralised (CSV injection).

    Header and status labels are translated here, before streaming: the rows are written after the view
    returns, when the request's language is no longer active."""
    header = _header()
    status_labels = {value: str(label) for value, label in MessageStatus.choices}
    cells = (
        [
            neutralise(row.email),
            neutralise(row.company_name),
            neutralise(row.full_name),
            status_labels.get(row.status, row.status),
            *(
                _tokyo_time(at)
                for at in (
                    row.sent_at,
                    row.delivered_at,
                    row.opened_at,
                    row.clicked_at,
                    row.unsubscribed_at,
                    row.bounced_at,
                    row.complained_at,
                )
            ),
            neutralise(row.error),
        ]
        for row in rows
    )
    return csv_lines(header, cells)
