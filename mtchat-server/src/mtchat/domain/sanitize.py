"""Message content sanitizing (SPEC §5.3): an allow-list HTML cleaner built on nh3 (ammonia).

``sanitize(content, participant_ids)`` returns the stored HTML, its plain text (search, webhooks)
and the mentioned user ids that are participants of the dialog.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

import nh3

ALLOWED_TAGS = frozenset(
    {"p", "br", "strong", "em", "u", "s", "a", "ul", "ol", "li", "blockquote", "code", "pre", "span"}
)
ALLOWED_ATTRIBUTES = {"a": {"href"}, "span": {"data-mention"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
_HREF_OK = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)
_MENTION = re.compile(r'<span data-mention="([^"]*)">')
_BLOCK_END = re.compile(r"<br\s*/?>|</(p|li|blockquote|pre)>", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
MAX_MENTION_ID = 255


@dataclass(frozen=True, slots=True)
class Sanitized:
    html: str
    text: str
    mentions: list[str]


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if tag == "a" and attr == "href":
        # Only absolute http/https/mailto links: relative and protocol-relative URLs are dropped too.
        return value if _HREF_OK.match(value.strip()) else None
    if tag == "span" and attr == "data-mention":
        value = value.strip()
        return value if 0 < len(value) <= MAX_MENTION_ID else None
    return value


def clean_html(content: str) -> str:
    """Sanitize rich text; plain text (no ``<``) is escaped and wrapped in paragraphs."""
    if "<" not in content:
        paragraphs = [p for p in content.replace("\r\n", "\n").split("\n\n") if p.strip()]
        content = "".join(f"<p>{html.escape(p, quote=False).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    return nh3.clean(
        content,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_attribute_filter,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener",
        strip_comments=True,
    ).strip()


def plain_text(cleaned: str) -> str:
    spaced = _BLOCK_END.sub(lambda m: m.group(0) + " ", cleaned)
    stripped = nh3.clean(spaced, tags=set(), clean_content_tags={"script", "style"})
    return _SPACES.sub(" ", html.unescape(stripped)).strip()


def sanitize(content: str, participant_ids: Iterable[str] = ()) -> Sanitized:
    cleaned = clean_html(content)
    members = set(participant_ids)
    mentions: list[str] = []
    for raw in _MENTION.findall(cleaned):
        user_id = html.unescape(raw)
        if user_id in members and user_id not in mentions:
            mentions.append(user_id)
    return Sanitized(html=cleaned, text=plain_text(cleaned), mentions=mentions)
