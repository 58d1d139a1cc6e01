"""The allow-list for campaign and template bodies (C4): what the editor emits, nothing else.

Every body, from the composer, the template screens or the API, is stored only after
clean_body_html(); the renderer then trusts the stored markup.
"""

from __future__ import annotations

import re

import bleach

ALLOWED_TAGS = frozenset({"p", "br", "strong", "b", "u", "s", "em", "i", "a"})
ALLOWED_ATTRIBUTES = {"a": ["href"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

# bleach keeps the text inside elements it strips; for these the text is code or hidden, not prose
_DROPPED_WITH_CONTENT = re.compile(
    r"<(script|style|iframe|object|embed|template|noscript|textarea|title|svg|math)\b.*?(?:</\1\s*>|$)",
    re.IGNORECASE | re.DOTALL,
)
_CLEANER = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
)


def clean_body_html(html: str) -> str:
    """The body reduced to the allow-list: p, br, strong/b, u, s, em/i and a[href] (http, https, mailto)."""
    without_code = _DROPPED_WITH_CONTENT.sub("", html or "")
    return _CLEANER.clean(without_code).strip()
