from tests import factories


def test_login_page_is_japanese(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert response["Content-Language"] == "ja"


def test_lead_index_lists_only_own_tenant(bob_client, tenant_a, tenant_b):
    factories.make_lead(tenant_a, company_name="アルファ顧客")
    factories.make_lead(tenant_b, company_name="ベータ顧客")
    body = bob_client.get("/leads/").content.decode()
    assert "アルファ顧客" in body
    assert "ベータ顧客" not in body
