"""The one renderer of campaign mail (S2): compile once per campaign, fill slots per recipient.

compile_campaign() parses the subject and the cleaned body into literal segments and slots
(merge tags, tracked links, the unsubscribe link, the open pixel) for the HTML part and the
plain-text part; CompiledCampaign.render() only fills the slots. The confirm screen, test sends
and the sender all go through here.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser

from django.utils import translation
from django.utils.translation import gettext as _

from campaigns import tracking_links
from campaigns.merge_tags import MergeTag, MergeTagError, UnsubscribeTag, split_merge_tags

# A compiled text is a tuple of literal strings and ints; an int is the index of a slot value.
Segments = tuple[str | int, ...]

_MAIL_STYLE = (
    "margin:0;padding:24px 16px;background:#ffffff;color:#1f2328;font-size:15px;line-height:1.8;"
    "font-family:'Hiragino Sans','Noto Sans JP','Yu Gothic UI',Meiryo,sans-serif"
)
_FOOTER_STYLE = "margin-top:32px;padding-top:12px;border-top:1px solid #d0d7de;font-size:12px;color:#57606a"


@dataclass(frozen=True)
class Recipient:
    company_name: str = ""
    last_name: str = ""
    first_name: str = ""

    def field(self, name: str) -> str:
        if name == "CompanyName":
            return self.company_name.strip()
        if name == "LastName":
            return self.last_name.strip()
        if name == "FirstName":
            return self.first_name.strip()
        return f"{self.last_name.strip()} {self.first_name.strip()}".strip()  # FullName: 姓 名


@dataclass(frozen=True)
class LegalFooter:
    sender_name: str
    postal_address: str
    contact: str

    @classmethod
    def of_tenant(cls, tenant) -> LegalFooter:
        return cls(tenant.legal_sender_name, tenant.legal_postal_address, tenant.legal_contact)


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    html: str
    text: str
    unsubscribe_url: str


class _SlotContext:
    """What one recipient's slots are filled from."""

    __slots__ = ("base", "recipient", "token")

    def __init__(self, recipient: Recipient, token: str | None, base: str):
        self.recipient = recipient
        self.token = token
        self.base = base


Slot = Callable[[_SlotContext], str]


def _merge_slot(tag: MergeTag, *, escape: bool, one_line: bool) -> Slot:
    name, fallback = tag.name, tag.fallback

    def fill(context: _SlotContext) -> str:
        value = context.recipient.field(name) or fallback
        if one_line:
            value = " ".join(value.split())
        return html.escape(value) if escape else value

    return fill


def _click_slot(link_number: int, original_url: str, *, escape: bool) -> Slot:
    shown_without_tracking = html.escape(original_url) if escape else original_url

    def fill(context: _SlotContext) -> str:
        if context.token is None:
            return shown_without_tracking
        return tracking_links.click_url(context.token, link_number, context.base)

    return fill


def _unsubscribe_url(context: _SlotContext) -> str:
    return tracking_links.unsubscribe_url(context.token or tracking_links.TEST_MAIL_TOKEN, context.base)


def _tracking_markup(context: _SlotContext) -> str:
    """The open pixel (K1) and the honeypot link (K5): hidden from people, followed only by machines."""
    if context.token is None:
        return ""
    pixel = tracking_links.open_pixel_url(context.token, context.base)
    honeypot = tracking_links.click_url(context.token, tracking_links.HONEYPOT_LINK_NUMBER, context.base)
    return (
        f'<a href="{honeypot}" style="display:none;font-size:0;color:transparent" tabindex="-1" aria-hidden="true">'
        "&#8203;</a>"
        f'<img src="{pixel}" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px">'
    )


