"""Our Block Kit alert messages as channel-neutral text, for email (plain + HTML) and the JSON webhook.

The Slack renderer (alerting/render.py) is the one place that decides what an alert says; the other
channels read its output back instead of keeping a second copy of that wording. Reading back is safe
because we wrote it: data values were Slack-escaped (``&amp; &lt; &gt;``) and links are ``<url|label>``
with an http(s) URL only. Here the Slack escaping is undone into plain text, and ``to_html`` escapes
everything again for HTML, so a category value ``<script>`` is shown, never run.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_LINK = re.compile(r"<(https?://[^|>\s]+)\|([^>]*)>")
_EMOJI = {":red_circle:": "\U0001f534", ":large_orange_circle:": "\U0001f7e0",
          ":large_blue_circle:": "\U0001f535", ":white_check_mark:": "\u2705"}
_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"\*([^*\n]+)\*")


@dataclass(frozen=True)
class Segment:
    text: str
    url: str | None = None


@dataclass
class Document:
    title: str
    paragraphs: list[list[Segment]] = field(default_factory=list)

    @property
    def links(self) -> list[tuple[str, str]]:
        return [(s.url, s.text) for p in self.paragraphs for s in p if s.url]


def _unescape(text: str) -> str:
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    for code, char in _EMOJI.items():
        text = text.replace(code, char)
    return text


def _segments(mrkdwn: str) -> list[Segment]:
    out: list[Segment] = []
    pos = 0
    for m in _LINK.finditer(mrkdwn):
        if m.start() > pos:
            out.append(Segment(_unescape(mrkdwn[pos:m.start()])))
        out.append(Segment(_unescape(m.group(2)), m.group(1).replace("&amp;", "&")))
        pos = m.end()
    if pos < len(mrkdwn):
        out.append(Segment(_unescape(mrkdwn[pos:])))
    return out


def from_slack(payload: Mapping[str, Any]) -> Document:
    """Header -> title; sections and context lines -> paragraphs (links kept as links)."""
    title = _unescape(str(payload.get("text") or ""))
    doc = Document(title)
    for block in payload.get("blocks") or []:
        kind = block.get("type")
        if kind == "header":
            doc.title = _unescape(str((block.get("text") or {}).get("text") or title))
        elif kind == "section":
            doc.paragraphs.append(_segments(str((block.get("text") or {}).get("text") or "")))
        elif kind == "context":
            parts = [_segments(str(e.get("text") or "")) for e in block.get("elements") or []]
            doc.paragraphs.append([s for p in parts for s in p])
    return doc


def to_text(doc: Document) -> str:
    lines = [doc.title, "=" * min(len(doc.title), 72), ""]
    for para in doc.paragraphs:
        lines.append("".join(s.text if not s.url else f"{s.text} ({s.url})" for s in para))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _html_text(text: str) -> str:
    # Escape first, then turn our own markers into tags: data can never produce a tag of its own.
    escaped = html.escape(text, quote=True)
    escaped = _CODE.sub(r"<code>\1</code>", escaped)
    escaped = _BOLD.sub(r"<b>\1</b>", escaped)
    return escaped.replace("\n", "<br>\n")


def to_html(doc: Document) -> str:
    body = [f"<h2>{html.escape(doc.title)}</h2>"]
    for para in doc.paragraphs:
        parts = [f'<a href="{html.escape(s.url, quote=True)}">{html.escape(s.text)}</a>' if s.url
                 else _html_text(s.text) for s in para]
        body.append("<p>" + "".join(parts) + "</p>")
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head>\n"
            "<body style=\"font-family: sans-serif\">\n" + "\n".join(body) + "\n</body></html>\n")
