"""Make data values safe to show in Dagster metadata, HTML reports and Slack messages.

Values come from production traffic, so they are untrusted: a merchant name like ``<!channel>``
would page a whole Slack workspace, and ``<script>`` would run in an HTML report.
"""

from __future__ import annotations

import html
import re
from typing import Any

MASK = "***"
MAX_LEN = 120
_MENTION = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_ZWSP = "\u200b"


def escape_display(value: Any, max_len: int = MAX_LEN) -> str:
    """HTML-escape (& < > and quotes) and break Slack @-mentions; truncate long values.

    Slack reads ``<!channel>`` / ``<@U123>`` only from literal angle brackets, which the HTML escape
    removes; plain ``@channel`` is broken with a zero-width space after the ``@``.
    """
    text = "null" if value is None else str(value)
    if len(text) > max_len:
        text = text[: max_len - 1] + "…"
    text = html.escape(text, quote=True)
    return _MENTION.sub(lambda m: "@" + _ZWSP + m.group(1), text)


def escape_md(text: str) -> str:
    """Data values shown in the UI's markdown tables must not inject markup, HTML or a column break."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def display_value(value: Any, sensitive: bool = False) -> str:
    return MASK if sensitive and value is not None else escape_display(value)


def display_values(values: list[Any], sensitive: bool = False, limit: int = 5) -> list[str]:
    return [display_value(v, sensitive) for v in list(values)[:limit]]
