"""A tenant at the scale of a large customer, generated in PostgreSQL for benchmarks: a million leads and a
sent campaign with a million messages and three million events (`manage.py generate_scale_data`).

The leads are Japanese B2B contacts with realistic shapes:
- companies (leads // LEADS_PER_COMPANY of them, 株式会社…, …株式会社, 有限会社…, 合同会社…) with one
  domain each; a lead's company is skewed (a few large customers hold hundreds of contacts, most a handful);
- the company's prefecture weighted by population (2020 census), its industry and size weighted too;
- common family and given names by frequency, departments, titles, statuses, ten owners (and none);
- 1.5 % info@ addresses and 1 % shared team addresses (eigyo@, so duplicates), 0.2 % invalid ones;
- 2.5 % of the addresses on the suppression list from earlier opt-outs, 0–3 tags a lead;
- a list of every lead and one narrower list, and the sent campaign of campaigns.sent_campaign_data on
  the list of every lead: message n to the n-th recipient the real snapshot would pick.
Rows are written with INSERT ... SELECT generate_series (the companies with one multi-row INSERT into
a temporary table), picked by hashing the row number: the same sizes always give the same data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Role, Tenant, User
from campaigns.default_body import DEFAULT_BODY_HTML
from campaigns.models import Campaign, CampaignStatus, Message
from campaigns.selectors import classified_leads, recipient_breakdown, sendable_q
from campaigns.sent_campaign_data import delete_campaign_rows, load_sent_campaign
from leads.models import Lead, LeadList, Suppression, Tag
from leads.services import create_lead_list
from tracking.models import Event

DEFAULT_TENANT_NAME = "スケール検証株式会社"
LEADS_PER_COMPANY = 20
OWNERS = 10
CAMPAIGN_NAME = "新製品のご案内（100万通）"
LINKS = [
    "https://scale.example.jp/product",
    "https://scale.example.jp/seminar?id=7",
    "https://scale.example.jp/case-studies",
    "https://scale.example.jp/pricing",
    "https://scale.example.jp/contact",
]

# (name, population in 10,000s), 2020 census
PREFECTURES = [
    ("北海道", 522), ("青森県", 124), ("岩手県", 121), ("宮城県", 230), ("秋田県", 96), ("山形県", 107),
    ("福島県", 183), ("茨城県", 287), ("栃木県", 193), ("群馬県", 194), ("埼玉県", 734), ("千葉県", 628),
    ("東京都", 1405), ("神奈川県", 924), ("新潟県", 220), ("富山県", 103), ("石川県", 113), ("福井県", 77),
    ("山梨県", 81), ("長野県", 205), ("岐阜県", 198), ("静岡県", 363), ("愛知県", 754), ("三重県", 177),
    ("滋賀県", 141), ("京都府", 258), ("大阪府", 884), ("兵庫県", 547), ("奈良県", 132), ("和歌山県", 92),
    ("鳥取県", 55), ("島根県", 67), ("岡山県", 189), ("広島県", 280), ("山口県", 134), ("徳島県", 72),
    ("香川県", 95), ("愛媛県", 133), ("高知県", 69), ("福岡県", 514), ("佐賀県", 81), ("長崎県", 131),
    ("熊本県", 174), ("大分県", 112), ("宮崎県", 107), ("鹿児島県", 159), ("沖縄県", 147),
]  # fmt: skip
INDUSTRIES = [
    ("製造", 22), ("IT", 18), ("卸売", 10), ("小売", 9), ("建設", 8), ("医療・福祉", 6), ("金融", 5),
    ("不動産", 5), ("物流", 5), ("サービス", 5), ("飲食", 4), ("教育", 3),
]  # fmt: skip
EMPLOYEES = [(5, 25), (12, 20), (30, 18), (55, 12), (120, 10), (300, 7), (800, 4), (1500, 2), (5000, 2)]
STATUSES = [("new", 45), ("contacted", 30), ("qualified", 12), ("won", 6), ("lost", 7)]
COMPANY_STEMS = [
    ("山田", "yamada"), ("青空", "aozora"), ("日本", "nihon"), ("東京", "tokyo"), ("さくら", "sakura"),
    ("富士", "fuji"), ("みらい", "mirai"), ("大和", "yamato"), ("北斗", "hokuto"), ("光和", "kowa"),
    ("中央", "chuo"), ("新星", "shinsei"), ("丸の内", "marunouchi"), ("朝日", "asahi"), ("双葉", "futaba"),
    ("瑞穂", "mizuho"), ("東邦", "toho"), ("関西", "kansai"), ("九州", "kyushu"), ("北海", "hokkai"),
    ("三和", "sanwa"), ("太陽", "taiyo"), ("平和", "heiwa"), ("昭和", "showa"), ("栄光", "eiko"),
    ("協和", "kyowa"), ("第一", "daiichi"), ("明治", "meiji"), ("大同", "daido"), ("日進", "nisshin"),
    ("三栄", "san-ei"), ("共栄", "kyoei"), ("丸紅", "marubeni"), ("松風", "shofu"), ("若葉", "wakaba"),
    ("白鳥", "hakucho"), ("黒潮", "kuroshio"), ("千代田", "chiyoda"), ("浪速", "naniwa"), ("湘南", "shonan"),
]  # fmt: skip
COMPANY_KINDS = [
    ("商事", "shoji"), ("工業", "kogyo"), ("システム", "system"), ("製作所", "seisakusho"),
    ("ソリューションズ", "solutions"), ("物産", "bussan"), ("テクノロジー", "tech"), ("電機", "denki"),
    ("建設", "kensetsu"), ("食品", "foods"), ("化学", "kagaku"), ("精機", "seiki"), ("運輸", "unyu"),
    ("不動産", "fudosan"), ("産業", "sangyo"), ("薬品", "yakuhin"), ("ホールディングス", "hd"),
    ("コンサルティング", "consulting"), ("メディカル", "medical"), ("ネットワークス", "networks"),
    ("印刷", "insatsu"), ("鋼業", "kogyo-steel"), ("設備", "setsubi"), ("通商", "tsusho"), ("興産", "kosan"),
]  # fmt: skip
COMPANY_FORMS = [  # (name pattern, domain pattern)
    ("株式会社{}", "{}.co.jp"), ("{}株式会社", "{}-corp.co.jp"), ("有限会社{}", "{}.jp"), ("合同会社{}", "{}.com"),
]  # fmt: skip
BRANCHES = [
    ("", ""), ("東日本", "east"), ("西日本", "west"), ("関東", "kanto"), ("中部", "chubu"), ("近畿", "kinki"),
    ("中国", "chugoku"), ("四国", "shikoku"), ("東北", "tohoku"), ("北陸", "hokuriku"), ("九州", "q"),
    ("沖縄", "okinawa"), ("首都圏", "shutoken"),
]  # fmt: skip
LAST_NAMES = [
    ("佐藤", "sato", 18), ("鈴木", "suzuki", 17), ("高橋", "takahashi", 14), ("田中", "tanaka", 13),
    ("伊藤", "ito", 11), ("渡辺", "watanabe", 11), ("山本", "yamamoto", 11), ("中村", "nakamura", 10),
    ("小林", "kobayashi", 10), ("加藤", "kato", 9), ("吉田", "yoshida", 8), ("山田", "yamada", 8),
    ("佐々木", "sasaki", 7), ("山口", "yamaguchi", 6), ("松本", "matsumoto", 6), ("井上", "inoue", 6),
    ("木村", "kimura", 6), ("林", "hayashi", 5), ("斎藤", "saito", 5), ("清水", "shimizu", 5),
    ("山崎", "yamazaki", 4), ("森", "mori", 4), ("池田", "ikeda", 4), ("橋本", "hashimoto", 4),
    ("阿部", "abe", 4), ("石川", "ishikawa", 4), ("山下", "yamashita", 3), ("中島", "nakajima", 3),
    ("石井", "ishii", 3), ("小川", "ogawa", 3), ("前田", "maeda", 3), ("岡田", "okada", 3),
    ("長谷川", "hasegawa", 3), ("藤田", "fujita", 3), ("後藤", "goto", 3), ("近藤", "kondo", 3),
]  # fmt: skip
FIRST_NAMES = [
    ("翔太", "shota"), ("美咲", "misaki"), ("健一", "kenichi"), ("陽子", "yoko"), ("大輔", "daisuke"),
    ("さくら", "sakura"), ("拓也", "takuya"), ("真由美", "mayumi"), ("直樹", "naoki"), ("愛", "ai"),
    ("誠", "makoto"), ("由美", "yumi"), ("浩", "hiroshi"), ("恵子", "keiko"), ("隆", "takashi"),
    ("裕子", "yuko"), ("大樹", "daiki"), ("彩", "aya"), ("和也", "kazuya"), ("麻衣", "mai"),
    ("健太", "kenta"), ("明美", "akemi"), ("亮", "ryo"), ("香織", "kaori"), ("修", "osamu"),
    ("智子", "tomoko"), ("悠斗", "yuto"), ("結衣", "yui"), ("剛", "tsuyoshi"), ("奈々", "nana"),
]  # fmt: skip
DEPARTMENTS = [
    ("営業部", 30), ("マーケティング部", 12), ("情報システム部", 12), ("総務部", 10), ("経営企画部", 8),
    ("人事部", 8), ("購買部", 8), ("製造部", 6), ("経理部", 6),
]  # fmt: skip
TITLES = [("", 30), ("担当", 25), ("主任", 12), ("課長", 12), ("部長", 8), ("マネージャー", 6),
          ("取締役", 4), ("代表取締役", 3)]  # fmt: skip
TAGS = [  # (name, percent of leads)
    ("展示会2026", 12), ("ウェビナー参加", 10), ("資料請求", 8), ("重要顧客", 3), ("紹介", 4), ("休眠", 15),
    ("セミナー2025", 6), ("既存顧客", 5),
]  # fmt: skip
INFO_PER_MILLE = 15
TEAM_PER_MILLE = 10  # shared eigyo@ addresses: duplicates within a company
INVALID_PER_MILLE = 2
SUPPRESSED_PER_MILLE = 25


def weighted_slots(choices: list[tuple[str, int]] | list[tuple[int, int]]) -> list:
    """Each value repeated by its weight: a uniform pick of a slot is a weighted pick of a value."""
    return [value for value, weight in choices for _ in range(weight)]


@dataclass
class ScaleTenant:
    tenant: Tenant
    owners: list[User]
    all_leads: LeadList
    campaign: Campaign
    seconds: dict[str, float] = field(default_factory=dict)


def _execute(sql: str, params: list | tuple | dict | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.rowcount


def _h(salt: int | str, modulo: int | str, of: str = "n") -> str:
    """SQL for a well-mixed pseudo-random number in [0, modulo) of the integer expression `of`."""
    return f"((hashint8extended({of}, {salt}) & 9223372036854775807) %% {modulo})"


def _pick(array: str, salt: int, of: str = "n") -> str:
    """SQL picking an element of the parameter array named `array` (a weighted slot list) uniformly."""
    return f"(%({array})s::text[])[1 + {_h(salt, f'cardinality(%({array})s::text[])', of)}]"


def company_rows(count: int) -> list[tuple]:
    """(number, name, domain, industry, prefecture, employees) of `count` companies; number 0 is the largest."""
    prefectures = weighted_slots(PREFECTURES)
    industries = weighted_slots(INDUSTRIES)
    employees = weighted_slots(EMPLOYEES)
    rows = []
    stems, kinds, forms = len(COMPANY_STEMS), len(COMPANY_KINDS), len(COMPANY_FORMS)
    for number in range(count):
        stem, stem_romaji = COMPANY_STEMS[number % stems]
        kind, kind_romaji = COMPANY_KINDS[(number // stems) % kinds]
        form, domain_form = COMPANY_FORMS[(number // (stems * kinds)) % forms]
        generation = number // (stems * kinds * forms)
        branch, branch_romaji = BRANCHES[generation % len(BRANCHES)]
        suffix = "" if generation < len(BRANCHES) else str(generation // len(BRANCHES) + 1)
        name = form.format(f"{stem}{branch}{kind}{suffix}")
        label = "-".join(part for part in (stem_romaji, kind_romaji, branch_romaji) if part) + suffix
        mix = (number * 2654435761) % 4294967296
        size = employees[mix % len(employees)]
        if number < count // 50:  # the companies with the most contacts are the large ones
            size = (1500, 5000, 12000)[number % 3]
        rows.append(
            (number, name, domain_form.format(label), industries[(mix >> 8) % len(industries)],
             prefectures[(mix >> 4) % len(prefectures)], size)
        )  # fmt: skip
    return rows


def _load_companies(count: int) -> None:
    _execute("DROP TABLE IF EXISTS scale_company")  # a second run in one transaction (tests)
    _execute(
        "CREATE TEMPORARY TABLE scale_company (number int PRIMARY KEY, name text, domain text, industry text, "
        "prefecture text, employees int) ON COMMIT DROP"
    )
    rows = company_rows(count)
    with connection.cursor() as cursor:
        for first in range(0, len(rows), 5000):
            chunk = rows[first : first + 5000]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO scale_company VALUES {values}",  # noqa: S608 -- placeholders only
                [value for row in chunk for value in row],
            )


def _load_leads(tenant: Tenant, owners: list[User], count: int, companies: int) -> None:
    """`count` leads; lead n works at company floor(companies * u^1.5), u uniform: skewed to the first ones."""
    last_names = [name for name, _romaji, weight in LAST_NAMES for _ in range(weight)]
    last_romaji = [romaji for _name, romaji, weight in LAST_NAMES for _ in range(weight)]
    params = {
        "tenant": tenant.pk,
        "count": count,
        "companies": companies,
        "owners": [str(owner.pk) for owner in owners] + [""],
        "last_names": last_names,
        "last_romaji": last_romaji,
        "first_names": [name for name, _romaji in FIRST_NAMES],
        "first_romaji": [romaji for _name, romaji in FIRST_NAMES],
        "departments": weighted_slots(DEPARTMENTS),
        "titles": weighted_slots(TITLES),
        "statuses": weighted_slots(STATUSES),
        "now": timezone.now(),
    }
    table = Lead._meta.db_table
    _execute(
        f"""
        INSERT INTO {table} (tenant_id, owner_id, company_name, last_name, first_name, email, email_normalized,
            phone, department, title, industry, prefecture, employees, website, status, created_at, updated_at)
        SELECT %(tenant)s, NULLIF({_pick("owners", 1)}, '')::int, c.name,
            (%(last_names)s::text[])[1 + p.last], (%(first_names)s::text[])[1 + p.first],
            a.email, a.email, '0' || (3 + {_h(2, 7)}) || '-' || (1000 + {_h(3, 9000)}) || '-' || (1000 + {_h(4, 9000)}),
            {_pick("departments", 5)}, {_pick("titles", 6)}, c.industry, c.prefecture, c.employees,
            'https://www.' || c.domain || '/', {_pick("statuses", 7)},
            %(now)s - p.age, %(now)s - p.age * {_h(8, 100)} / 100.0
        FROM generate_series(1, %(count)s) AS n
        CROSS JOIN LATERAL (SELECT
            floor(%(companies)s * power(({_h(9, 1000000)})::float / 1000000, 1.5))::int AS company,
            {_h(10, 1000000)} AS last_draw,
            {_h(11, 1000)} AS address_kind,
            {_h(12, 1000)} AS first,
            interval '3 years' * power(({_h(13, 10000)})::float / 10000, 0.7) AS age
        ) AS d
        CROSS JOIN LATERAL (SELECT (d.last_draw %% cardinality(%(last_names)s::text[])) AS last,
                        (d.first %% cardinality(%(first_names)s::text[])) AS first, d.age) AS p
        JOIN scale_company AS c ON c.number = d.company
        CROSS JOIN LATERAL (SELECT CASE
            WHEN d.address_kind < {INFO_PER_MILLE} THEN 'info@' || c.domain
            WHEN d.address_kind < {INFO_PER_MILLE + TEAM_PER_MILLE} THEN 'eigyo@' || c.domain
            WHEN d.address_kind < {INFO_PER_MILLE + TEAM_PER_MILLE + INVALID_PER_MILLE}
                THEN (%(last_romaji)s::text[])[1 + p.last] || '@' || split_part(c.domain, '.', 1)
            ELSE (%(first_romaji)s::text[])[1 + p.first] || '.' || (%(last_romaji)s::text[])[1 + p.last] || n
                || '@' || c.domain END AS email
        ) AS a
        """,  # noqa: S608
        params,
    )


def _tag_leads(tenant: Tenant) -> None:
    """Each tag on its share of the tenant's leads, independently: 0-3 tags a lead, most with none or one."""
    tags = [Tag.objects.create(tenant=tenant, name=name) for name, _percent in TAGS]
    shares = ", ".join(f"({tag.pk}, {percent}, {100 + number})" for number, (tag, (_n, percent)) in
                       enumerate(zip(tags, TAGS, strict=True)))  # fmt: skip
    _execute(
        f"INSERT INTO {Lead.tags.through._meta.db_table} (lead_id, tag_id) "  # noqa: S608 -- numbers only
        f"SELECT lead.id, t.id FROM {Lead._meta.db_table} AS lead "
        f"JOIN (VALUES {shares}) AS t(id, percent, salt) ON {_h('t.salt', 100, of='lead.id')} "
        "< t.percent WHERE lead.tenant_id = %s",
        [tenant.pk],
    )


