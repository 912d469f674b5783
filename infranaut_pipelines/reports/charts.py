"""Tiny inline-SVG charts (no scripts, no CDN). Labels pass through ``escape`` because the SVG is
inserted into the autoescaped template with ``|safe``."""

from __future__ import annotations

from markupsafe import Markup, escape

W, H, PAD = 320, 110, 4
REF, CUR = "#8aa4c8", "#e0793c"


def _bars(ref: list[float], cur: list[float], labels: list[str] | None, title: str) -> Markup:
    n = max(len(ref), 1)
    top = max([*ref, *cur, 1e-12])
    bw = (W - 2 * PAD) / n
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H + 14}" role="img">',
             f"<title>{escape(title)}</title>"]
    for i, (r, c) in enumerate(zip(ref, cur)):
        x = PAD + i * bw
        for j, (v, col) in enumerate(((r, REF), (c, CUR))):
            h = (H - 2 * PAD) * v / top
            tip = escape(labels[i]) if labels else ""
            parts.append(f'<rect x="{x + j * bw / 2:.1f}" y="{H - PAD - h:.1f}" width="{max(bw / 2 - 0.5, 0.5):.1f}" '
                         f'height="{h:.1f}" fill="{col}"><title>{tip} {"ref" if j == 0 else "cur"} {v:.3f}</title></rect>')
    parts.append(f'<text x="{PAD}" y="{H + 12}" font-size="10" fill="{REF}">reference</text>'
                 f'<text x="{PAD + 70}" y="{H + 12}" font-size="10" fill="{CUR}">current</text></svg>')
    return Markup("".join(parts))


def column_chart(stats: dict, name: str) -> Markup:
    if "histogram" in stats:
        h = stats["histogram"]
        e = h["edges"]
        labels = [f"{e[i]:.4g}..{e[i + 1]:.4g}" for i in range(len(e) - 1)]
        return _bars(h["ref"], h["cur"], labels, f"{name}: reference vs current distribution")
    if "categories" in stats:
        c = stats["categories"]
        return _bars(c["ref"], c["cur"], [str(x) for x in c["labels"]], f"{name}: category shares")
    return Markup("")
