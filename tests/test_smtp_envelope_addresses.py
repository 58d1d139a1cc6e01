"""The SMTP backend's envelope addresses: what Django's sanitize_address gives, without parsing plain ones."""

import random
import string

import pytest
from django.core.mail import EmailMessage, get_connection
from django.core.mail.message import sanitize_address

from campaigns.smtp_backend import _PLAIN_ADDRESS, envelope_address

AWKWARD = [
    "yamada.taro@company12.example.jp",
    "Y.Sato+news@Example.CO.JP",
    "o'brien@example.com",
    "first..last@example.jp",  # two dots: not a dot-atom, so Django's parser decides
    ".leading@example.jp",
    '"quoted local"@example.jp',
    "株式会社テスト 営業部 <sales@example.jp>",
    "Plain Name <sales@example.jp>",
    "担当@example.jp",
    "info@ドメイン.jp",
    "info@example..jp",
    "info@-example.jp",
    "info@" + "a" * 63 + ".jp",
    "info@" + "a" * 64 + ".jp",
    "no-at-sign.example.jp",
    "two@at@signs.jp",
    "line\nbreak@example.jp",
    "",
]


def django_says(address: str) -> str:
    try:
        return sanitize_address(address, "utf-8")
    except Exception as error:  # the header parser raises more than ValueError on some inputs
        return f"refused: {type(error).__name__}"


def ours(address: str) -> str:
    try:
        return envelope_address(address, "utf-8")
    except Exception as error:  # the header parser raises more than ValueError on some inputs
        return f"refused: {type(error).__name__}"


@pytest.mark.parametrize("address", AWKWARD)
def test_every_address_comes_out_as_django_makes_it(address):
    assert ours(address) == django_says(address)


def test_random_addresses_near_and_far_from_plain_ones():
    generator = random.Random(2026)
    atom = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-"
    awkward = '.@ <>"()[],;:\\日本\n'

    def some(characters: str, most: int) -> str:
        return "".join(generator.choice(characters) for _ in range(generator.randint(0, most)))

    plain = 0
    for _ in range(5000):
        address = f"{some(atom + '.', 10)}@{some(string.ascii_lowercase + string.digits + '-.', 20)}"
        if generator.random() < 0.3:  # an awkward character somewhere
            at = generator.randint(0, len(address))
            address = address[:at] + generator.choice(awkward) + address[at:]
        assert ours(address) == django_says(address), address
        plain += bool(_PLAIN_ADDRESS.fullmatch(address))
    assert plain >= 1000  # the shortcut was taken often enough to be tested


def test_the_catcher_receives_the_bare_addresses_in_the_envelope(mail_catcher):
    connection = get_connection()
    EmailMessage(
        "件名",
        "本文",
        from_email="株式会社テスト 営業部 <sales@example.jp>",
        to=["yamada.taro@company12.example.jp", "info@ドメイン.jp"],
        connection=connection,
    ).send()
    [mail] = mail_catcher.wait_for(1)
    headers = dict(mail.headers)
    assert headers["X-MailFrom"] == "sales@example.jp"
    assert headers["X-RcptTo"] == "yamada.taro@company12.example.jp, info@xn--eckwd4c7c.jp"
