"""A corpus of hostile values (tests/data/hostile_values.jsonl) pushed through every form of the screens.

Each test sends every value of the corpus and proves three things:
- nothing answers 500;
- a value a field accepts is stored unchanged, except the documented normalisations named where
  they apply (form fields and API text fields are trimmed; bytes that are not UTF-8 arrive as U+FFFD
  through form posts; rich-text bodies are reduced to the bleach allow-list);
- a value a field refuses is refused with an error on that field (a form error beside it, or a 400
  naming it), and pages that show stored values contain none of their markup unescaped.

The corpus loader, the wire helpers and the page check live here; the API, CSV import and public
endpoint modules (test_hostile_inputs_*.py) and the browser test import them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest

from leads.csv_import import TEXT_FIELDS

CORPUS = Path(__file__).parent / "data" / "hostile_values.jsonl"
KINDS = (
    "xss",
    "template_injection",
    "sql",
    "filter_language",
    "header_injection",
    "overlong",
    "control",
    "unicode",
    "csv_formula",
    "path",
    "merge_tag",
    "japanese",
)


@dataclass(frozen=True)
class Hostile:
    number: int  # 1-based line of the corpus file
    kind: str
    value: str

    def __str__(self) -> str:
        shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
        return f"#{self.number} {self.kind} {shown!r}"


@cache
def hostile_values() -> tuple[Hostile, ...]:
    """The corpus: one JSON object a line, {"kind", "value"} and for long values {"repeat", "prefix", "suffix"}.

    JSON's escapes carry what a text file cannot show: NUL and other control characters, CR/LF, and
    lone surrogates ("\\ud800"), which are kept as they are (the tests decide how each reaches the server).
    """
    values = []
    for number, line in enumerate(CORPUS.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        entry = json.loads(line)
        value = entry.get("prefix", "") + entry["value"] * entry.get("repeat", 1) + entry.get("suffix", "")
        values.append(Hostile(number, entry["kind"], value))
    return tuple(values)


def test_the_corpus_is_large_and_covers_every_kind():
    values = hostile_values()
    assert len(values) >= 200
    assert {value.kind for value in values} == set(KINDS)
    assert len({value.value for value in values}) == len(values)
    assert any(len(value.value) >= 10_000 for value in values)
    assert any(has_lone_surrogate(value.value) for value in values)
    assert any("\x00" in value.value for value in values)


# ---------------------------------------------------------------------------------------------
# How a value travels


def has_lone_surrogate(text: str) -> bool:
    return any("\ud800" <= character <= "\udfff" for character in text)


def through_a_form(value: str) -> str:
    """The value as a form post delivers it: sent as UTF-8 (a lone surrogate as its raw bytes), decoded by
    Django with errors="replace", so bytes that are not UTF-8 arrive as U+FFFD (documented normalisation)."""
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def post_form(client, url: str, data: dict, **extra):
    """POST urlencoded exactly as given (Django's test client would refuse to encode a lone surrogate)."""
    body = urlencode(data, doseq=True, encoding="utf-8", errors="surrogatepass")
    return client.post(url, body, content_type="application/x-www-form-urlencoded", **extra)


def send_json(client, method: str, url: str, payload) -> object:
    """JSON with \\u escapes (ensure_ascii), so lone surrogates and NUL reach the server as a client can send them."""
    return getattr(client, method)(url, json.dumps(payload), content_type="application/json")


def answers_500s(client):
    """The client reports a server error as a 500 response (collected as a finding) instead of raising it."""
    client.raise_request_exception = False
    return client


class Findings(list):
    """Problems collected over the whole corpus, reported together at the end."""

    def check(self, condition: bool, hostile: Hostile | str, problem: str) -> bool:
        if not condition:
            self.append(f"{hostile}: {problem}")
        return condition

    def assert_none(self) -> None:
        assert not self, f"{len(self)} problems:\n" + "\n".join(self[:40])


# ---------------------------------------------------------------------------------------------
# Output escaping


class _PageScanner(HTMLParser):
    """Finds markup a stored value could have brought into a page: scripts, handlers, script URLs."""

    URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "srcdoc_url"})
    FOREIGN_TAGS = frozenset(
        {"math", "object", "embed", "base", "meta", "marquee", "video", "source", "x"}
    )  # svg: icons

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        static = (attributes.get("src") or "").startswith("/static/") or attributes.get("type") == "application/json"
        if tag == "script" and not static:
            self.problems.append(f"inline <script> {attrs}")
        if tag in self.FOREIGN_TAGS and not (tag == "meta" and "http-equiv" not in attributes):
            self.problems.append(f"<{tag}> in the page")
        if tag == "iframe" and "allow-scripts" in (attributes.get("sandbox") or "allow-scripts"):
            self.problems.append(f"<iframe> without a script-free sandbox {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name}={value!r} on <{tag}>")
            if name in self.URL_ATTRIBUTES and value:
                squeezed = re.sub(r"[\s\x00-\x1f]+", "", value).lower()
                if squeezed.startswith(("javascript:", "vbscript:", "data:text/html")):
                    self.problems.append(f"script URL {name}={value!r} on <{tag}>")