def _suppress_earlier_opt_outs(tenant: Tenant) -> None:
    """SUPPRESSED_PER_MILLE of the leads' addresses were unsubscribed, bounced or added by hand before."""
    _execute(
        f"""
        INSERT INTO {Suppression._meta.db_table} (tenant_id, email_normalized, reason, source, created_at)
        SELECT DISTINCT ON (email_normalized) tenant_id, email_normalized,
            CASE {_h(21, 10, of="id")} WHEN 0 THEN 'hard_bounce' WHEN 1 THEN 'manual' ELSE 'unsubscribed' END,
            '', created_at + interval '1 day'
        FROM {Lead._meta.db_table}
        WHERE tenant_id = %s AND {_h(20, 1000, of="id")} < {SUPPRESSED_PER_MILLE}
        ORDER BY email_normalized, id
        ON CONFLICT (tenant_id, email_normalized) DO NOTHING
        """,  # noqa: S608
        [tenant.pk],
    )


def _lists(tenant: Tenant, owner: User) -> LeadList:
    create_lead_list(
        tenant=tenant,
        name="関東のIT・製造（配信停止なし）",
        filter={
            "all": [
                {"field": "industry", "op": "in", "value": ["IT", "製造"]},
                {"field": "prefecture", "op": "in", "value": ["東京都", "神奈川県", "埼玉県", "千葉県"]},
                {"field": "unsubscribed", "op": "is", "value": False},
            ]
        },
        created_by=owner,
    )
    return create_lead_list(tenant=tenant, name="全リード", filter={"all": []}, created_by=owner)


