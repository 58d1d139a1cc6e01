"""Demo data for `make run`: one tenant on the mail plan, a user of each role, 300 leads, lists."""

import random

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Role, Tenant, User
from accounts.services import create_tenant, create_user, update_mail_settings
from campaigns.services import create_campaign
from leads.demo_data import DEMO_PASSWORD, demo_leads
from leads.models import LeadList
from leads.services import create_lead
from templates_app.services import create_template

DEMO_TENANT = "デモ商事株式会社"
DEMO_USERS = [
    ("admin@demo.okuru.jp", "管理 花子", Role.ADMIN),
    ("manager@demo.okuru.jp", "部長 一郎", Role.MANAGER),
    ("rep1@demo.okuru.jp", "営業 太郎", Role.REP),
    ("rep2@demo.okuru.jp", "営業 次郎", Role.REP),
]
DEMO_SENDER_DOMAIN = "demo.okuru.jp"
DEMO_TEMPLATE = {
    "name": "新サービスのご案内",
    "subject": "【デモ商事】{{CompanyName}}様へ新サービスのご案内",
    "body_html": (
        "<p>{{CompanyName}}</p><p>{{FullName|ご担当者}} 様</p><p></p>"
        "<p>いつもお世話になっております。デモ商事の営業部です。</p>"
        "<p>このたび、営業活動を<strong>半分の手間</strong>で進められる新サービスを公開しました。</p>"
        '<p>詳しくは<a href="https://demo.okuru.jp/service">サービス紹介ページ</a>をご覧ください。</p><p></p>'
        "<p>{{Unsubscribe:メールの配信停止はこちら}}</p>"
    ),
}
DEMO_LISTS = [
    (
        "IT・製造の中堅企業",
        {
            "all": [
                {"field": "industry", "op": "in", "value": ["IT", "製造"]},
                {"field": "employees", "op": "between", "value": [50, 1000]},
            ]
        },
    ),
    (
        "東京の見込み客（配信停止なし）",
        {
            "all": [
                {"field": "prefecture", "op": "eq", "value": "東京都"},
                {"field": "unsubscribed", "op": "is", "value": False},
            ]
        },
    ),
    ("展示会タグ付き", {"all": [{"field": "tags", "op": "in", "value": ["展示会2026"]}]}),
]


class Command(BaseCommand):
    help = "Load the demo tenant (once) and print its logins."

    def handle(self, *args, **options):
        if Tenant.objects.filter(name=DEMO_TENANT).exists():
            self.stdout.write("Demo data already loaded.")
        else:
            self.load()
        self.print_logins()

    @transaction.atomic
    def load(self):
        (admin_email, admin_name, _role), *others = DEMO_USERS
        tenant, admin, _token = create_tenant(
            name=DEMO_TENANT, admin_email=admin_email, password=DEMO_PASSWORD, mail_plan=True
        )
        admin.name = admin_name
        admin.save(update_fields=["name"])
        users = [admin] + [
            create_user(tenant=tenant, email=email, password=DEMO_PASSWORD, role=role, name=name)
            for email, name, role in others
        ]
        rng = random.Random(2026)
        for fields in demo_leads(rng, count=300):
            create_lead(tenant=tenant, owner=rng.choice(users), **fields)
        for name, lead_filter in DEMO_LISTS:
            LeadList.objects.create(tenant=tenant, name=name, filter=lead_filter, created_by=admin)
        update_mail_settings(
            tenant,
            sender_domains=[DEMO_SENDER_DOMAIN],
            legal_sender_name=DEMO_TENANT,
            legal_postal_address="東京都千代田区丸の内一丁目1番1号 デモビル5階",
            legal_contact=f"https://{DEMO_SENDER_DOMAIN}/contact",
        )
        create_template(tenant, admin, **DEMO_TEMPLATE)
        rep = users[2]
        create_campaign(
            tenant,
            rep,
            name="新サービスのご案内（デモ）",
            subject=DEMO_TEMPLATE["subject"],
            body_html=DEMO_TEMPLATE["body_html"],
            lead_list=LeadList.objects.for_tenant(tenant).get(name=DEMO_LISTS[1][0]),
            from_name="デモ商事 営業部",
            from_email=f"sales@{DEMO_SENDER_DOMAIN}",
            reply_to=f"sales@{DEMO_SENDER_DOMAIN}",
        )
        self.stdout.write(
            self.style.SUCCESS("Demo data loaded: 300 leads, 3 lists, mail settings, a template and a draft campaign.")
        )

    def print_logins(self):
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for user in User.objects.filter(email__in=[email for email, _n, _r in DEMO_USERS]).order_by("id"):
            self.stdout.write(f"  {user.email:<26} {user.get_role_display()}")
