"""The liveness check /healthz: answers "ok" without touching the database or the session."""

import pytest


@pytest.mark.django_db
def test_healthz_answers_ok_without_a_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")
    assert response["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response  # no session, no CSRF cookie: probes leave nothing behind


@pytest.mark.django_db
def test_healthz_answers_head_and_refuses_writes(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405