class _Compiler:
    """Collects segments for the HTML and the text part side by side, sharing the slots."""

    def __init__(self) -> None:
        self.slots: list[Slot] = []
        self.html: list[str | int] = []
        self.text: list[str | int] = []
        self.link_urls: list[str] = []
        self.problems: list[str] = []
        self.unsubscribe_links = 0

    def slot(self, fill: Slot) -> int:
        self.slots.append(fill)
        return len(self.slots) - 1

    def add_text_run(self, text: str) -> None:
        """A run of body text: merge tags become slots, HTML-escaped in the HTML part only."""
        try:
            parts = split_merge_tags(text)
        except MergeTagError as error:
            self.problems += error.problems
            return
        for part in parts:
            if isinstance(part, str):
                self.html.append(html.escape(part, quote=False))
                self.text.append(part)
            elif isinstance(part, MergeTag):
                self.html.append(self.slot(_merge_slot(part, escape=True, one_line=False)))
                self.text.append(self.slot(_merge_slot(part, escape=False, one_line=False)))
            else:
                self.add_unsubscribe_link(part)

    def add_unsubscribe_link(self, tag: UnsubscribeTag) -> None:
        self.unsubscribe_links += 1
        url = self.slot(_unsubscribe_url)
        self.html += ['<a href="', url, '">', html.escape(tag.text, quote=False), "</a>"]
        self.text += [tag.text, " ", url]


class _BodyParser(HTMLParser):
    """Walks the cleaned body (allow-listed tags only) and feeds the compiler."""

    def __init__(self, compiler: _Compiler):
        super().__init__(convert_charrefs=True)
        self.compiler = compiler
        self.open_links: list[tuple[str | int, str]] = []  # (href slot or literal, anchor text so far)
        self.paragraph_empty = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        compiler = self.compiler
        if tag == "br":
            compiler.html.append("<br>\n")
            compiler.text.append("\n")
            self.paragraph_empty = False
        elif tag == "p":
            compiler.html.append('<p style="margin:0">')
            self.paragraph_empty = True
        elif tag == "a":
            self.start_link(dict(attrs).get("href") or "")
        else:
            compiler.html.append(f"<{tag}>")

    def start_link(self, href: str) -> None:
        compiler = self.compiler
        if "{{" in href or "}}" in href:
            compiler.problems.append(_("Merge tags cannot be used in a link address: %(url)s") % {"url": href})
        if href.lower().startswith(("http://", "https://")):
            compiler.link_urls.append(href)
            number = len(compiler.link_urls)
            compiler.html += ['<a href="', compiler.slot(_click_slot(number, href, escape=True)), '">']
            self.open_links.append((compiler.slot(_click_slot(number, href, escape=False)), ""))
        else:  # mailto: is shown as it is, never tracked
            compiler.html.append(f'<a href="{html.escape(href)}">')
            self.open_links.append((href.removeprefix("mailto:"), ""))

    def handle_endtag(self, tag: str) -> None:
        compiler = self.compiler
        if tag == "p":
            # a line break after each paragraph keeps lines short: the MIME part stays 8bit, not quoted-printable
            compiler.html.append("<br></p>\n" if self.paragraph_empty else "</p>\n")
            compiler.text.append("\n")
        elif tag == "a" and self.open_links:
            target, _anchor = self.open_links.pop()
            compiler.html.append("</a>")
            compiler.text += [" (", target, ")"]
        elif tag != "br":
            compiler.html.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if data:
            self.paragraph_empty = False
            self.compiler.add_text_run(data)


def _footer_lines(footer: LegalFooter) -> list[tuple[str, str]]:
    """(label, value) of the legal sender information (A5), in the order the footer shows them."""
    sent_by = _("Sent by")
    postal_address = _("Postal address")
    contact = _("Contact for inquiries")
    return [(sent_by, footer.sender_name), (postal_address, footer.postal_address), (contact, footer.contact.strip())]


def _contact_html(contact: str) -> str:
    if contact.lower().startswith(("http://", "https://")):
        return f'<a href="{html.escape(contact)}">{html.escape(contact)}</a>'
    if "@" in contact:
        return f'<a href="mailto:{html.escape(contact)}">{html.escape(contact)}</a>'
    return html.escape(contact)


def _footer_html(footer: LegalFooter) -> str:
    (sent_by, name), (address_label, address), (contact_label, contact) = _footer_lines(footer)
    lines = [
        f"{html.escape(sent_by)}: {html.escape(name)}",
        f"{html.escape(address_label)}: {html.escape(address)}",
        f"{html.escape(contact_label)}: {_contact_html(contact)}",
    ]
    return f'\n<div style="{_FOOTER_STYLE}">' + "<br>\n".join(lines) + "</div>\n"


def _footer_text(footer: LegalFooter) -> str:
    lines = "".join(f"{label}: {value}\n" for label, value in _footer_lines(footer))
    return "\n――――――――――――――――\n" + lines


