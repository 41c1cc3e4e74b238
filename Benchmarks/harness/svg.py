"""A grouped horizontal bar chart written as plain SVG: one group per row label, one bar per
allocator, an optional reference line (1.0 for ratios to glibc)."""
from xml.sax.saxutils import escape

COLORS = {"glibc": "#7f7f7f", "jemalloc": "#1f77b4", "tcmalloc": "#ff7f0e", "mimalloc": "#2ca02c",
          "swiftmm": "#d62728"}


def grouped_bars(title, rows, series, unit="", reference=None, cap=None):
    """rows: [(label, {series: value or None})]; series: ordered names. Values above `cap` are
    drawn cut at the cap with their number printed."""
    bar_h, gap, label_w, plot_w, top = 9, 8, 150, 520, 50
    values = [v for _, vals in rows for v in vals.values() if v is not None]
    vmax = max(values + [reference or 0]) if values else 1
    if cap:
        vmax = min(vmax, cap)
    vmax = vmax * 1.08 or 1
    group_h = bar_h * len(series) + gap
    height = top + group_h * len(rows) + 40
    width = label_w + plot_w + 70
    x = lambda v: label_w + plot_w * min(v, vmax) / vmax
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="100%" height="100%" fill="white"/>',
           f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">'
           f'{escape(title)}</text>']
    for i, name in enumerate(series):  # legend
        lx = label_w + i * 100
        out.append(f'<rect x="{lx}" y="28" width="10" height="10" fill="{COLORS.get(name, "#000")}"/>'
                   f'<text x="{lx + 14}" y="37">{escape(name)}</text>')
    for r, (label, vals) in enumerate(rows):
        y0 = top + r * group_h
        out.append(f'<text x="{label_w - 6}" y="{y0 + group_h / 2}" text-anchor="end">{escape(label)}</text>')
        for i, name in enumerate(series):
            v = vals.get(name)
            y = y0 + i * bar_h
            if v is None:
                out.append(f'<text x="{label_w + 3}" y="{y + bar_h - 1}" font-size="9">n/a</text>')
                continue
            out.append(f'<rect x="{label_w}" y="{y}" width="{x(v) - label_w:.1f}" height="{bar_h - 1}" '
                       f'fill="{COLORS.get(name, "#000")}"/>')
            out.append(f'<text x="{x(v) + 3:.1f}" y="{y + bar_h - 1}" font-size="9">{v:.3g}{unit}</text>')
    axis_y = top + group_h * len(rows)
    out.append(f'<line x1="{label_w}" y1="{top - 4}" x2="{label_w}" y2="{axis_y}" stroke="black"/>')
    if reference is not None:
        rx = x(reference)
        out.append(f'<line x1="{rx:.1f}" y1="{top - 4}" x2="{rx:.1f}" y2="{axis_y}" stroke="black" '
                   f'stroke-dasharray="4,3"/>'
                   f'<text x="{rx:.1f}" y="{axis_y + 14}" text-anchor="middle">{reference:g}{unit}</text>')
    out.append(f'<text x="{label_w + plot_w}" y="{axis_y + 14}" text-anchor="end">{vmax / 1.08:.3g}{unit}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
