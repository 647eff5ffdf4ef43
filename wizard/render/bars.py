"""The disk chart and the alert-latency bar as text (pure: no Textual), from ``wizard.render.sizing``'s figures.

Simple bars, not a plotting widget: the projected disk use grows in a straight line (a day's
worth times the days) until the size cap deletes the oldest blocks, so a plot would show one
line; four bars on a shared scale (use after the retention, size cap, volume, days the cap
keeps) say the same in four rows that fit 60 columns, read the same in NO_COLOR and on the Linux
console (``ascii=True``), cost no import on the first screen and add no dependency
(textual-plotext would bring plotext and a canvas that needs colour or Braille to be read).
Every figure is the one ``sizing.summary`` prints (the headless summary included): the chart
prints them with the same functions. Lines are lists of ``(text, kind)`` runs, kind one of:
heading, label, fill, over, empty, marker, text, warn.
"""

from __future__ import annotations

from wizard.answers import units
from wizard.answers.model import Answers
from wizard.render import sizing

Run = tuple[str, str]
Line = list[Run]

LABEL = 16  # the label column
VALUE = 20  # the figure after the bar (room for "~30 days of 30d")
_EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(value: float, scale: float, cells: int, ascii: bool = False) -> str:
    """``value`` of ``scale`` as a bar ``cells`` wide (eighths of a cell; '#' on the Linux console)."""
    eighths = round(max(0.0, min(value / scale, 1.0)) * cells * 8) if scale > 0 else 0
    if ascii:
        return "#" * round(eighths / 8)
    full, part = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def _row(label: str, drawn: list[Run], cells: int, value: str) -> Line:
    used = sum(len(t) for t, _ in drawn)
    return [("  " + label.ljust(LABEL - 2), "label"), *drawn, (" " * (cells - used + 1), "empty"), (value, "text")]


def disk_lines(answers: Answers, width: int, ascii: bool = False) -> list[Line]:
    """Prometheus's projected disk use against its volume and size cap, and the days the cap keeps;
    Loki's volume and how much a day it holds (Loki has no size cap)."""
    cells = max(10, width - LABEL - VALUE - 1)
    out: list[Line] = []
    if answers.apps.kube_prometheus_stack:
        disk = sizing.prometheus_disk(answers)
        scale = max(disk.bytes_needed, disk.pvc_bytes, disk.cap_bytes)
        kept = min(disk.bytes_needed, disk.cap_bytes)
        use = [(bar(kept, scale, cells, ascii), "fill")]
        if disk.bytes_needed > disk.cap_bytes:  # the part the cap deletes, drawn differently
            beyond = len(bar(disk.bytes_needed, scale, cells, ascii)) - len(use[0][0])
            use.append((("x" if ascii else "░") * beyond, "over"))
        out += [
            [("Prometheus disk", "heading"), (f" (estimate: ~{sizing.gib_text(disk.bytes_per_day)} a day, "
                                              f"~{disk.series:,} series)", "text")],
            _row(f"use after {answers.metrics.retention}", use, cells, f"~{sizing.gib_text(disk.bytes_needed)}"),
            _row("size cap", [(bar(disk.cap_bytes, scale, cells, ascii), "marker")], cells,
                 answers.metrics.effective_retention_size),
            _row("volume", [(bar(disk.pvc_bytes, scale, cells, ascii), "marker")], cells, answers.metrics.pvc_size),
            _row("cap keeps", [(bar(disk.days_kept, disk.retention_days, cells, ascii), "warn" if disk.cap_binds else "fill")],
                 cells, f"~{sizing.days_text(disk.days_kept)} of {answers.metrics.retention}"),
        ]
        if disk.cap_binds:
            out.append([("  the size cap deletes the oldest data before the retention ends", "warn")])
        if disk.too_small:
            out.append([(f"  the volume is below the estimated need of {sizing.gib_text(disk.pvc_recommended_bytes)} (data + 15% free)", "warn")])
    if answers.apps.loki:
        loki = sizing.loki_disk(answers)
        needed = loki.bytes_needed
        if needed is None:
            out += [
                [("Loki disk", "heading"), (" (deleted by age only: no size cap)", "text")],
                _row("volume", [(bar(1, 1, cells, ascii), "marker")], cells, f"{answers.logs.pvc_size} for {answers.logs.retention}"),
                [(f"  holds at most ~{sizing.gib_text(loki.bytes_per_day_fits)} of stored logs a day; "
                  "how much your pods log decides (Stored logs a day, in the advanced options, projects it)", "text")],
            ]
        else:
            scale = max(needed, loki.pvc_bytes)
            kept = min(needed, loki.pvc_bytes)
            use = [(bar(kept, scale, cells, ascii), "fill")]
            if loki.overflows:  # what does not fit: Loki's writes fail once the volume is full
                beyond = len(bar(needed, scale, cells, ascii)) - len(use[0][0])
                use.append((("x" if ascii else "░") * beyond, "over"))
            out += [
                [("Loki disk", "heading"), (f" (your estimate: {answers.logs.daily_volume} a day; deleted by age only)", "text")],
                _row(f"use after {answers.logs.retention}", use, cells, f"~{sizing.gib_text(needed)}"),
                _row("volume", [(bar(loki.pvc_bytes, scale, cells, ascii), "marker")], cells, answers.logs.pvc_size),
            ]
            if loki.overflows:
                out.append([(f"  the volume fills after ~{sizing.days_text(loki.days_until_full)}: Loki's writes then fail", "warn")])
    return out