MARKUP = re.compile(r"[<>\"']")  # not "&" alone: "&lt;script&gt;" is how another value is rightly shown


def shows_markup(value: str) -> bool:
    """Values whose escaping a page can get wrong: they hold <, >, " or '."""
    return MARKUP.search(value) is not None


def page_problems(html: str, values: list[str] = ()) -> list[str]:
    """Unescaped markup in a page: the scanner's findings, and any of `values` (with markup) verbatim."""
    scanner = _PageScanner()
    scanner.feed(html)
    scanner.close()
    problems = scanner.problems
    for value in values:
        if len(value) >= 6 and MARKUP.search(value) and value in html:
            problems.append(f"value shown unescaped: {value[:60]!r}")
    return problems


def check_page(findings: Findings, response, hostile: Hostile | str, values: list[str] = ()) -> None:
    if not findings.check(response.status_code == 200, hostile, f"page answered {response.status_code}"):
        return
    html = response.content.decode("utf-8", "replace")
    for problem in page_problems(html, values):
        findings.append(f"{hostile}: {problem}")


def form_errors(response, name: str = "form") -> dict[str, list[str]]:
    """The errors of the page's form (context `name`), by field; {} when the post was accepted."""
    if response.status_code in (301, 302):
        return {}
    context = response.context
    form = context.get(name) if context else None
    if form is None:
        return {"(no form)": [f"status {response.status_code}"]}
    return {name: list(messages) for name, messages in form.errors.items()}


# ---------------------------------------------------------------------------------------------
# The screens' forms


def form_text(value: str, max_length: int | None, *, required: bool = False) -> tuple[bool, str]:
    """(accepted, stored) for a Django form CharField: the value as the post delivers it, trimmed (documented);
    NUL, more than max_length characters, or nothing when required are refused beside the field."""
    stored = through_a_form(value).strip()
    refused = "\x00" in stored or (max_length is not None and len(stored) > max_length) or (required and not stored)
    return not refused, stored


def redirected_id(response) -> int:
    return int(re.search(r"/(\d+)/", response["Location"]).group(1))


@pytest.fixture
def screens(bob_client):
    return answers_500s(bob_client)


@pytest.fixture
def admin_screens(alice_client):
    return answers_500s(alice_client)


LEAD_FORM_TEXT = TEXT_FIELDS  # the lead's free-text fields, as the import knows them


