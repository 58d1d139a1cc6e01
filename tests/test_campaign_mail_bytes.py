"""A campaign mail's bytes are exactly what Django's own message would give, only made faster.

campaigns.mail_message.CampaignEmail writes plain one-line ASCII headers without compat32's folding
machinery and picks its MIME boundary itself; neither may change a single byte of what a recipient gets
(the boundary aside, which is random either way).
"""

from __future__ import annotations

import json
import random
import string
from email._policybase import compat32
from pathlib import Path

import pytest
from django.core.mail import EmailMultiAlternatives

from campaigns.mail_message import PLAIN_HEADERS_AS_IS, CampaignEmail

HOSTILE_VALUES = [
    json.loads(line)["value"]
    for line in (Path(__file__).parent / "data" / "hostile_values.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]


def header_values() -> list[str]:
    generator = random.Random(8058)
    tricky = " \t=?_:;,<>\"'()abcXYZ019"
    values = [
        "".join(generator.choice(string.printable if generator.random() < 0.3 else tricky) for _ in range(length))
        for length in (generator.randint(0, 90) for _ in range(20_000))
    ]
    return values + HOSTILE_VALUES + ["", " ", "a" * 72, "a" * 73, "a b" * 40, "=?utf-8?b?44GC?=", "x\r\nBcc: a@b"]


def folded(policy, name: str, value: str) -> bytes | str:
    try:
        return policy.clone(linesep="\r\n").fold_binary(name, value)
    except Exception as error:  # the same refusal is the same answer
        return type(error).__name__


@pytest.mark.parametrize("name", ["Subject", "List-Unsubscribe-Post", "X-A"])
def test_every_header_is_written_as_compat32_writes_it(name):
    different = [
        value for value in header_values() if folded(PLAIN_HEADERS_AS_IS, name, value) != folded(compat32, name, value)
    ]
    assert different == []


def campaign_mail(email_class, **changes) -> EmailMultiAlternatives:
    fields = {
        "subject": "【ご案内】青空システム 山田様へ新製品のお知らせ",
        "body": "山田 太郎 様\n\nいつもお世話になっております。\n" * 5 + "長い行" * 400,
        "from_email": "アルファ営業部 <sales@alpha.example>",
        "to": ["yamada@aozora.example"],
        "reply_to": ["reply@alpha.example"],
        "headers": {
            "Message-ID": "<20261127.1@alpha.example>",
            "Date": "Fri, 27 Nov 2026 19:00:00 +0900",
            "List-Unsubscribe": "<https://mail.okuru.example/u/0123456789abcdef0123456789abcdef/>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    } | changes
    email = email_class(**fields)
    email.attach_alternative("<p>山田 太郎 様</p>" + "<p>本文</p>\n" * 50, "text/html")
    return email


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"subject": "plain ascii subject"},
        {"subject": "x" * 200},
        {"reply_to": []},
        {"from_email": "a@alpha.example"},
    ],
)
def test_the_whole_mail_is_byte_for_byte_what_django_writes(changes):
    ours = campaign_mail(CampaignEmail, **changes).message()
    djangos = campaign_mail(EmailMultiAlternatives, **changes).message()
    djangos.set_boundary(ours.get_boundary())
    assert ours.as_bytes(linesep="\r\n") == djangos.as_bytes(linesep="\r\n")


def test_each_mail_gets_its_own_random_boundary_that_no_part_contains():
    boundaries = {campaign_mail(CampaignEmail).message().get_boundary() for _ in range(50)}
    assert len(boundaries) == 50
    boundary = boundaries.pop()
    assert boundary.startswith("=_") and len(boundary) == 34
    mail = campaign_mail(CampaignEmail).message().as_bytes(linesep="\r\n")
    assert mail.count(b"--" + campaign_mail_boundary(mail)) == 3  # two parts and the closing line


def campaign_mail_boundary(mail: bytes) -> bytes:
    return mail.split(b'boundary="', 1)[1].split(b'"', 1)[0]