def latency_segments(budget: sizing.LatencyBudget, cells: int) -> list[tuple[str, float, int]]:
    """(part, seconds, cells) for each part of the budget, on a scale of max(worst case, target)."""
    scale = max(budget.total, sizing.LATENCY_TARGET_SECONDS)
    out, done, edge = [], 0.0, 0
    for name, seconds in budget.parts():
        done += seconds
        end = round(done / scale * cells)
        out.append((name, seconds, end - edge))
        edge = end
    return out


SHORT = {"scrape": "scrape", "scrape timeout": "timeout", "evaluation": "eval", "for": "for", "group_wait": "wait"}


def latency_lines(answers: Answers, width: int, ascii: bool = False) -> list[Line]:
    """The alert -> Slack worst case as a bar of its parts against the target (sizing.alert_latency)."""
    if not answers.apps.kube_prometheus_stack:
        return []
    budget = sizing.alert_latency(answers)
    cells = max(20, width - 4)
    scale = max(budget.total, sizing.LATENCY_TARGET_SECONDS)
    target_at = min(round(sizing.LATENCY_TARGET_SECONDS / scale * cells), cells - 1)
    row: list[Run] = []  # one (character, kind) per cell
    for n, (name, seconds, size) in enumerate(latency_segments(budget, cells)):
        value = units.format_seconds(seconds)
        label = next((t for t in (f"{name} {value}", f"{SHORT[name]} {value}", value, "") if len(t) < size), "")
        text = (("|" if ascii else "▏") + label).ljust(size)[:size]
        row += [(ch, "fill" if n % 2 == 0 else "over") for ch in text]
    marker = "|" if ascii else "┃"
    row += [(" ", "empty")] * (cells - len(row))
    row[target_at] = (marker, "marker")
    drawn: Line = [("  ", "text")]
    for ch, kind in row:
        drawn.append((drawn.pop()[0] + ch, kind) if drawn[-1][1] == kind else (ch, kind))
    verdict = "within" if budget.within_target else "over"
    heading = [("Alert -> Slack", "heading"),
               (f" worst case {units.format_seconds(budget.total)}, {verdict} the "
                f"{units.format_seconds(sizing.LATENCY_TARGET_SECONDS)} target ({marker}):", "text" if budget.within_target else "warn")]
    sums = " + ".join(f"{units.format_seconds(s)} {name}" for name, s in budget.parts())
    return [heading, drawn, [(f"  {sums} = {units.format_seconds(budget.total)}", "text")]]


def plain(lines: list[Line]) -> str:
    return "\n".join("".join(text for text, _ in line).rstrip() for line in lines)