def test_lead_form_create_and_edit_store_each_value_or_name_the_field(screens, tenant_a):
    from leads.models import Lead

    findings = Findings()
    shown: list[str] = []
    for hostile in hostile_values():
        expected = {name: form_text(hostile.value, Lead._meta.get_field(name).max_length) for name in LEAD_FORM_TEXT}
        tags_ok, tags_text = form_text(hostile.value, 1000)
        tags = [name.strip() for name in re.split("[;；,]", tags_text) if name.strip()]
        tags_ok = tags_ok and all(len(name) <= 50 for name in tags)
        refused = {name for name, (ok, _stored) in expected.items() if not ok} | (set() if tags_ok else {"tags_text"})
        data = dict.fromkeys(LEAD_FORM_TEXT, hostile.value) | {"tags_text": hostile.value, "status": "new"}
        data["email"] = f"form{hostile.number}@example.jp"
        response = post_form(screens, "/leads/new/", data)
        if response.status_code == 200:
            findings.check(set(form_errors(response)) == refused, hostile, f"form errors {form_errors(response)}")
            check_page(findings, response, hostile, [hostile.value])
            data |= dict.fromkeys(refused, "")
            response = post_form(screens, "/leads/new/", data)
        else:
            findings.check(not refused, hostile, f"accepted although {refused} should be refused")
        if not findings.check(response.status_code == 302, hostile, f"create answered {response.status_code}"):
            continue
        lead = Lead.objects.get(pk=redirected_id(response))
        for name, (ok, value) in expected.items():
            if ok:
                findings.check(getattr(lead, name) == value, hostile, f"{name} stored as {getattr(lead, name)[:60]!r}")
                shown.append(value)
        if tags_ok:
            stored_tags = sorted(lead.tags.values_list("name", flat=True))
            findings.check(stored_tags == sorted(set(tags)), hostile, f"tags stored as {stored_tags[:3]}")
        # every value is on the index pages below; markup on the lead's own page, quotes in its form's inputs
        if "<" in hostile.value:
            check_page(findings, screens.get(f"/leads/{lead.pk}/"), hostile, [hostile.value])
        if '"' in hostile.value or "'" in hostile.value:
            check_page(findings, screens.get(f"/leads/{lead.pk}/edit/"), hostile, [hostile.value])
        if hostile.kind in PLAIN_TEXT_KINDS:
            continue
        # the edit form posted back as it shows the lead keeps every value
        resubmitted = {name: getattr(lead, name) for name in (*LEAD_FORM_TEXT, "email", "status")}
        resubmitted["tags_text"] = "; ".join(lead.tags.values_list("name", flat=True))
        again = post_form(screens, f"/leads/{lead.pk}/edit/", resubmitted)
        findings.check(again.status_code == 302, hostile, f"edit answered {again.status_code} {form_errors(again)}")
        lead.refresh_from_db()
        for name, (ok, value) in expected.items():
            if ok:
                findings.check(getattr(lead, name) == value, hostile, f"{name} changed by the edit form")
    for number in range(1, len(hostile_values()) // 50 + 2):
        check_page(findings, screens.get(f"/leads/?page={number}"), f"lead index page {number}", shown)
    findings.assert_none()


def index_pages(findings: Findings, client, url: str, count: int, per_page: int, values: list[str]) -> None:
    for number in range(1, count // per_page + 2):
        check_page(findings, client.get(url, {"page": number}), f"{url} page {number}", values)


# Lead lists: the filter screen (絞り込み)

TEXT_SEPARATORS = re.compile(r"[,，\n\r]+")


def filter_screen_value(value: str) -> tuple[bool, str | list[str] | None]:
    """What the filter screen makes of a typed text value (leads.filter_form, documented there): trimmed,
    split at commas and line breaks into alternatives (OR), each trimmed; refused when nothing is left,
    or a piece is longer than 500 characters or holds NUL. (accepted, the condition's value)."""
    typed = through_a_form(value).strip()[:5000]
    pieces = list(dict.fromkeys(piece.strip() for piece in TEXT_SEPARATORS.split(typed) if piece.strip()))
    if not pieces or any(len(piece) > 500 or "\x00" in piece for piece in pieces):
        return False, None
    return True, pieces[0] if len(pieces) == 1 else pieces


def filter_screen_post(name: str, value: str) -> dict:
    return {
        "name": name,
        "row": "k1",
        "cond-k1-field": "company_name",
        "cond-k1-kind": "text",
        "cond-k1-op": "contains",
        "cond-k1-value": value,
    }


def test_lead_list_screen_saves_each_name_and_filter_value_or_names_the_problem(screens, tenant_a):
    from leads.models import LeadList

    findings = Findings()
    shown: list[str] = []
    for hostile in hostile_values():
        name_ok, name = form_text(hostile.value, 200, required=True)
        filter_ok, filter_value = filter_screen_value(hostile.value)
        data = filter_screen_post(hostile.value, hostile.value)
        if hostile.kind not in ("overlong", "csv_formula", "path", "template_injection"):  # the live preview
            preview = post_form(screens, "/leads/lists/preview/", data)
            check_page(findings, preview, f"preview {hostile}", [hostile.value])
        response = post_form(screens, "/leads/lists/new/", data)
        if response.status_code == 200:
            row_error = response.context["screen"].rows[0].error
            findings.check(set(form_errors(response)) == (set() if name_ok else {"name"}), hostile, "name error")
            findings.check(bool(row_error) != filter_ok, hostile, f"row error {row_error!r}")
            check_page(findings, response, hostile, [hostile.value])
            data = filter_screen_post(name if name_ok else f"リスト{hostile.number}", hostile.value)
            if not filter_ok:
                data["cond-k1-value"] = "株式会社"
            response = post_form(screens, "/leads/lists/new/", data)
        else:
            findings.check(name_ok and filter_ok, hostile, "saved although it should be refused")
        if not findings.check(response.status_code == 302, hostile, f"save answered {response.status_code}"):
            continue
        lead_list = LeadList.objects.get(pk=redirected_id(response))
        if name_ok:
            findings.check(lead_list.name == name, hostile, f"name stored as {lead_list.name[:60]!r}")
            shown.append(name)
        if filter_ok:
            condition = {"field": "company_name", "op": "contains", "value": filter_value}
            findings.check(lead_list.filter == {"all": [condition]}, hostile, f"filter stored as {lead_list.filter}")
        if shows_markup(hostile.value):
            check_page(findings, screens.get(f"/leads/lists/{lead_list.pk}/"), hostile, [hostile.value])
            check_page(findings, screens.get(f"/leads/lists/{lead_list.pk}/edit/"), hostile, [hostile.value])
    index_pages(findings, screens, "/leads/lists/", len(shown), 25, shown)
    findings.assert_none()


# Templates


def test_template_form_saves_each_value_or_names_the_field(screens, tenant_a):
    from campaigns.body_html import clean_body_html
    from campaigns.merge_tags import merge_tag_problems
    from campaigns.rendering import content_problems
    from templates_app.models import EmailTemplate

    findings = Findings()
    names_taken: set[str] = set()
    for hostile in hostile_values():
        name_ok, name = form_text(hostile.value, 200, required=True)
        subject_ok, subject = form_text(hostile.value, 255)
        body_ok, typed_body = form_text(hostile.value, None)
        body = clean_body_html(typed_body)  # documented: the body is reduced to the allow-list
        name_ok = name_ok and name not in names_taken
        subject_ok = subject_ok and "\r" not in subject and "\n" not in subject
        subject_ok = subject_ok and not merge_tag_problems(subject, unsubscribe_allowed=False)
        body_ok = body_ok and not content_problems(subject="", body_html=body).get("body_html")
        refused = {
            field for field, ok in (("name", name_ok), ("subject", subject_ok), ("body_html", body_ok)) if not ok
        }
        data = dict.fromkeys(("name", "subject", "body_html"), hostile.value)
        response = post_form(screens, "/templates/new/", data)
        if response.status_code == 200:
            findings.check(set(form_errors(response)) == refused, hostile, f"form errors {form_errors(response)}")
            check_page(findings, response, hostile, [hostile.value])
            replacements = {"name": f"テンプレート{hostile.number}", "subject": "件名", "body_html": "<p>本文</p>"}
            data |= {field: replacements[field] for field in refused}
            response = post_form(screens, "/templates/new/", data)
        else:
            findings.check(not refused, hostile, f"saved although {refused} should be refused")
        if not findings.check(response.status_code == 302, hostile, f"save answered {response.status_code}"):
            continue
        template = EmailTemplate.objects.get(tenant=tenant_a, name=name if name_ok else data["name"])
        names_taken.add(template.name)
        expected = {"name": name, "subject": subject, "body_html": body}
        for field, value in expected.items():
            if field not in refused:
                findings.check(getattr(template, field) == value, hostile, f"{field} stored differently")
        for problem in page_problems(template.body_html):
            findings.append(f"{hostile}: stored body keeps {problem}")
        resubmitted = {field: getattr(template, field) for field in expected}
        again = post_form(screens, f"/templates/{template.pk}/edit/", resubmitted)
        findings.check(again.status_code == 302, hostile, f"edit answered {again.status_code} {form_errors(again)}")
        template.refresh_from_db()
        findings.check(
            resubmitted == {field: getattr(template, field) for field in expected}, hostile, "edit changed it"
        )
        if shows_markup(hostile.value):
            check_page(findings, screens.get(f"/templates/{template.pk}/edit/"), hostile, [hostile.value])
    index_pages(findings, screens, "/templates/", len(names_taken), 50, sorted(names_taken))
    findings.assert_none()


# The campaign composer


def test_composer_saves_each_value_as_a_draft_or_names_the_field(screens, tenant_a):
    from campaigns.body_html import clean_body_html
    from campaigns.models import Campaign

    findings = Findings()
    shown: list[str] = []
    for hostile in hostile_values():
        name_ok, name = form_text(hostile.value, 200, required=True)
        subject_ok, subject = form_text(hostile.value, 255)
        body_ok, typed_body = form_text(hostile.value, None)
        from_ok, from_name = form_text(hostile.value, 100)
        subject_ok = subject_ok and "\r" not in subject and "\n" not in subject
        from_ok = from_ok and "\r" not in from_name and "\n" not in from_name  # a header line, like the subject
        expected = {"name": name, "subject": subject, "body_html": clean_body_html(typed_body), "from_name": from_name}
        checks = (("name", name_ok), ("subject", subject_ok), ("body_html", body_ok), ("from_name", from_ok))
        refused = {field for field, ok in checks if not ok}
        data = dict.fromkeys(expected, hostile.value) | {
            "from_email": "sales@alpha.example",
            "reply_to": "reply@alpha.example",
            "delivery": "now",
            "action": "save_draft",
        }
        response = post_form(screens, "/campaigns/new/", data)
        if response.status_code == 422:
            findings.check(set(form_errors(response)) == refused, hostile, f"form errors {form_errors(response)}")
            check_page_422 = response.content.decode("utf-8", "replace")
            for problem in page_problems(check_page_422, [hostile.value]):
                findings.append(f"{hostile}: {problem}")
            replacements = {
                "name": "キャンペーン",
                "subject": "件名",
                "body_html": "<p>本文</p>",
                "from_name": "営業部",
            }
            data |= {field: replacements[field] for field in refused}
            response = post_form(screens, "/campaigns/new/", data)
        else:
            findings.check(not refused, hostile, f"saved although {refused} should be refused")
        if not findings.check(response.status_code == 302, hostile, f"save answered {response.status_code}"):
            continue
        campaign = Campaign.objects.get(pk=redirected_id(response))
        for field, value in expected.items():
            if field not in refused:
                findings.check(getattr(campaign, field) == value, hostile, f"{field} stored differently")
        if name_ok:
            shown.append(name)
        for problem in page_problems(campaign.body_html):
            findings.append(f"{hostile}: stored body keeps {problem}")
        if "<" in hostile.value:  # every name is on the index pages below
            check_page(findings, screens.get(f"/campaigns/{campaign.pk}/edit/"), hostile, [hostile.value])
        if hostile.kind == "xss":
            for page in ("", "confirm/"):
                check_page(findings, screens.get(f"/campaigns/{campaign.pk}/{page}"), hostile, [hostile.value])
    index_pages(findings, screens, "/campaigns/", len(shown), 50, shown)
    findings.assert_none()


# Mail settings and users (admins)


def test_mail_settings_form_saves_each_value_or_names_the_field(admin_screens, tenant_a):
    from django.core.exceptions import ValidationError

    from accounts.models import SenderDomain, Tenant
    from accounts.sender_domains import normalize_sender_domain
    from accounts.services import clean_legal_contact

    findings = Findings()
    domains: set[str] = set()
    for hostile in hostile_values():
        name_ok, name = form_text(hostile.value, 200)
        address_ok, address = form_text(hostile.value, 300)
        contact_ok, contact = form_text(hostile.value, 320)
        try:
            contact_ok = contact_ok and clean_legal_contact(contact) is not None
        except ValidationError:
            contact_ok = False
        refused = {
            field
            for field, ok in (
                ("legal_sender_name", name_ok),
                ("legal_postal_address", address_ok),
                ("legal_contact", contact_ok),
            )
            if not ok
        }
        data = dict.fromkeys(("legal_sender_name", "legal_postal_address", "legal_contact"), hostile.value)
        response = post_form(admin_screens, "/settings/mail/", data | {"send_rate_per_second": "20"})
        if response.status_code == 200:
            errors = form_errors(response, "legal_form")
            findings.check(set(errors) == refused, hostile, f"form errors {errors}")
            check_page(findings, response, hostile, [hostile.value])
        elif findings.check(response.status_code == 302 and not refused, hostile, f"answered {response.status_code}"):
            tenant = Tenant.objects.get(pk=tenant_a.pk)
            stored = (tenant.legal_sender_name, tenant.legal_postal_address)
            findings.check(stored == (name, address), hostile, f"stored as {stored}")
            if "<" in hostile.value:
                check_page(findings, admin_screens.get("/settings/mail/"), hostile, [hostile.value])
        try:
            domain = normalize_sender_domain(through_a_form(hostile.value).strip()[:1000])
            domain_ok = domain not in domains and len(through_a_form(hostile.value).strip()) <= 1000
        except ValidationError:
            domain_ok = False
        if hostile.kind in ("xss", "template_injection", "merge_tag", "csv_formula", "overlong"):
            continue  # refused as any non-domain is; the domain form takes the domain-like tricks below
        added = post_form(admin_screens, "/settings/mail/domains/", {"domain": hostile.value})
        if domain_ok:
            domains.add(domain)
            findings.check(added.status_code == 302, hostile, f"domain answered {added.status_code}")
        else:
            errors = form_errors(added, "domain_form")
            findings.check(set(errors) == {"domain"}, hostile, f"domain {errors}")
    stored_domains = set(SenderDomain.objects.for_tenant(tenant_a).values_list("domain", flat=True))
    findings.check(stored_domains == domains, "sender domains", f"{stored_domains ^ domains}")
    check_page(findings, admin_screens.get("/settings/mail/"), "mail settings", sorted(domains))
    findings.assert_none()


def test_user_forms_save_each_name_and_email_or_name_the_field(admin_screens, tenant_a, bob):
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    from accounts.models import User
    from tests.factories import PASSWORD

    findings = Findings()
    for hostile in hostile_values():
        name_ok, name = form_text(hostile.value, 100)
        email_ok, email = form_text(hostile.value, 320, required=True)
        try:
            validate_email(email)
        except ValidationError:
            email_ok = False
        email_ok = email_ok and not User.objects.filter(email=email.lower()).exists()
        refused = (set() if name_ok else {"name"}) | (set() if email_ok else {"email"})
        data = {"email": hostile.value, "name": hostile.value, "role": "rep", "password": PASSWORD}
        response = post_form(admin_screens, "/accounts/users/new/", data)
        if response.status_code == 200:
            findings.check(set(form_errors(response)) == refused, hostile, f"form errors {form_errors(response)}")
            check_page(findings, response, hostile, [hostile.value])
        elif findings.check(response.status_code == 302 and not refused, hostile, f"answered {response.status_code}"):
            user = User.objects.get(email=email.lower())  # documented: addresses are stored lower-cased
            findings.check(user.name == name, hostile, f"name stored as {user.name!r}")
        edited = post_form(admin_screens, f"/accounts/users/{bob.pk}/", {"name": hostile.value, "role": "rep"})
        if name_ok:
            findings.check(edited.status_code == 302, hostile, f"edit answered {edited.status_code}")
            bob.refresh_from_db()
            findings.check(bob.name == name, hostile, f"edited name stored as {bob.name!r}")
        else:
            findings.check(set(form_errors(edited)) == {"name"}, hostile, f"edit errors {form_errors(edited)}")
        if shows_markup(hostile.value):
            check_page(findings, admin_screens.get("/accounts/users/"), hostile, [hostile.value])
    findings.assert_none()


# kinds whose values are plain text to the renderer and the mail headers (their tricks aim at SQL, files, Excel)
PLAIN_TEXT_KINDS = ("sql", "path", "csv_formula", "filter_language", "template_injection")
# the kinds that hold address-like tricks (full-width ＠, header injection, controls, quoting)
ADDRESS_KINDS = ("unicode", "control", "header_injection", "filter_language", "sql", "japanese")


def test_test_sends_and_schedules_of_the_screens_take_each_value(screens, tenant_a, bob, ready_list, settings):
    """The composer's test-send dialog (C14) with each value as company and contact name, the confirm screen's
    test send with each value as the address, its schedule form with each value as the time, and the
    composer's sender and reply-to addresses."""
    from django.core import mail

    from campaigns.forms import TestSendForm
    from leads.addresses import is_valid_email, normalize_email
    from tests.campaign_world import make_campaign, make_ready_to_send

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_ready_to_send(tenant_a)
    campaign = make_campaign(tenant_a, bob, lead_list=ready_list)
    draft = {field: getattr(campaign, field) for field in ("name", "subject", "body_html", "from_name")}
    draft |= {"from_email": campaign.from_email, "reply_to": campaign.reply_to, "lead_list": str(ready_list.pk)}
    draft |= {"delivery": "now", "action": "test_send", "test-email": "tester@alpha.example"}
    findings = Findings()
    for hostile in hostile_values():
        if hostile.kind in PLAIN_TEXT_KINDS:
            continue  # text like any other in a merge tag; the API test sends every value
        ok = form_text(hostile.value, 200)[0]
        names = {"test-company_name": hostile.value, "test-contact_name": hostile.value}
        response = post_form(screens, f"/campaigns/{campaign.pk}/edit/", draft | names)
        if ok:
            findings.check(response.status_code == 302, hostile, f"test send answered {response.status_code}")
        else:
            errors = form_errors(response, "test_form")
            findings.check(set(errors) == {"company_name", "contact_name"}, hostile, f"test send errors {errors}")
        if hostile.kind not in ADDRESS_KINDS:
            continue
        address_ok = TestSendForm({"test-email": through_a_form(hostile.value)}).is_valid()
        outbox = len(mail.outbox)
        sent = post_form(screens, f"/campaigns/{campaign.pk}/test-send/", {"test-email": hostile.value})
        findings.check(sent.status_code == 302, hostile, f"confirm's test send answered {sent.status_code}")
        findings.check(len(mail.outbox) == outbox + address_ok, hostile, "sent to a refused address, or not sent")
        if hostile.kind == "filter_language":  # the time parser (the API test takes every parser-tripping kind)
            when = {"action": "schedule", "scheduled_at": hostile.value}
            scheduled = post_form(screens, f"/campaigns/{campaign.pk}/confirm/", when)
            errors = form_errors(scheduled, "schedule_form")
            findings.check(set(errors) == {"scheduled_at"}, hostile, f"schedule {scheduled.status_code} {errors}")
        # the composer's sender and reply-to addresses: refused beside each field unless a valid address
        typed = form_text(hostile.value, 254)[1]
        sender_ok = form_text(hostile.value, 254)[0] and (not typed or is_valid_email(normalize_email(typed)))
        addresses = {"from_email": hostile.value, "reply_to": hostile.value, "action": "save_draft"}
        saved = post_form(screens, f"/campaigns/{campaign.pk}/edit/", draft | addresses)
        if sender_ok:
            findings.check(saved.status_code == 302, hostile, f"addresses answered {saved.status_code}")
        else:
            errors = set(form_errors(saved))
            findings.check(errors == {"from_email", "reply_to"}, hostile, f"addresses refused as {errors}")
    findings.assert_none()


def test_a_list_saved_unchanged_from_its_edit_screen_keeps_its_filter(screens, tenant_a, bob):
    """A filter made through the API may hold values the screen cannot show as typed (a comma is the screen's
    separator, surrounding spaces are trimmed): the screen then says it cannot show the condition instead of
    silently saving another filter; any other list posted back as shown keeps its filter."""
    from leads.filter_form import rows_as_posted
    from leads.services import create_lead_list

    findings = Findings()
    for hostile in hostile_values():
        value = hostile.value
        if not filter_screen_value(value)[0] or len(value) > 500 or has_lone_surrogate(value):
            continue
        if not (re.search(r"[,，\n\r]", value) or value != value.strip() or hostile.number % 5 == 0):
            continue  # a sample of the plain values; every one the screen could change
        conditions = [
            {"field": "company_name", "op": "contains", "value": value},
            {"field": "tags", "op": "in", "value": [value]},
        ]
        lead_list = create_lead_list(
            tenant=tenant_a, name=f"一覧{hostile.number}", filter={"all": conditions}, created_by=bob
        )
        edit = screens.get(f"/leads/lists/{lead_list.pk}/edit/")
        check_page(findings, edit, hostile, [value])
        screen = edit.context["screen"]
        posted = dict(rows_as_posted(screen.rows).lists())
        saved = post_form(screens, f"/leads/lists/{lead_list.pk}/edit/", posted | {"name": lead_list.name})
        findings.check(saved.status_code in (200, 302), hostile, f"saving answered {saved.status_code}")
        lead_list.refresh_from_db()
        if not screen.general_error:
            findings.check(lead_list.filter == {"all": conditions}, hostile, f"saved as {lead_list.filter}")
    findings.assert_none()
