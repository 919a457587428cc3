"""An inline SVG bar chart of weekly updates, drawn without any library so the report stays self-contained."""

from __future__ import annotations

from html import escape

from core.monitoring.inventory import WeekCount

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 16, 40


def _nice_max(value: int) -> int:
    for step in (5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
        if value <= step:
            return step
    return ((value // 5000) + 1) * 5000


def trend_svg(weeks: list[WeekCount], *, title: str = "每周更新数量") -> str:
    """Bars per week with a labelled axis; an empty trend still draws the axes."""
    top = _nice_max(max((w.count for w in weeks), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(weeks), 1)
    bar = max(slot * 0.7, 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" font-family="sans-serif" font-size="11">'
    ]
    for i in range(5):
        value = top * i // 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#666">{value}</text>')
    label_every = max(1, len(weeks) // 8)
    for i, w in enumerate(weeks):
        h = plot_h * w.count / top if top else 0
        x = LEFT + slot * i + (slot - bar) / 2
        y = TOP + plot_h - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="#b5121b">'
            f"<title>{w.week.isoformat()} 起一周：{w.count} 条</title></rect>"
        )
        if w.count:
            cx = x + bar / 2
            parts.append(f'<text x="{cx:.1f}" y="{y - 3:.1f}" text-anchor="middle" fill="#333">{w.count}</text>')
        if i % label_every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                f'fill="#666">{w.week.month}/{w.week.day}</text>'
            )
    parts.append(f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="#999"/>')
    parts.append(f'<text x="{LEFT}" y="{HEIGHT - 6}" fill="#666">周（起始日）</text></svg>')
    return "".join(parts)
