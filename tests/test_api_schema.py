"""The OpenAPI schema at /api/schema/ describes the v1 routes that exist."""

import yaml
from django.test import Client


def test_schema_is_openapi_3_and_lists_lead_routes(db):
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in ("/api/v1/leads/", "/api/v1/leads/{id}/", "/api/v1/leads/{id}/events/"):
        assert path in paths, path
    assert "put" not in paths["/api/v1/leads/{id}/"]