def _sent_campaign(tenant: Tenant, owner: User, lead_list: LeadList, *, messages: int, events: int) -> Campaign:
    """The campaign sent to every lead 15 days ago: its recipients are those the snapshot would pick (one lead
    per sendable address, the newest), then addresses of leads deleted since if `messages` is larger."""
    breakdown = recipient_breakdown(lead_list)
    campaign = Campaign.objects.create(
        tenant=tenant,
        owner=owner,
        name=CAMPAIGN_NAME,
        subject="{{CompanyName}} {{LastName}}様へ新製品のご案内",
        body_html=DEFAULT_BODY_HTML,
        lead_list=lead_list,
        from_name="スケール検証 営業部",
        from_email="sales@scale.example.jp",
        reply_to="reply@scale.example.jp",
        status=CampaignStatus.SENDING,
        queued_at=timezone.now() - timedelta(days=15),
        started_at=timezone.now() - timedelta(days=15),
        recipients_total=messages,
        exclusions=breakdown.excluded,
        link_urls=LINKS,
    )
    recipients = (
        classified_leads(lead_list)
        .filter(sendable_q(lead_list.tenant_id))
        .order_by("email_normalized", "-created_at", "-id")
        .distinct("email_normalized")
    )
    load_sent_campaign(campaign, messages=messages, events=events, recipients=recipients)
    return campaign


