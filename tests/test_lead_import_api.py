"""POST /api/v1/leads/import/ (L2, I2): the CSV import for API clients."""

from __future__ import annotations

import io
import json

import yaml
from django.test import Client

from leads.models import Lead
from tests import factories

URL = "/api/v1/leads/import/"


def csv_file(text: str, codec: str = "utf-8", name: str = "leads.csv") -> io.BytesIO:
    file = io.BytesIO(text.encode(codec))
    file.name = name
    return file


def post(api, text: str, codec: str = "utf-8", **fields):
    return api.post(URL, {"file": csv_file(text, codec), **fields}, format="multipart")


def test_import_answers_counts_and_row_errors(bob_api, tenant_a):
    factories.make_lead(tenant_a, email="old@example.jp", company_name="旧")
    text = (
        "会社名,メールアドレス,従業員数\r\n"
        "新規株式会社,new@example.jp,10\r\n"
        "更新株式会社,OLD@example.jp,20\r\n"
        "壊れた行,not-an-address,\r\n"
    )
    response = post(bob_api, text, "cp932")
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["updated"]) == (1, 1)
    assert len(body["errors"]) == 1
    assert body["errors"][0]["row"] == 4
    assert "not-an-address" in body["errors"][0]["message"]
    assert Lead.objects.for_tenant(tenant_a).get(email_normalized="old@example.jp").company_name == "更新株式会社"


def test_encoding_and_mapping_can_be_given(bob_api, tenant_a):
    text = "Mail,会社,メモ\r\nmapped@example.jp,マップ株式会社,使わない\r\n"
    mapping = json.dumps({"Mail": "email", "会社": "company_name", "メモ": None})
    response = post(bob_api, text, mapping=mapping, encoding="utf-8")
    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 1, "updated": 0, "errors": []}
    assert Lead.objects.for_tenant(tenant_a).get().company_name == "マップ株式会社"


def test_file_errors_answer_400_with_detail_and_code(bob_api):
    response = post(bob_api, "会社名,電話番号\r\n株式会社,03\r\n")
    assert response.status_code == 400
    assert response.json()["code"] == "no_email_column"
    assert response.json()["detail"]
    response = bob_api.post(URL, {}, format="multipart")
    assert response.status_code == 400 and response.json()["code"] == "file_required"
    response = post(bob_api, "メールアドレス\r\na@example.jp\r\n", encoding="latin-1")
    assert response.status_code == 400 and response.json()["code"] == "unknown_encoding"
    assert not Lead.objects.exists()


def test_too_large_file_answers_400(bob_api, settings):
    settings.LEAD_IMPORT_MAX_BYTES = 20
    response = post(bob_api, "メールアドレス\r\nlong-enough@example.jp\r\n")
    assert response.status_code == 400 and response.json()["code"] == "too_large"
    assert not Lead.objects.exists()


def test_bad_mapping_answers_400_naming_the_problem(bob_api):
    text = "メールアドレス,会社名\r\na@example.jp,株式会社\r\n"
    response = post(bob_api, text, mapping="{not json")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_mapping" and "mapping" in response.json()["detail"]
    response = post(bob_api, text, mapping=json.dumps({"会社名": "favourite_colour"}))
    assert response.status_code == 400
    assert response.json()["code"] == "bad_mapping" and "favourite_colour" in response.json()["detail"]
    response = post(bob_api, text, mapping=json.dumps(["email"]))
    assert response.status_code == 400 and response.json()["code"] == "bad_mapping"
    response = post(bob_api, text, mapping=json.dumps({"FAX": "phone"}))
    assert response.status_code == 400 and "FAX" in response.json()["detail"]
    assert not Lead.objects.exists()


def test_import_never_touches_another_tenants_leads(charlie_api, tenant_a, tenant_b):
    theirs = factories.make_lead(tenant_a, email="shared@example.jp", company_name="アルファの顧客")
    response = post(charlie_api, "メールアドレス,会社名\r\nshared@example.jp,ベータが上書き\r\n")
    assert response.status_code == 200
    assert response.json()["created"] == 1 and response.json()["updated"] == 0
    theirs.refresh_from_db()
    assert theirs.company_name == "アルファの顧客"
    assert Lead.objects.for_tenant(tenant_b).get().company_name == "ベータが上書き"


def test_import_needs_a_token(db):
    from rest_framework.test import APIClient

    response = APIClient().post(URL, {"file": csv_file("メールアドレス\r\na@example.jp\r\n")}, format="multipart")
    assert response.status_code in (401, 403)
    assert not Lead.objects.exists()


def test_import_is_in_the_openapi_schema(db):
    schema = yaml.safe_load(Client().get("/api/schema/").content)
    operation = schema["paths"]["/api/v1/leads/import/"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert {"200", "400"} <= set(operation["responses"])
