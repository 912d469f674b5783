"""The one escaper per place data is shown: HTML, markdown (the Dagster UI's tables), Slack mrkdwn.

Values come from production traffic and are untrusted: ``<script>`` would run in an HTML report, a ``|``
would break a markdown table, and ``<!channel>`` or ``@here`` in a category value would page a whole Slack
channel. Every module that shows data imports from here; none writes its own replacement chain.
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import escape as _markupsafe_escape

# Slack turns bare @channel/@here/@everyone into mentions; a zero-width space after the @ defuses them.
_MENTION = re.compile(r"@(?=(channel|here|everyone)\b)", re.IGNORECASE)
_ZWSP = "\u200b"


def html(value: Any) -> str:
    """HTML text or attribute value (& < > " '): the same escaper the Jinja templates autoescape with."""
    return str(_markupsafe_escape(str(value)))


def markdown(value: Any) -> str:
    """A cell or line of the UI's markdown: no HTML, no markup, no column break."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def defuse_mentions(text: str) -> str:
    return _MENTION.sub("@" + _ZWSP, text)


def slack(value: Any) -> str:
    """Slack mrkdwn text: & < > escaped as Slack documents, and @-mentions defused."""
    return defuse_mentions(str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
