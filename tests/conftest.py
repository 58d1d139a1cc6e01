"""Shared fixtures. Like healthchecks' Alice/Bob/Charlie: two tenants in every world.

Alice (admin), Bob (rep) and Mary (manager) work for tenant A; Charlie (admin) for tenant B,
who must never see or change anything of tenant A.
"""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Role
from campaigns.overlapped_statements import close_asynchronous_connection
from tests import factories

# a real SMTP catcher (and one that refuses some recipients), a real Celery worker, campaign builders
pytest_plugins = ["tests.mail_catcher", "tests.campaign_world", "tests.celery_worker", "tests.smtp_faults"]


@pytest.fixture(autouse=True)
def fresh_cache_per_test(settings, request):
    """Login failures and per-IP request counts live in the cache: every test starts with none counted
    (the machine's Redis is shared by the whole run, and its database also carries the test broker)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": request.node.nodeid}
    }


@pytest.fixture(autouse=True)
def no_second_connection_left_open():
    """The send path's own connection (campaigns/overlapped_statements.py) is closed after each test that
    opened one, like Django's: else the test database could not be flushed or dropped under it."""
    yield
    close_asynchronous_connection()


@pytest.fixture
def persistent_database_connection(monkeypatch):
    """CONN_MAX_AGE as in production (docker-compose: 600) instead of the settings' 0, for the code that
    behaves differently on a connection that is kept (config/prepared_statements.py)."""
    from django.db import connection

    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 600)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashers cost most of a test's time; the login code path stays the same."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def tenant_a(db):
    return factories.make_tenant("株式会社アルファ", mail_plan=True)


@pytest.fixture
def tenant_b(db):
    return factories.make_tenant("ベータ商事株式会社", mail_plan=True)


@pytest.fixture
def alice(tenant_a):
    return factories.make_user(tenant_a, role=Role.ADMIN, email="alice@alpha.example", name="有栖 アリス")


@pytest.fixture
def bob(tenant_a):
    return factories.make_user(tenant_a, role=Role.REP, email="bob@alpha.example", name="坊 ボブ")


@pytest.fixture
def mary(tenant_a):
    return factories.make_user(tenant_a, role=Role.MANAGER, email="mary@alpha.example", name="真理 マリー")


@pytest.fixture
def charlie(tenant_b):
    return factories.make_user(tenant_b, role=Role.ADMIN, email="charlie@beta.example", name="茶 チャーリー")


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice):
    return _logged_in(alice)


@pytest.fixture
def bob_client(bob):
    return _logged_in(bob)


@pytest.fixture
def mary_client(mary):
    return _logged_in(mary)


@pytest.fixture
def charlie_client(charlie):
    return _logged_in(charlie)


def _api(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def alice_api(alice):
    return _api(alice)


@pytest.fixture
def bob_api(bob):
    return _api(bob)


@pytest.fixture
def charlie_api(charlie):
    return _api(charlie)
