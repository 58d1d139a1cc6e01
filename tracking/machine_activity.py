"""Which opens and clicks were made by machines, not people (K5).

Mail security scanners fetch every link of a mail as it arrives; privacy proxies fetch every image
of a mail whether or not anyone reads it. Counting them would make a campaign look better than it
is, so each open and click is classified when it is recorded. The raw event is kept either way,
marked with the rule that matched; figures show human and machine activity apart.

The rules, in the order they are checked (the first that matches names the reason):
- head_request: a HEAD request. A browser or mail client asks with GET; link checkers use HEAD.
- no_user_agent: no User-Agent header at all.
- scanner: a User-Agent of a known security scanner, link checker or HTTP library (SCANNER_AGENTS).
- privacy_proxy (opens): Apple Mail Privacy Protection loads images through Apple's proxies
  (17.0.0.0/8) with the bare User-Agent "Mozilla/5.0"; either sign marks the open.
- too_soon: an open within OPEN_TOO_SOON, or a click within CLICK_TOO_SOON, of the mail being sent;
  no person reads a mail and clicks that fast, a scanner at the receiving server does.
- honeypot: the hidden link every mail carries (link number 0); people cannot see it.
- after_honeypot: any click on a message whose honeypot was followed within HONEYPOT_WINDOW.
- all_links_at_once: a click on one link within ALL_LINKS_WINDOW of a click on another link of the
  same message; people click one link and read, scanners follow all of them together.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from accounts.client_address import client_ip
from campaigns.tracking_links import HONEYPOT_LINK_NUMBER

OPEN_TOO_SOON = timedelta(seconds=2)
CLICK_TOO_SOON = timedelta(seconds=10)
HONEYPOT_WINDOW = timedelta(minutes=2)
ALL_LINKS_WINDOW = timedelta(seconds=3)

SCANNER_AGENTS = (
    "barracuda",
    "mimecast",
    "proofpoint",
    "messagelabs",
    "symantec",
    "forcepoint",
    "trend micro",
    "trendmicro",
    "sophos",
    "fortiguard",
    "cisco",
    "ironport",
    "safelinks",
    "microsoft office protection",
    "bingpreview",
    "headlesschrome",
    "phantomjs",
    "python-requests",
    "python-urllib",
    "aiohttp",
    "curl/",
    "wget/",
    "go-http-client",
    "java/",
    "okhttp",
    "libwww-perl",
    "httpclient",
    "scanner",
    "crawler",
    "spider",
    "bot/",
    "bot;",
    "preview",
)
PRIVACY_PROXY_AGENT = "Mozilla/5.0"
PRIVACY_PROXY_NETWORKS = (ipaddress.ip_network("17.0.0.0/8"),)  # Apple's, where its mail proxies run


@dataclass(frozen=True)
class RequestFacts:
    """What a tracking request tells about who made it."""

    method: str
    user_agent: str
    ip: str | None

    @classmethod
    def of(cls, request) -> RequestFacts:
        return cls(
            method=request.method,
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            ip=client_ip(request),
        )


@dataclass(frozen=True)
class EarlierClick:
    link_number: int
    at: datetime
    machine: bool


def _request_reason(facts: RequestFacts) -> str:
    if facts.method == "HEAD":
        return "head_request"
    agent = facts.user_agent.strip()
    if not agent:
        return "no_user_agent"
    lowered = agent.lower()
    if any(marker in lowered for marker in SCANNER_AGENTS):
        return "scanner"
    return ""


def _from_privacy_proxy(facts: RequestFacts) -> bool:
    if facts.user_agent.strip() == PRIVACY_PROXY_AGENT:
        return True
    try:
        address = ipaddress.ip_address(facts.ip or "")
    except ValueError:
        return False
    return any(address in network for network in PRIVACY_PROXY_NETWORKS)


def open_machine_reason(facts: RequestFacts, *, sent_at: datetime | None, now: datetime) -> str:
    """Why this open was a machine's, or "" for a person's."""
    reason = _request_reason(facts)
    if reason:
        return reason
    if _from_privacy_proxy(facts):
        return "privacy_proxy"
    if sent_at is not None and now - sent_at < OPEN_TOO_SOON:
        return "too_soon"
    return ""


def click_machine_reason(
    facts: RequestFacts,
    *,
    link_number: int,
    sent_at: datetime | None,
    earlier_clicks: Iterable[EarlierClick],
    now: datetime,
) -> str:
    """Why this click was a machine's, or "" for a person's."""
    reason = _request_reason(facts)
    if reason:
        return reason
    if link_number == HONEYPOT_LINK_NUMBER:
        return "honeypot"
    if sent_at is not None and now - sent_at < CLICK_TOO_SOON:
        return "too_soon"
    for click in earlier_clicks:
        if click.link_number == HONEYPOT_LINK_NUMBER and now - click.at < HONEYPOT_WINDOW:
            return "after_honeypot"
        if click.link_number != link_number and now - click.at < ALL_LINKS_WINDOW:
            return "all_links_at_once"
    return ""
