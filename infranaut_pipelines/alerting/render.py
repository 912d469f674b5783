"""Block Kit messages for fire / escalate / resolve notices.

Every value that comes from data (feature names, check descriptions, category values, model ids) goes
through ``escape``: Slack parses ``<...>`` as links and mentions, so an unescaped ``<!channel>`` in a
category value would page a whole channel. Rendered at enqueue time so retries send identical content.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from infranaut_pipelines.alerting.evaluate import Finding
from infranaut_pipelines.alerting.hints import RootCause
from infranaut_pipelines.escaping import slack as escape

_EMOJI = {"info": ":large_blue_circle:", "warning": ":large_orange_circle:", "critical": ":red_circle:"}
_MAX_FINDINGS = 10
_SECTION_MAX = 2900  # Slack rejects section text over 3000 characters


def code(value: Any) -> str:
    return "`" + escape(value).replace("`", "\u02cb") + "`"


def link(url: str | None, label: str) -> str | None:
    if not url or not re.match(r"^https?://", url):
        return None
    safe = url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C").replace(" ", "%20")
    return f"<{safe}|{escape(label)}>"


def _clip(text: str, limit: int = _SECTION_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text)}}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": _clip(escape(text), 150), "emoji": True}}


def _worst(findings: Sequence[Finding]) -> str:
    order = {"info": 0, "warning": 1, "critical": 2}
    return max((f.severity for f in findings), key=order.__getitem__, default="info")


def _finding_line(f: Finding, severity: str | None = None) -> str:
    sev = severity or f.severity
    what = f"*{escape(f.rule)}*" + (f" on {code(f.subject)}" if f.subject else "")
    nums = f" ({code(_n(f.value))} {escape(f.operator)} {code(_n(f.threshold))})" if f.value is not None else ""
    return f"{_EMOJI[sev]} {what} [{sev}]: {escape(f.summary)}{nums}"


def _n(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.4g}"


def _links(run_url: str | None, report_url: str | None) -> list[dict[str, Any]]:
    parts = [p for p in (link(run_url, "Dagster run"), link(report_url, "Drift report")) if p]
    return [{"type": "context", "elements": [{"type": "mrkdwn", "text": " \u00b7 ".join(parts)}]}] if parts else []


def _lines(items: Sequence[str], more_label: str) -> str:
    shown = list(items[:_MAX_FINDINGS])
    if len(items) > _MAX_FINDINGS:
        shown.append(f"_\u2026and {len(items) - _MAX_FINDINGS} more {more_label}_")
    return "\n".join(shown)


def render_fire(model_id: str, partition: dt.date | str, findings: Sequence[Finding], cause: RootCause | None,
                run_url: str | None = None, report_url: str | None = None) -> dict[str, Any]:
    sev = _worst(findings)
    title = f"[{sev.upper()}] {model_id}: {len(findings)} alert{'s' if len(findings) != 1 else ''} fired"
    blocks: list[dict[str, Any]] = [
        _header(title),
        _section(f"*Model* {code(model_id)}  \u00b7  *Partition* {code(partition)}"),
        _section(_lines([_finding_line(f) for f in findings], "alerts")),
    ]
    if cause and cause.features:
        rows = []
        for i, r in enumerate(cause.features[:5], 1):
            imp = f" \u00d7 importance {_n(r.importance)}" if r.importance is not None else ""
            rows.append(f"{i}. {code(r.name)} drift {_n(r.score)}x{imp}")
        blocks.append(_section("*Top suspected causes*\n" + "\n".join(rows)))
    if cause and cause.hints:
        blocks.append(_section("*Likely explanation*\n" + "\n".join(
            f"\u2022 *{escape(t)}*: {escape(x)}" for t, x in cause.hints[:4])))
    blocks.extend(_links(run_url, report_url))
    text = f"[{sev.upper()}] {model_id} {partition}: " + ", ".join(
        f.rule + (f"({f.subject})" if f.subject else "") for f in findings[:_MAX_FINDINGS])
    return {"text": _clip(escape(text)), "blocks": blocks}


def render_escalate(model_id: str, partition: dt.date | str, items: Sequence[tuple[Finding, str, str, int]],
                    run_url: str | None = None, report_url: str | None = None) -> dict[str, Any]:
    """items: (finding, old severity, new severity, evaluations so far)."""
    title = f"[ESCALATED] {model_id}: {len(items)} alert{'s' if len(items) != 1 else ''} still open"
    lines = [
        _finding_line(f, new) + f"\n      {escape(old)} \u2192 *{escape(new)}* after {n} evaluations"
        for f, old, new, n in items
    ]
    blocks = [
        _header(title),
        _section(f"*Model* {code(model_id)}  \u00b7  *Partition* {code(partition)}"),
        _section(_lines(lines, "alerts")),
        *_links(run_url, report_url),
    ]
    text = f"[ESCALATED] {model_id} {partition}: " + ", ".join(f.rule for f, *_ in items[:_MAX_FINDINGS])
    return {"text": _clip(escape(text)), "blocks": blocks}


def render_resolve(model_id: str, partition: dt.date | str, items: Sequence[dict[str, Any]],
                   run_url: str | None = None) -> dict[str, Any]:
    """items: alert_state rows (rule, subject, severity, first_seen, evaluations)."""
    lines = []
    for r in items:
        what = f"*{escape(r['rule'])}*" + (f" on {code(r['subject'])}" if r.get("subject") else "")
        since = r["first_seen"].strftime("%Y-%m-%d %H:%M") if r.get("first_seen") else "?"
        lines.append(f":white_check_mark: {what} [{escape(r['severity'])}] cleared (open since {since} UTC, "
                     f"{r.get('evaluations', 0)} evaluations)")
    blocks = [
        _header(f"[RESOLVED] {model_id}: {len(items)} alert{'s' if len(items) != 1 else ''} cleared"),
        _section(f"*Model* {code(model_id)}  \u00b7  *Partition* {code(partition)}"),
        _section(_lines(lines, "alerts")),
        *_links(run_url, None),
    ]
    text = f"[RESOLVED] {model_id} {partition}: " + ", ".join(str(r["rule"]) for r in items[:_MAX_FINDINGS])
    return {"text": _clip(escape(text)), "blocks": blocks}