def generate_scale_tenant(
    *, name: str = DEFAULT_TENANT_NAME, leads: int, messages: int, events: int, log=print
) -> ScaleTenant:
    """A new tenant with `leads` leads, its lists and one sent campaign with `messages` messages and `events`
    events, in one transaction; then VACUUM ANALYZE of what it wrote (when not inside a transaction)."""
    seconds: dict[str, float] = {}

    def step(label: str, started: float) -> float:
        seconds[label] = round(time.perf_counter() - started, 1)
        log(f"{label}: {seconds[label]} s")
        return time.perf_counter()

    started = time.perf_counter()
    with transaction.atomic():
        tenant = Tenant.objects.create(name=name, has_mail_plan=True, send_rate_per_second=1000)
        owners = [
            User.objects.create_user(
                email=f"rep{number}.t{tenant.pk}@scale.example.jp", tenant=tenant, role=Role.REP, password=None
            )
            for number in range(1, OWNERS + 1)
        ]
        _load_companies(max(1, leads // LEADS_PER_COMPANY))
        _load_leads(tenant, owners, leads, max(1, leads // LEADS_PER_COMPANY))
        started = step("leads_s", started)
        _tag_leads(tenant)
        _suppress_earlier_opt_outs(tenant)
        all_leads = _lists(tenant, owners[0])
        _execute(f"ANALYZE {Lead._meta.db_table}")
        started = step("tags_suppressions_lists_s", started)
        campaign = _sent_campaign(tenant, owners[0], all_leads, messages=messages, events=events)
        started = step("campaign_messages_events_s", started)
    if not connection.in_atomic_block:
        with connection.cursor() as cursor:
            # the UPDATE of the first-time timestamps left a dead copy of every message row: as autovacuum
            # would over time, and so that the sizes reported are those of the live rows
            cursor.execute(f"VACUUM FULL ANALYZE {Message._meta.db_table}")
            for model in (Lead, Suppression, Lead.tags.through):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
            cursor.execute("VACUUM ANALYZE")
        step("vacuum_s", started)
    return ScaleTenant(tenant, owners, all_leads, campaign, seconds)


def existing_scale_tenant(*, name: str, leads: int, messages: int, events: int) -> ScaleTenant | None:
    """The tenant generated before with these sizes, or None."""
    tenant = Tenant.objects.filter(name=name).order_by("id").first()
    if tenant is None:
        return None
    campaign = Campaign.objects.filter(tenant=tenant, name=CAMPAIGN_NAME, status=CampaignStatus.SENT).first()
    all_leads = LeadList.objects.filter(tenant=tenant, name="全リード").first()
    if campaign is None or all_leads is None:
        return None
    if (
        Lead.objects.filter(tenant=tenant).count() != leads
        or Message.objects.filter(campaign=campaign).count() != messages
        or Event.objects.filter(campaign_id=campaign.pk).count() != events
    ):
        return None
    owners = list(User.objects.filter(tenant=tenant, role=Role.REP).order_by("id"))
    return ScaleTenant(tenant, owners, all_leads, campaign)


def drop_tenant_data(tenant: Tenant) -> None:
    """Delete a generated tenant with everything it holds, set-based (the ORM's collector goes row by row)."""
    campaign_ids = list(Campaign.objects.filter(tenant=tenant).values_list("id", flat=True))
    delete_campaign_rows(campaign_ids)
    lead_table = Lead._meta.db_table
    _execute(
        f"DELETE FROM {Lead.tags.through._meta.db_table} WHERE lead_id IN "  # noqa: S608
        f"(SELECT id FROM {lead_table} WHERE tenant_id = %s)",
        [tenant.pk],
    )
    for model in (Lead, Suppression):
        _execute(f"DELETE FROM {model._meta.db_table} WHERE tenant_id = %s", [tenant.pk])  # noqa: S608
    Campaign.objects.filter(tenant=tenant).delete()  # before the owners (PROTECT)
    tenant.delete()


def ensure_scale_tenant(
    *, name: str = DEFAULT_TENANT_NAME, leads: int, messages: int, events: int, replace: bool = False, log=print
) -> tuple[ScaleTenant, bool]:
    """The tenant with these sizes: kept when it is there (False), else generated anew (True), after deleting
    any tenant of that name with other sizes."""
    sizes = {"name": name, "leads": leads, "messages": messages, "events": events}
    existing = None if replace else existing_scale_tenant(**sizes)
    if existing is not None:
        return existing, False
    for tenant in Tenant.objects.filter(name=name):
        log(f"deleting tenant {tenant.pk} ({name}) of other sizes")
        drop_tenant_data(tenant)
    return generate_scale_tenant(**sizes, log=log), True
