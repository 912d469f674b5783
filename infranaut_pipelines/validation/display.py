"""Make data values safe to show in Dagster metadata, HTML reports and Slack messages.

Values come from production traffic, so they are untrusted: a merchant name like ``<!channel>``
would page a whole Slack workspace, and ``<script>`` would run in an HTML report.
"""

from __future__ import annotations

from typing import Any

from infranaut_pipelines.escaping import defuse_mentions, html

MASK = "***"
MAX_LEN = 120


def escape_display(value: Any, max_len: int = MAX_LEN) -> str:
    """HTML-escape (& < > and quotes) and break Slack @-mentions; truncate long values.

    Slack reads ``<!channel>`` / ``<@U123>`` only from literal angle brackets, which the HTML escape
    removes; plain ``@channel`` is broken with a zero-width space after the ``@``.
    """
    text = "null" if value is None else str(value)
    if len(text) > max_len:
        text = text[: max_len - 1] + "…"
    return defuse_mentions(html(text))


def display_value(value: Any, sensitive: bool = False) -> str:
    return MASK if sensitive and value is not None else escape_display(value)


def display_values(values: list[Any], sensitive: bool = False, limit: int = 5) -> list[str]:
    return [display_value(v, sensitive) for v in list(values)[:limit]]
