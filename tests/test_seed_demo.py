"""seed_demo: the demo tenant a person logs into after `make run`."""

import io

from django.core.management import call_command

from accounts.models import Role, Tenant
from leads.models import Lead, LeadList


def test_seed_demo_loads_once_and_prints_logins(db):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=out)
    tenant = Tenant.objects.get(name="デモ商事株式会社")
    assert tenant.has_mail_plan
    roles = sorted(tenant.users.values_list("role", flat=True))
    assert roles == sorted([Role.ADMIN, Role.MANAGER, Role.REP, Role.REP])
    leads = Lead.objects.for_tenant(tenant)
    assert leads.count() == 300
    assert leads.filter(email_normalized__startswith="info@").exists()
    addresses = list(leads.values_list("email_normalized", flat=True))
    assert len(addresses) - len(set(addresses)) >= 2, "a few addresses are shared by two leads"
    assert LeadList.objects.for_tenant(tenant).count() == 3
    assert "rep1@demo.okuru.jp" in out.getvalue()
    assert "Demo data already loaded." in out.getvalue()


def test_demo_leads_have_japanese_names(db):
    call_command("seed_demo", stdout=io.StringIO())
    lead = Lead.objects.order_by("pk").first()
    assert lead.company_name.startswith("株式会社")
    assert lead.last_name and not lead.last_name.isascii()
