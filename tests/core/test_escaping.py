"""One escaper per target, each defusing what that target would interpret."""

import re

from infranaut_pipelines.escaping import html, markdown, slack
from infranaut_pipelines.validation.display import escape_display

HOSTILE = "<script>alert('x')</script> | @channel <!here> & \"q\""


def test_html_leaves_no_markup_or_quotes() -> None:
    out = html(HOSTILE)
    assert "<" not in out and ">" not in out and '"' not in out and "'" not in out
    assert "&lt;script&gt;" in out


def test_markdown_cannot_break_a_table_cell() -> None:
    out = markdown(HOSTILE)
    assert "<" not in out and re.search(r"(?<!\\)\|", out) is None and "\\|" in out


def test_slack_defuses_mentions_and_links() -> None:
    out = slack(HOSTILE)
    assert "<!here>" not in out and "@channel" not in out and "@\u200bchannel" in out and "&lt;!here&gt;" in out


def test_metadata_display_is_html_safe_mention_free_and_clipped() -> None:
    out = escape_display(HOSTILE + "x" * 500)
    assert "<" not in out and "@channel" not in out and len(out) < 200
