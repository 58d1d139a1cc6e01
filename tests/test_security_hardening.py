"""Hardening (A3, issue 7): login throttling, security headers and CSP, per-IP limits of the public
endpoints, production settings that pass `check --deploy`, and Django's password hashing."""

import os
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.campaign_world import token_of
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0"


def sign_in(client, email, password, ip="203.0.113.7"):
    return client.post("/accounts/login/", {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_five_wrong_passwords_lock_the_address_even_for_the_right_one(client, bob, settings):
    settings.LOGIN_FAILURES_PER_EMAIL = 5
    for _ in range(5):
        assert sign_in(client, bob.email, "wrong").context["form"].errors
    locked = sign_in(client, bob.email, PASSWORD)

    assert locked.status_code == 200
    assert "_auth_user_id" not in client.session
    assert locked.context["form"].non_field_errors().as_data()[0].code == "locked"
    # another address from another place is not affected
    assert sign_in(Client(), "alice@alpha.example", "wrong", ip="198.51.100.1").context["form"].errors


def test_one_ip_trying_many_addresses_is_locked(client, bob, settings):
    settings.LOGIN_FAILURES_PER_IP = 3
    for number in range(3):
        sign_in(client, f"guess{number}@alpha.example", "wrong")
    locked = sign_in(client, bob.email, PASSWORD)
    assert locked.context["form"].non_field_errors().as_data()[0].code == "locked"
    assert sign_in(Client(), bob.email, PASSWORD, ip="198.51.100.2").status_code == 302


def test_a_successful_sign_in_clears_the_count(client, bob, settings):
    settings.LOGIN_FAILURES_PER_EMAIL = 3
    sign_in(client, bob.email, "wrong")
    sign_in(client, bob.email, "wrong")
    assert sign_in(client, bob.email, PASSWORD).status_code == 302
    client.logout()
    sign_in(client, bob.email, "wrong")
    sign_in(client, bob.email, "wrong")
    assert sign_in(client, bob.email, PASSWORD).status_code == 302


def test_signing_in_works_while_redis_is_away(client, bob, settings):
    """The failure counts live in Redis; while it cannot be reached the password alone decides, never a 500."""
    from tests.faults.servers import free_port

    location = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens there
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}}

    wrong = sign_in(client, bob.email, "wrong")
    assert wrong.status_code == 200 and wrong.context["form"].errors
    right = sign_in(client, bob.email, PASSWORD)
    assert right.status_code == 302
    assert client.get("/campaigns/").status_code == 200


def test_pages_carry_a_csp_without_inline_scripts_and_the_security_headers(bob_client):
    response = bob_client.get("/leads/")
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in directives["script-src"] and "unsafe-eval" not in directives["script-src"]
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_page_template_has_an_inline_script():
    """Inline scripts would be blocked by the policy above; data goes through json_script (not executed)."""
    import re
    from pathlib import Path

    offenders = []
    for template in Path(django_settings.BASE_DIR, "templates").rglob("*.html"):
        for match in re.finditer(r"<script\b([^>]*)>", template.read_text(encoding="utf-8")):
            attributes = match.group(1)
            if "src=" not in attributes and "application/json" not in attributes:
                offenders.append(f"{template.name}: {match.group(0)}")
        if re.search(r"\son[a-z]+\s*=", template.read_text(encoding="utf-8")):
            offenders.append(f"{template.name}: inline event handler")
    assert offenders == []


@pytest.fixture(params=["locmem", "redis"])
def request_counts(request, settings):
    """Per-IP counts in the per-test memory cache, or in the real Redis as in production (its own key prefix)."""
    if request.param == "redis":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": django_settings.REDIS_URL,
                "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            }
        }
    return request.param


def test_the_tracking_endpoints_refuse_a_flood_from_one_address(sent_campaign, settings, request_counts, monkeypatch):
    settings.TRACKING_REQUESTS_PER_IP_PER_MINUTE = 3
    minute = int(time.time() // 60)
    monkeypatch.setattr("tracking.rate_limits.time.time", lambda: minute * 60 + 1.0)  # no new minute mid-test
    token = token_of(sent_campaign, "yamada@aozora.example")
    flood, reader = Client(REMOTE_ADDR="203.0.113.9"), Client(REMOTE_ADDR="198.51.100.3")
    answers = [flood.get(f"/t/o/{token}.gif", HTTP_USER_AGENT=BROWSER).status_code for _ in range(5)]

    assert answers == [200, 200, 200, 429, 429]
    assert reader.get(f"/t/o/{token}.gif", HTTP_USER_AGENT=BROWSER).status_code == 200
    from tracking.models import Event

    assert Event.objects.count() == 4  # the refused ones recorded nothing
    if request_counts == "redis":  # each minute's count ends by itself
        from django.core.cache import cache

        key = cache.make_and_validate_key(f"rate:tracking:203.0.113.9:{minute}")
        assert 60 <= cache._cache.get_client().ttl(key) <= 120


def test_the_webhooks_refuse_a_flood_from_one_address(settings):
    settings.WEBHOOK_REQUESTS_PER_IP_PER_MINUTE = 2
    flood = Client(REMOTE_ADDR="203.0.113.10")
    answers = [flood.post("/anymail/postmark/tracking/", "{}", content_type="application/json").status_code
               for _ in range(3)]  # fmt: skip
    assert answers[:2] != [429, 429] and answers[2] == 429


def test_behind_proxies_the_client_is_taken_from_x_forwarded_for(settings):
    from django.test import RequestFactory

    from accounts.client_address import client_ip

    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.5")
    assert client_ip(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.5"  # what the trusted proxy saw; the client's own entry is ignored


def test_passwords_use_djangos_default_hasher():
    from django.conf import global_settings

    assert "PASSWORD_HASHERS" not in vars(sys.modules["config.settings"])  # Django's default: PBKDF2, Argon2 ready
    assert global_settings.PASSWORD_HASHERS[0].endswith("PBKDF2PasswordHasher")


def test_production_settings_pass_the_deploy_check():
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DEBUG", "SECURE_", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY="k7#Qv9!xL2@pR5$wZ8^mN3&bT6*yH1(cJ4)fG0-dS9=aE2+uI5",
        PUBLIC_BASE_URL="https://mail.okuru.example",
        ALLOWED_HOSTS="mail.okuru.example",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=django_settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
