"""The recipient count after exclusions (C7, S1): one selector for the composer, the confirm screen and sending."""

import pytest
from django.utils import translation

from campaigns.selectors import first_recipient, recipient_breakdown
from leads.services import suppress_address
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def everyone(tenant_a, tenant_b):
    for email in (
        "ok1@kaisha.example",
        "ok2@kaisha.example",
        "INFO@kaisha.example",
        "suppressed@kaisha.example",
        "shared@kaisha.example",
        "Shared@Kaisha.example",
        "not-an-address",
        "two@@kaisha.example",
    ):
        factories.make_lead(tenant_a, email=email)
    suppress_address(tenant=tenant_a, email="suppressed@kaisha.example", reason="unsubscribed")
    suppress_address(tenant=tenant_b, email="ok1@kaisha.example", reason="unsubscribed")  # another tenant's list
    factories.make_lead(tenant_b, email="beta@kaisha.example")
    return factories.make_lead_list(tenant_a, name="全員")


def test_each_lead_is_counted_once_under_its_reason(everyone):
    breakdown = recipient_breakdown(everyone)
    assert breakdown.leads == 8
    assert breakdown.recipients == 3  # ok1, ok2 and the shared address once
    assert breakdown.excluded == {"suppressed": 1, "info": 1, "invalid": 2, "duplicate": 1}
    assert breakdown.excluded_total + breakdown.recipients == breakdown.leads


def test_a_list_whose_filter_became_invalid_reports_the_error(tenant_a):
    broken = factories.make_lead_list(tenant_a, filter={"all": [{"field": "nope", "op": "eq", "value": 1}]})
    with translation.override("en"):
        breakdown = recipient_breakdown(broken)
    assert breakdown.error and "nope" in breakdown.error
    assert breakdown.recipients == 0


def test_the_preview_recipient_is_one_that_really_gets_the_mail(tenant_a, everyone):
    lead = first_recipient(everyone)
    assert lead.email_normalized in {"ok1@kaisha.example", "ok2@kaisha.example", "shared@kaisha.example"}


def test_no_list_means_nothing_to_count():
    assert recipient_breakdown(None).recipients == 0
    assert first_recipient(None) is None
