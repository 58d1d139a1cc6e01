"""A4/A5 rules: what a sender domain is, which From addresses it allows, what legal info is missing,
and the mail settings services that the screen and the API share."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts import selectors, services
from accounts.models import SenderDomain
from accounts.sender_domains import ascii_domain, normalize_sender_domain, normalize_sender_domains


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def messages_of(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- normalize_sender_domain -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("example.co.jp", "example.co.jp"),
        ("  Example.CO.JP  ", "example.co.jp"),
        ("example.co.jp.", "example.co.jp"),  # the fully qualified spelling
        ("mail.example.co.jp", "mail.example.co.jp"),
        ("my-company.jp", "my-company.jp"),
        ("例え.JP", "例え.jp"),
        ("xn--r8jz45g.jp", "例え.jp"),  # punycode is stored in its Unicode form
        ("日本語。jp", "日本語.jp"),  # the ideographic full stop of a Japanese input method
        ("ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", "example.co.jp"),  # full-width letters
        ("a" * 63 + ".com", "a" * 63 + ".com"),
    ],
)
def test_domains_are_stored_in_one_canonical_form(typed, stored):
    assert normalize_sender_domain(typed) == stored


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("*.example.com", "wildcards are not accepted"),
        ("https://example.com", "without http:// or https://"),
        ("http:example.com", "without http:// or https://"),
        ("example.com/mail", "without a path"),
        ("sales@example.com", "is an email address"),
        ("exa mple.com", "contains a space"),
        ("example.com:25", "characters a domain cannot have"),
        ("ex_ample.com", "characters a domain cannot have"),
        ("例_え.jp", "characters a domain cannot have"),
        ("localhost", "needs at least one dot"),
        ("example..com", "empty part between dots"),
        (".example.com", "empty part between dots"),
        ("-example.com", "not a valid domain name"),
        ("example-.com", "not a valid domain name"),
        ("xn--zz.jp", "not a valid domain name"),
        ("a" * 64 + ".com", "at most 63 characters"),
        ("日本語ドメイン名の長さを確かめるためのとても長いラベルです例.jp", "at most 63 characters"),  # as punycode
        (".".join(["a" * 50] * 5) + ".com", "at most 253 characters"),
        ("192.168.0.1", "IP addresses cannot be registered"),
    ],
)
def test_bad_domains_are_refused_with_a_message_naming_them(typed, says):
    with pytest.raises(ValidationError) as caught:
        normalize_sender_domain(typed)
    message = messages_of(caught.value)
    assert says in message
    assert typed[:40] in message


@pytest.mark.parametrize("typed", ["", "   ", "　"])
def test_an_empty_domain_asks_for_one(typed):
    with pytest.raises(ValidationError, match="Enter a domain"):
        normalize_sender_domain(typed)


def test_a_list_names_every_bad_value_and_each_repeated_one():
    with pytest.raises(ValidationError) as caught:
        normalize_sender_domains(
            ["example.co.jp", "EXAMPLE.co.jp", "exa mple.com", "localhost", "例え.jp", "xn--r8jz45g.jp"]
        )
    messages = caught.value.messages
    assert len(messages) == 4
    assert "“EXAMPLE.co.jp” is listed more than once." in messages
    assert "“xn--r8jz45g.jp” is listed more than once." in messages
    assert any("exa mple.com" in message for message in messages)
    assert any("localhost" in message for message in messages)


def test_a_good_list_keeps_its_order():
    assert normalize_sender_domains(["b.example.jp", "A.example.jp"]) == ["b.example.jp", "a.example.jp"]


def test_ascii_form_is_what_dns_shows():
    assert ascii_domain("例え.jp") == "xn--r8jz45g.jp"
    assert ascii_domain("example.co.jp") == "example.co.jp"


# --- selectors -------------------------------------------------------------------------------------


@pytest.fixture
def registered(tenant_a, tenant_b):
    services.update_mail_settings(tenant_a, sender_domains=["example.co.jp", "例え.jp"])
    services.update_mail_settings(tenant_b, sender_domains=["beta.example"])


def test_sender_domain_names_are_the_tenants_own_sorted(registered, tenant_a, tenant_b):
    assert selectors.sender_domain_names(tenant_a) == ["example.co.jp", "例え.jp"]
    assert selectors.sender_domain_names(tenant_b) == ["beta.example"]


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("taro@example.co.jp", True),
        ("Taro.Yamada@EXAMPLE.CO.JP", True),
        ("  taro@example.co.jp ", True),
        ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", True),
        ("taro@例え.jp", True),
        ("taro@xn--r8jz45g.jp", True),
        ("taro@example.co.jp.", True),
        ("taro@mail.example.co.jp", False),  # subdomains are not implied
        ("taro@example.co.jp.evil.example", False),
        ("taro@notexample.co.jp", False),
        ("taro@co.jp", False),
        ("taro@beta.example", False),  # the other tenant's domain
        ("example.co.jp", False),
        ("@example.co.jp", False),
        ("taro@", False),
        ("", False),
        ("Taro <taro@example.co.jp>", False),
    ],
)
def test_is_sender_address_allowed(registered, tenant_a, address, allowed):
    assert selectors.is_sender_address_allowed(tenant_a, address) is allowed


def test_no_address_is_allowed_without_domains(tenant_a):
    assert selectors.is_sender_address_allowed(tenant_a, "taro@example.co.jp") is False


def test_missing_legal_info_names_the_empty_fields(tenant_a):
    assert selectors.missing_legal_info(tenant_a) == ["Sender name", "Postal address", "Contact for inquiries"]
    services.update_mail_settings(tenant_a, legal_sender_name="株式会社アルファ", legal_postal_address="   ")
    assert selectors.missing_legal_info(tenant_a) == ["Postal address", "Contact for inquiries"]


def test_missing_legal_info_is_empty_when_complete(tenant_a):
    services.update_mail_settings(
        tenant_a,
        legal_sender_name="株式会社アルファ",
        legal_postal_address="〒100-0001 東京都千代田区千代田1-1",
        legal_contact="https://alpha.example/contact",
    )
    assert selectors.missing_legal_info(tenant_a) == []


def test_missing_legal_info_is_translated(tenant_a):
    with translation.override("ja"):
        labels = selectors.missing_legal_info(tenant_a)
    assert len(labels) == 3
    assert all(isinstance(label, str) for label in labels)


# --- services --------------------------------------------------------------------------------------


def test_a_given_domain_list_replaces_the_old_one_and_keeps_what_stays(tenant_a):
    services.update_mail_settings(tenant_a, sender_domains=["old.example.jp", "kept.example.jp"])
    kept = SenderDomain.objects.get(tenant=tenant_a, domain="kept.example.jp")
    services.update_mail_settings(tenant_a, sender_domains=["KEPT.example.jp", "new.example.jp"])
    assert selectors.sender_domain_names(tenant_a) == ["kept.example.jp", "new.example.jp"]
    assert SenderDomain.objects.get(tenant=tenant_a, domain="kept.example.jp").created_at == kept.created_at
    services.update_mail_settings(tenant_a, sender_domains=[])
    assert selectors.sender_domain_names(tenant_a) == []


def test_settings_not_given_stay_as_they_are(tenant_a):
    services.update_mail_settings(
        tenant_a, sender_domains=["example.co.jp"], legal_sender_name="アルファ", send_rate_per_second=50
    )
    services.update_mail_settings(tenant_a, legal_contact="info@alpha.example")
    tenant_a.refresh_from_db()
    assert (tenant_a.legal_sender_name, tenant_a.legal_contact, tenant_a.send_rate_per_second) == (
        "アルファ",
        "info@alpha.example",
        50,
    )
    assert selectors.sender_domain_names(tenant_a) == ["example.co.jp"]


def test_one_bad_value_saves_nothing_and_every_field_is_named(tenant_a):
    with pytest.raises(ValidationError) as caught:
        services.update_mail_settings(
            tenant_a,
            sender_domains=["good.example.jp", "exa mple.com"],
            legal_sender_name="アルファ",
            legal_contact="not a contact",
            send_rate_per_second=0,
        )
    assert set(caught.value.message_dict) == {"sender_domains", "legal_contact", "send_rate_per_second"}
    assert "exa mple.com" in caught.value.message_dict["sender_domains"][0]
    tenant_a.refresh_from_db()
    assert tenant_a.legal_sender_name == ""
    assert selectors.sender_domain_names(tenant_a) == []


def test_text_is_trimmed(tenant_a):
    services.update_mail_settings(
        tenant_a, legal_sender_name="  株式会社アルファ ", legal_contact=" info@alpha.example "
    )
    tenant_a.refresh_from_db()
    assert tenant_a.legal_sender_name == "株式会社アルファ"
    assert tenant_a.legal_contact == "info@alpha.example"


@pytest.mark.parametrize(
    "contact",
    ["info@alpha.example", "info@例え.jp", "http://alpha.example/contact", "https://例え.jp/お問い合わせ", ""],
)
def test_contact_may_be_an_email_address_or_a_web_page(tenant_a, contact):
    services.update_mail_settings(tenant_a, legal_contact=contact)
    tenant_a.refresh_from_db()
    assert tenant_a.legal_contact == contact


@pytest.mark.parametrize(
    "contact", ["03-1234-5678", "ftp://alpha.example/", "javascript:alert(1)", "https://", "info@", "mailto:"]
)
def test_contact_that_is_neither_is_refused_saying_what_is_expected(tenant_a, contact):
    with pytest.raises(ValidationError) as caught:
        services.update_mail_settings(tenant_a, legal_contact=contact)
    assert "email address" in caught.value.message_dict["legal_contact"][0]
    assert "https://" in caught.value.message_dict["legal_contact"][0]


def test_full_width_contact_is_normalised(tenant_a):
    services.update_mail_settings(tenant_a, legal_contact="ｉｎｆｏ＠ａｌｐｈａ．ｅｘａｍｐｌｅ")
    tenant_a.refresh_from_db()
    assert tenant_a.legal_contact == "info@alpha.example"


@pytest.mark.parametrize("rate", [1, 20, 1000])
def test_rate_from_1_to_1000(tenant_a, rate):
    services.update_mail_settings(tenant_a, send_rate_per_second=rate)
    tenant_a.refresh_from_db()
    assert tenant_a.send_rate_per_second == rate


@pytest.mark.parametrize("rate", [0, -1, 1001, 10**12, True, 2.5])
def test_rate_outside_1_to_1000_is_refused(tenant_a, rate):
    with pytest.raises(ValidationError) as caught:
        services.update_mail_settings(tenant_a, send_rate_per_second=rate)
    assert caught.value.message_dict["send_rate_per_second"] == [
        "Enter a sending rate from 1 to 1,000 mails per second."
    ]
    tenant_a.refresh_from_db()
    assert tenant_a.send_rate_per_second == 20


@pytest.mark.parametrize(("field", "limit"), [("legal_sender_name", 200), ("legal_postal_address", 300)])
def test_text_longer_than_its_column_is_refused(tenant_a, field, limit):
    services.update_mail_settings(tenant_a, **{field: "あ" * limit})
    with pytest.raises(ValidationError) as caught:
        services.update_mail_settings(tenant_a, **{field: "あ" * (limit + 1)})
    assert f"at most {limit} characters" in caught.value.message_dict[field][0]


def test_add_sender_domain_refuses_the_same_domain_in_another_spelling(tenant_a, tenant_b):
    added = services.add_sender_domain(tenant_a, "例え.jp")
    assert added.domain == "例え.jp"
    with pytest.raises(ValidationError, match="already registered"):
        services.add_sender_domain(tenant_a, "XN--R8JZ45G.JP")
    assert services.add_sender_domain(tenant_b, "例え.jp").tenant == tenant_b  # another company may have it too


def test_remove_sender_domain(tenant_a):
    domain = services.add_sender_domain(tenant_a, "example.co.jp")
    services.remove_sender_domain(domain)
    assert selectors.sender_domain_names(tenant_a) == []
