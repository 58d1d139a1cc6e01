"""Merge tags (C5, C6): `{{CompanyName}}`, `{{LastName|ご担当者}}`, `{{Unsubscribe:メールの配信停止はこちら}}`.

One parser for the subject and the body's text. The composer's checks and the renderer both use
split_merge_tags(), so a text that passes the checks renders exactly as it was checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

UNSUBSCRIBE = "Unsubscribe"
DEFAULT_UNSUBSCRIBE_TAG = "{{Unsubscribe:メールの配信停止はこちら}}"
# tag name -> what it is filled with; FullName is 姓 名 (Japanese order)
MERGE_FIELDS = ("CompanyName", "FullName", "LastName", "FirstName")
_TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


@dataclass(frozen=True)
class MergeTag:
    name: str
    fallback: str = ""


@dataclass(frozen=True)
class UnsubscribeTag:
    text: str


Part = str | MergeTag | UnsubscribeTag


class MergeTagError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def known_tags_text() -> str:
    return "、".join(f"{{{{{name}}}}}" for name in MERGE_FIELDS)


def _parse_tag(inner: str, whole: str) -> tuple[Part | None, str | None]:
    name, colon, text = inner.partition(":")
    if name.strip() == UNSUBSCRIBE:
        if not colon or not text.strip():
            return None, _("The unsubscribe tag %(tag)s needs its link text, as in %(example)s.") % {
                "tag": whole,
                "example": DEFAULT_UNSUBSCRIBE_TAG,
            }
        return UnsubscribeTag(text.strip()), None
    name, _bar, fallback = inner.partition("|")
    name = name.strip()
    if name in MERGE_FIELDS:
        return MergeTag(name, fallback.strip()), None
    if name.casefold() == UNSUBSCRIBE.casefold() or name.casefold().startswith(UNSUBSCRIBE.casefold()):
        return None, _("The unsubscribe tag %(tag)s is malformed: write it as %(example)s.") % {
            "tag": whole,
            "example": DEFAULT_UNSUBSCRIBE_TAG,
        }
    return None, _("Unknown merge tag %(tag)s. These tags can be used: %(known)s.") % {
        "tag": whole,
        "known": known_tags_text(),
    }


def _stray_brace_problems(literal: str) -> list[str]:
    problems = []
    for brace in ("{{", "}}"):
        position = literal.find(brace)
        if position >= 0:
            excerpt = literal[max(0, position - 10) : position + 20].strip()
            problems.append(
                _("A merge tag is not closed or opened properly near “%(excerpt)s”: write tags as {{TagName}}.")
                % {"excerpt": excerpt}
            )
    return problems


def split_merge_tags(text: str) -> list[Part]:
    """The text as literal strings and tags, in order; MergeTagError lists every problem found."""
    parts: list[Part] = []
    problems: list[str] = []
    position = 0
    for match in _TAG.finditer(text):
        literal = text[position : match.start()]
        problems += _stray_brace_problems(literal)
        if literal:
            parts.append(literal)
        tag, problem = _parse_tag(match.group(1), match.group(0))
        if problem:
            problems.append(problem)
        else:
            parts.append(tag)
        position = match.end()
    tail = text[position:]
    problems += _stray_brace_problems(tail)
    if tail:
        parts.append(tail)
    if problems:
        raise MergeTagError(problems)
    return parts


def merge_tag_problems(text: str, *, unsubscribe_allowed: bool = True) -> list[str]:
    """Every problem of the text's tags, each naming the tag; empty when the text renders."""
    try:
        parts = split_merge_tags(text)
    except MergeTagError as error:
        return error.problems
    if not unsubscribe_allowed and any(isinstance(part, UnsubscribeTag) for part in parts):
        return [_("The unsubscribe tag can only be used in the body.")]
    return []