@dataclass(frozen=True)
class CompiledCampaign:
    subject: Segments
    html: Segments
    text: Segments
    slots: tuple[Slot, ...]
    link_urls: tuple[str, ...]  # link number n (1-based) is link_urls[n - 1]
    unsubscribe_slot: int
    base_url: str

    def render(self, recipient: Recipient, token: str | None) -> RenderedMail:
        """One recipient's mail; token None renders a test or preview (untracked links, no pixel)."""
        context = _SlotContext(recipient, token, self.base_url)
        values = [fill(context) for fill in self.slots]
        return RenderedMail(
            subject="".join([part if part.__class__ is str else values[part] for part in self.subject]),
            html="".join([part if part.__class__ is str else values[part] for part in self.html]),
            text="".join([part if part.__class__ is str else values[part] for part in self.text]),
            unsubscribe_url=values[self.unsubscribe_slot],
        )


def _compile_subject(compiler: _Compiler, subject: str) -> list[str | int]:
    segments: list[str | int] = []
    for part in split_merge_tags(subject):
        if isinstance(part, str):
            segments.append(" ".join(part.splitlines()))
        elif isinstance(part, MergeTag):
            segments.append(compiler.slot(_merge_slot(part, escape=False, one_line=True)))
        else:
            raise MergeTagError([_("The unsubscribe tag can only be used in the body.")])
    return segments


def _compile_body(compiler: _Compiler, body_html: str) -> None:
    parser = _BodyParser(compiler)
    parser.feed(body_html)
    parser.close()


def _merged(segments: list[str | int]) -> Segments:
    """Adjacent literals joined, so rendering concatenates as few pieces as possible."""
    merged: list[str | int] = []
    for part in segments:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "":
            merged.append(part)
    return tuple(merged)


def compile_campaign(*, subject: str, body_html: str, footer: LegalFooter) -> CompiledCampaign:
    """Parse once; raises MergeTagError naming every bad tag of the subject or the body."""
    compiler = _Compiler()
    try:
        subject_segments = _compile_subject(compiler, subject)
    except MergeTagError as error:
        raise MergeTagError([f"{_('Subject')}: {problem}" for problem in error.problems]) from None
    _compile_body(compiler, body_html)
    if compiler.problems:
        raise MergeTagError(compiler.problems)
    with translation.override("ja"):  # recipients read Japanese, whatever the sender's UI language
        footer_html, footer_text = _footer_html(footer), _footer_text(footer)
    pixel = compiler.slot(_tracking_markup)
    unsubscribe_slot = compiler.slot(_unsubscribe_url)
    head = '<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"></head>'
    html_segments = [f'{head}<body style="{_MAIL_STYLE}">\n']
    html_segments += [*compiler.html, footer_html, pixel, "</body></html>"]
    text_segments = [*compiler.text]
    text_segments.append(footer_text)
    return CompiledCampaign(
        subject=_merged(subject_segments),
        html=_merged(html_segments),
        text=_merged(text_segments),
        slots=tuple(compiler.slots),
        link_urls=tuple(compiler.link_urls),
        unsubscribe_slot=unsubscribe_slot,
        base_url=tracking_links.public_base_url(),
    )


def compile_campaign_mail(campaign) -> CompiledCampaign:
    """A saved campaign's subject and body with its tenant's legal footer (MergeTagError if a tag is bad)."""
    return compile_campaign(
        subject=campaign.subject, body_html=campaign.body_html, footer=LegalFooter.of_tenant(campaign.tenant)
    )


def content_problems(*, subject: str, body_html: str) -> dict[str, list[str]]:
    """Merge-tag problems by field ("subject", "body_html"); empty when both render."""
    problems: dict[str, list[str]] = {}
    try:
        _compile_subject(_Compiler(), subject)
    except MergeTagError as error:
        problems["subject"] = error.problems
    body_compiler = _Compiler()
    _compile_body(body_compiler, body_html)
    if body_compiler.problems:
        problems["body_html"] = body_compiler.problems
    return problems


def body_has_unsubscribe_tag(body_html: str) -> bool:
    """True when the body renders an unsubscribe link (C6): a tag split by formatting does not count."""
    compiler = _Compiler()
    _compile_body(compiler, body_html)
    return compiler.unsubscribe_links > 0
