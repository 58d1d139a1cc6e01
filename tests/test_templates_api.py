"""The template API /api/v1/templates/ (T1, I2): CRUD over the same services and rules as the screens."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from templates_app.models import EmailTemplate
from tests import factories

URL = "/api/v1/templates/"
KEYS = {"id", "name", "subject", "body_html", "created_at", "updated_at"}


@pytest.fixture
def api(bob_api):
    bob_api.cookies["django_language"] = "en"
    return bob_api


def detail(template) -> str:
    return f"{URL}{template.pk}/"


def test_create_and_read(api, tenant_a, bob):
    response = api.post(
        URL,
        {"name": "展示会のお礼", "subject": "{{CompanyName}} 様", "body_html": "<p>{{LastName|ご担当者}} 様</p>"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert set(data) == KEYS
    template = EmailTemplate.objects.get(pk=data["id"])
    assert (template.tenant, template.created_by, template.name) == (tenant_a, bob, "展示会のお礼")
    got = api.get(detail(template)).json()
    assert got == data
    assert got["body_html"] == "<p>{{LastName|ご担当者}} 様</p>"


def test_read_only_fields_are_ignored(api, tenant_a):
    response = api.post(
        URL, {"name": "読み取り専用", "id": 999999, "created_at": "2000-01-01T00:00:00Z"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["id"] != 999999
    assert not response.json()["created_at"].startswith("2000")


def test_body_is_stored_cleaned(api):
    body = (
        '<p onclick="x()">本文<script>alert(1)</script>'
        '<img src=x onerror=alert(1)><a href="javascript:alert(1)">a</a></p>'
    )
    response = api.post(URL, {"name": "掃除", "body_html": body}, format="json")
    assert response.status_code == 201
    assert response.json()["body_html"] == "<p>本文<a>a</a></p>"
    assert EmailTemplate.objects.get().body_html == "<p>本文<a>a</a></p>"


def test_list_is_paginated_sorted_by_name_and_searchable(api, tenant_a, tenant_b):
    for number in range(7):
        factories.make_template(tenant_a, name=f"案内{number}")
    factories.make_template(tenant_a, name="年末のご挨拶")
    factories.make_template(tenant_b, name="案内B")
    page = api.get(URL, {"page_size": 5}).json()
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == 8
    assert [row["name"] for row in page["results"]] == ["年末のご挨拶", "案内0", "案内1", "案内2", "案内3"]
    second = api.get(page["next"]).json()
    assert [row["name"] for row in second["results"]] == ["案内4", "案内5", "案内6"]
    found = api.get(URL, {"search": "挨拶"}).json()
    assert [row["name"] for row in found["results"]] == ["年末のご挨拶"]


def test_patch_changes_given_fields(api, tenant_a):
    template = factories.make_template(tenant_a, name="元", subject="元の件名")
    response = api.patch(detail(template), {"subject": "新しい件名 {{FullName}} 様"}, format="json")
    assert response.status_code == 200
    template.refresh_from_db()
    assert (template.name, template.subject) == ("元", "新しい件名 {{FullName}} 様")
    assert api.patch(detail(template), {"name": "元"}, format="json").status_code == 200  # its own name


def test_put_is_not_offered(api, tenant_a):
    template = factories.make_template(tenant_a)
    assert api.put(detail(template), {"name": "x"}, format="json").status_code == 405


def test_delete(api, tenant_a):
    template = factories.make_template(tenant_a)
    assert api.delete(detail(template)).status_code == 204
    assert not EmailTemplate.objects.exists()
    assert api.get(detail(template)).status_code == 404


def test_unknown_merge_tag_is_a_field_error_naming_the_tag(api):
    response = api.post(URL, {"name": "誤り", "subject": "{{Compny}}", "body_html": "<p>{{Foo}}</p>"}, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert "Unknown merge tag {{Compny}}" in errors["subject"][0]
    assert "Unknown merge tag {{Foo}}" in errors["body_html"][0]
    assert not EmailTemplate.objects.exists()


def test_unsubscribe_tag_in_subject_is_refused(api):
    response = api.post(URL, {"name": "誤り", "subject": "{{Unsubscribe:停止}}"}, format="json")
    assert response.status_code == 400
    assert "subject" in response.json()


def test_line_break_in_subject_is_refused(api, tenant_a):
    response = api.post(URL, {"name": "改行", "subject": "件名\r\nBcc: victim@example.com"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"subject": ["The subject must be a single line."]}
    template = factories.make_template(tenant_a, subject="元の件名")
    response = api.patch(detail(template), {"subject": "件名\nBcc: victim@example.com"}, format="json")
    assert response.status_code == 400
    template.refresh_from_db()
    assert template.subject == "元の件名"


def test_duplicate_name_is_refused(api, tenant_a):
    factories.make_template(tenant_a, name="同じ名前")
    other = factories.make_template(tenant_a, name="別の名前")
    response = api.post(URL, {"name": "同じ名前"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"name": ["A template named “同じ名前” already exists. Choose another name."]}
    response = api.patch(detail(other), {"name": "同じ名前"}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()


def test_missing_or_too_long_values_are_field_errors(api):
    response = api.post(URL, {"subject": "件名"}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()
    response = api.post(URL, {"name": "長い", "subject": "あ" * 256}, format="json")
    assert response.status_code == 400
    assert "subject" in response.json()


def test_without_mail_plan_is_403(db):
    tenant = factories.make_tenant("プランなし株式会社", mail_plan=False)
    template = factories.make_template(tenant)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=factories.make_user(tenant)).key}")
    for method, path in [("get", URL), ("post", URL), ("get", detail(template)), ("delete", detail(template))]:
        response = getattr(client, method)(path)
        assert response.status_code == 403, f"{method.upper()} {path}"
        assert response.json()["code"] == "mail_plan_required"
    assert EmailTemplate.objects.filter(pk=template.pk).exists()


def test_anonymous_is_refused(db):
    assert APIClient().get(URL).status_code in (401, 403)


def test_another_tenant_gets_404_and_sees_none(charlie_api, tenant_a, tenant_b):
    template = factories.make_template(tenant_a, name="アルファ専用", subject="秘密")
    factories.make_template(tenant_b, name="ベータのもの")
    assert charlie_api.get(detail(template)).status_code == 404
    assert charlie_api.patch(detail(template), {"name": "乗っ取り"}, format="json").status_code == 404
    assert charlie_api.delete(detail(template)).status_code == 404
    listed = charlie_api.get(URL).json()
    assert [row["name"] for row in listed["results"]] == ["ベータのもの"]
    template.refresh_from_db()
    assert (template.name, template.subject) == ("アルファ専用", "秘密")


def test_schema_lists_the_template_routes(db):
    import yaml
    from django.test import Client

    paths = yaml.safe_load(Client().get("/api/schema/").content)["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/templates/"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/templates/{id}/"])
    assert "put" not in paths["/api/v1/templates/{id}/"]
