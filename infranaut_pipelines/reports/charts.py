"""Tiny inline-SVG charts (no scripts, no CDN). Labels pass through ``escape`` because the SVG is
inserted into the autoescaped template with ``|safe``.

Readable on their own: categorical bars carry their category names, histograms the value range of their
x axis, both the share scale on the y axis and a legend (reference vs current).
"""

from __future__ import annotations

from markupsafe import Markup, escape

W, H = 360, 120  # plot area
LEFT, BOTTOM, TOP = 34, 44, 6
REF, CUR = "#8aa4c8", "#e0793c"
MAX_LABEL = 12  # characters of a category name under its bars; the full name is in the tooltip


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "\u2026"


def _bars(ref: list[float], cur: list[float], labels: list[str], title: str, *, categorical: bool,
          edges: list[float] | None = None) -> Markup:
    n = max(len(ref), 1)
    top = max([*ref, *cur, 1e-12])
    bw = W / n
    width, height = LEFT + W + 4, TOP + H + BOTTOM
    p = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
         f'role="img"><title>{escape(title)}</title>',
         f'<line x1="{LEFT}" y1="{TOP + H}" x2="{LEFT + W}" y2="{TOP + H}" stroke="#999"/>',
         f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + H}" stroke="#999"/>']
    for v in (0.0, top / 2, top):  # y axis: share of rows
        y = TOP + H - H * v / top
        p.append(f'<text x="{LEFT - 3}" y="{y + 3:.1f}" font-size="9" text-anchor="end">{v:.2g}</text>')
    for i, (r, c) in enumerate(zip(ref, cur)):
        x = LEFT + i * bw
        tip = escape(labels[i]) if i < len(labels) else ""
        for j, (v, col) in enumerate(((r, REF), (c, CUR))):
            h = H * v / top
            p.append(f'<rect x="{x + j * bw / 2:.1f}" y="{TOP + H - h:.1f}" width="{max(bw / 2 - 0.5, 0.5):.1f}" '
                     f'height="{h:.1f}" fill="{col}"><title>{tip} {"reference" if j == 0 else "current"} '
                     f'{v:.3f}</title></rect>')
    if categorical:
        # Names under their bars; rotated when there are many so neighbours do not overlap.
        rotate = n > 6
        for i, label in enumerate(labels[:n]):
            x = LEFT + (i + 0.5) * bw
            y = TOP + H + 11
            attrs = f'transform="rotate(-30 {x:.1f} {y})" text-anchor="end"' if rotate else 'text-anchor="middle"'
            p.append(f'<text class="category" x="{x:.1f}" y="{y}" font-size="9" {attrs}>{escape(_short(label))}'
                     f'<title>{escape(label)}</title></text>')
    elif edges:
        ticks = sorted({0, len(edges) // 2, len(edges) - 1})
        for k in ticks:  # x axis: the value range the bins cover
            x = LEFT + W * k / (len(edges) - 1)
            anchor = "start" if k == 0 else ("end" if k == len(edges) - 1 else "middle")
            p.append(f'<line x1="{x:.1f}" y1="{TOP + H}" x2="{x:.1f}" y2="{TOP + H + 3}" stroke="#999"/>'
                     f'<text class="tick" x="{x:.1f}" y="{TOP + H + 13}" font-size="9" text-anchor="{anchor}">'
                     f'{edges[k]:.4g}</text>')
    ly = height - 6
    p.append(f'<rect x="{LEFT}" y="{ly - 8}" width="10" height="8" fill="{REF}"/>'
             f'<text class="legend" x="{LEFT + 14}" y="{ly}" font-size="10">reference</text>'
             f'<rect x="{LEFT + 80}" y="{ly - 8}" width="10" height="8" fill="{CUR}"/>'
             f'<text class="legend" x="{LEFT + 94}" y="{ly}" font-size="10">current</text>'
             f'<text x="{LEFT + W}" y="{ly}" font-size="9" text-anchor="end" fill="#666">share of rows</text></svg>')
    return Markup("".join(p))


def column_chart(stats: dict, name: str) -> Markup:
    if "histogram" in stats:
        h = stats["histogram"]
        e = h["edges"]
        labels = [f"{e[i]:.4g}..{e[i + 1]:.4g}" for i in range(len(e) - 1)]
        return _bars(h["ref"], h["cur"], labels, f"{name}: reference vs current distribution", categorical=False,
                     edges=list(e))
    if "categories" in stats:
        c = stats["categories"]
        return _bars(c["ref"], c["cur"], [str(x) for x in c["labels"]], f"{name}: category shares", categorical=True)
    return Markup("")
