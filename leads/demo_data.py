"""Generated Japanese B2B leads for the demo tenant and the benchmarks."""

from __future__ import annotations

import random
from collections.abc import Iterator

DEMO_PASSWORD = "okuru-demo-2026"  # noqa: S105 - the documented demo login, printed by seed_demo

COMPANY_STEMS = [
    "山田",
    "青空",
    "日本",
    "東京",
    "さくら",
    "富士",
    "みらい",
    "大和",
    "北斗",
    "光和",
    "中央",
    "新星",
    "丸の内",
    "朝日",
    "双葉",
    "瑞穂",
    "東邦",
    "関西",
    "九州",
    "北海",
]
COMPANY_KINDS = [
    "商事",
    "工業",
    "システム",
    "製作所",
    "ソリューションズ",
    "物産",
    "テクノロジー",
    "電機",
    "建設",
    "食品",
]
ROMAJI = {
    "山田": "yamada",
    "青空": "aozora",
    "日本": "nihon",
    "東京": "tokyo",
    "さくら": "sakura",
    "富士": "fuji",
    "みらい": "mirai",
    "大和": "yamato",
    "北斗": "hokuto",
    "光和": "kowa",
    "中央": "chuo",
    "新星": "shinsei",
    "丸の内": "marunouchi",
    "朝日": "asahi",
    "双葉": "futaba",
    "瑞穂": "mizuho",
    "東邦": "toho",
    "関西": "kansai",
    "九州": "kyushu",
    "北海": "hokkai",
}
KIND_ROMAJI = {
    "商事": "shoji",
    "工業": "kogyo",
    "システム": "system",
    "製作所": "seisakusho",
    "ソリューションズ": "solutions",
    "物産": "bussan",
    "テクノロジー": "tech",
    "電機": "denki",
    "建設": "kensetsu",
    "食品": "foods",
}
LAST_NAMES = [
    ("佐藤", "sato"),
    ("鈴木", "suzuki"),
    ("高橋", "takahashi"),
    ("田中", "tanaka"),
    ("伊藤", "ito"),
    ("渡辺", "watanabe"),
    ("山本", "yamamoto"),
    ("中村", "nakamura"),
    ("小林", "kobayashi"),
    ("加藤", "kato"),
    ("吉田", "yoshida"),
    ("山口", "yamaguchi"),
    ("松本", "matsumoto"),
    ("井上", "inoue"),
]
FIRST_NAMES = [
    ("翔太", "shota"),
    ("美咲", "misaki"),
    ("健一", "kenichi"),
    ("陽子", "yoko"),
    ("大輔", "daisuke"),
    ("さくら", "sakura"),
    ("拓也", "takuya"),
    ("真由美", "mayumi"),
    ("直樹", "naoki"),
    ("愛", "ai"),
    ("誠", "makoto"),
    ("由美", "yumi"),
]
PREFECTURES = (
    ["東京都"] * 8
    + ["大阪府"] * 4
    + ["神奈川県"] * 3
    + ["愛知県"] * 3
    + ["福岡県", "北海道", "埼玉県", "千葉県", "兵庫県", "京都府", "宮城県", "広島県", "静岡県", "沖縄県"]
)
INDUSTRIES = ["IT"] * 4 + ["製造"] * 3 + ["小売", "金融", "不動産", "医療", "建設", "物流", "教育", "飲食"]
DEPARTMENTS = ["営業部", "マーケティング部", "情報システム部", "総務部", "経営企画部", "人事部"]
TITLES = ["部長", "課長", "主任", "担当", "代表取締役", "マネージャー", ""]
STATUSES = ["new"] * 5 + ["contacted"] * 3 + ["qualified", "won", "lost"]
TAGS = ["展示会2026", "ウェビナー参加", "資料請求", "重要顧客", "紹介"]


def demo_leads(rng: random.Random, count: int) -> Iterator[dict]:
    """Leads with many contacts per company domain, some info@ addresses and a few shared ones."""
    companies = [(stem, kind) for stem in COMPANY_STEMS for kind in COMPANY_KINDS]
    rng.shuffle(companies)
    companies = companies[: max(1, count // 4)]
    previous_email = None
    for number in range(count):
        stem, kind = companies[number % len(companies)]
        domain = f"{ROMAJI[stem]}-{KIND_ROMAJI[kind]}.co.jp"
        last, last_romaji = rng.choice(LAST_NAMES)
        first, first_romaji = rng.choice(FIRST_NAMES)
        if number % 40 == 7:
            email = f"info@{domain}"
        elif number % 75 == 11 and previous_email:
            email = previous_email  # two people sharing one address, as happens in real CRMs
        else:
            email = f"{first_romaji}.{last_romaji}{number}@{domain}"
        previous_email = email
        yield {
            "company_name": f"株式会社{stem}{kind}",
            "last_name": last,
            "first_name": first,
            "email": email,
            "phone": f"03-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
            "department": rng.choice(DEPARTMENTS),
            "title": rng.choice(TITLES),
            "industry": rng.choice(INDUSTRIES),
            "prefecture": rng.choice(PREFECTURES),
            "employees": rng.choice([5, 12, 30, 55, 120, 300, 800, 1500, 5000]),
            "website": f"https://www.{domain}/",
            "status": rng.choice(STATUSES),
            "tags": rng.sample(TAGS, k=rng.choice([0, 0, 1, 1, 2])),
        }
