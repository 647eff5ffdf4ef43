"""Draws a ``platform_map.PlatformMap`` as text art (pure: no Textual), within a given width.

Each lane is a row of boxes joined by arrows; a column of several boxes is a fan-out. When a lane
does not fit the width even with its widest box wrapped, its boxes are stacked top to bottom
instead. A part that is off has a dashed border and "(off)" in its title (readable without colour);
``ascii=True`` draws with ``+ - | > <`` only (the Linux console). Every line is a list of
``(text, kind)`` runs, kind one of: lane, border, title, text, arrow, off (for styling).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wizard.render.platform_map import Box, PlatformMap

Run = tuple[str, str]
Line = list[Run]

GAP = 4  # columns between two boxes: the arrow
MIN_INNER = 8

_UNICODE = {"tl": "╭", "tr": "╮", "bl": "╰", "br": "╯", "h": "─", "v": "│",
            "otl": "┌", "otr": "┐", "obl": "└", "obr": "┘", "oh": "╌", "ov": "┆",
            "right": "▶", "left": "◀", "down": "▼", "up": "▲", "tee": "┬", "elbow": "└", "mid": "├"}
_ASCII = {"tl": "+", "tr": "+", "bl": "+", "br": "+", "h": "-", "v": "|",
          "otl": "+", "otr": "+", "obl": "+", "obr": "+", "oh": ".", "ov": ":",
          "right": ">", "left": "<", "down": "v", "up": "^", "tee": "+", "elbow": "+", "mid": "+"}


def title_of(box: Box) -> str:
    return box.title if box.on else f"{box.title} (off)"


def natural_width(box: Box) -> int:
    return max(len(title_of(box)) + 6, *(len(line) + 4 for line in box.lines))


def _wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width``, broken between words, else after a '/' or '.' (namespace/name,
    host.domain); a part longer than a line is cut only where the width leaves no room for it (the boxes are
    made as wide as their longest part)."""
    out = []
    while len(text) > width:
        cut = text.rfind(" ", 1, width + 1)
        if cut <= 0:
            cut = max(text.rfind(ch, 1, width) for ch in "/.")
            cut = cut + 1 if cut > 0 else width
        out.append(text[:cut].rstrip(" "))
        text = text[cut:].lstrip(" ")
    return [*out, text]


def _longest_word(box: Box) -> int:
    """The longest part of a line that _wrap does not break: a word, or its piece after a '/' or '.'."""
    return max((len(part) for line in box.lines for part in re.split(r"\s+|(?<=[/.])", line)), default=0)


class _Canvas:
    def __init__(self, width: int) -> None:
        self.width = width
        self.rows: list[list[Run]] = []

    def put(self, row: int, col: int, text: str, kind: str) -> None:
        while len(self.rows) <= row:
            self.rows.append([(" ", "text")] * self.width)
        for i, ch in enumerate(text):
            if 0 <= col + i < self.width:
                self.rows[row][col + i] = (ch, kind)

    def lines(self) -> list[Line]:
        out = []
        for cells in self.rows:
            while cells and cells[-1][0] == " ":
                cells = cells[:-1]
            runs: Line = []
            for ch, kind in cells:
                if runs and runs[-1][1] == kind:
                    runs[-1] = (runs[-1][0] + ch, kind)
                else:
                    runs.append((ch, kind))
            out.append(runs)
        return out


@dataclass
class _Placed:
    box: Box
    x: int
    y: int
    width: int
    lines: list[str]

    @property
    def height(self) -> int:
        return len(self.lines) + 2


def _draw_box(canvas: _Canvas, placed: _Placed, g: dict[str, str]) -> None:
    box, x, y, w = placed.box, placed.x, placed.y, placed.width
    o = "" if box.on else "o"
    border = "border" if box.on else "off"
    title = title_of(box)
    canvas.put(y, x, g[o + "tl"] + g[o + "h"] + " ", border)
    canvas.put(y, x + 3, title, "title" if box.on else "off")
    canvas.put(y, x + 3 + len(title), " " + g[o + "h"] * (w - len(title) - 5) + g[o + "tr"], border)
    for i, line in enumerate(placed.lines, start=1):
        canvas.put(y + i, x, g[o + "v"] + " ", border)
        canvas.put(y + i, x + 2, line.ljust(w - 4), "text" if box.on else "off")
        canvas.put(y + i, x + w - 2, " " + g[o + "v"], border)
    canvas.put(y + len(placed.lines) + 1, x, g[o + "bl"] + g[o + "h"] * (w - 2) + g[o + "br"], border)


def _column_widths(pmap: PlatformMap, columns: tuple[tuple[str, ...], ...], width: int) -> list[int] | None:
    widths = [max(natural_width(pmap.box(k)) for k in col) for col in columns]
    floors = [max(max(max(len(title_of(pmap.box(k))) + 6, _longest_word(pmap.box(k)) + 4) for k in col), MIN_INNER + 4)
              for col in columns]  # no box narrower than its title or its longest word: words are never split
    excess = sum(widths) + GAP * (len(columns) - 1) - width
    while excess > 0:
        i = max(range(len(widths)), key=lambda j: widths[j] - floors[j])
        room = widths[i] - floors[i]
        if room <= 0:
            return None
        cut = min(room, excess)
        widths[i] -= cut
        excess -= cut
    return widths


def _link(pmap: PlatformMap, a: str, b: str):
    return next((lk for lk in pmap.links if {lk.source, lk.target} == {a, b}), None)


def _lane_across(pmap: PlatformMap, columns, widths: list[int], g: dict[str, str]) -> list[Line]:
    canvas = _Canvas(sum(widths) + GAP * (len(widths) - 1))
    placed: list[list[_Placed]] = []
    x = 0
    for col, w in zip(columns, widths):
        y, stack = 0, []
        for key in col:
            box = pmap.box(key)
            p = _Placed(box, x, y, w, [part for line in box.lines for part in _wrap(line, w - 4)])
            stack.append(p)
            y += p.height
        placed.append(stack)
        x += w + GAP
    for stack in placed:
        for p in stack:
            _draw_box(canvas, p, g)
    for left, right in zip(placed, placed[1:]):
        gx = left[0].x + left[0].width
        for a in left:
            targets = [(b, _link(pmap, a.box.key, b.box.key)) for b in right]
            targets = [(b, lk) for b, lk in targets if lk is not None]
            for n, (b, lk) in enumerate(targets):
                kind, h, v = ("arrow", g["h"], g["v"]) if lk.on else ("off", g["oh"], g["ov"])
                row = b.y + 1
                if lk.source == a.box.key and len(targets) == 1:
                    canvas.put(row, gx, h * (GAP - 1) + g["right"], kind)
                elif lk.source == a.box.key:  # fan-out: a trunk down the gap's second column
                    if n == 0:
                        canvas.put(row, gx, h + g["tee"] + h + g["right"], kind)
                    else:
                        top = targets[n - 1][0].y + 1
                        for r in range(top + 1, row):
                            canvas.put(r, gx + 1, v, kind)
                        canvas.put(row, gx + 1, g["elbow"] + h + g["right"], kind)
                else:
                    canvas.put(row, gx, g["left"] + h * (GAP - 1), kind)
    return canvas.lines()


def _lane_down(pmap: PlatformMap, columns, width: int, g: dict[str, str]) -> list[Line]:
    keys = [k for col in columns for k in col]
    w = min(width, max(natural_width(pmap.box(k)) for k in keys))
    out: list[Line] = []
    previous_column: tuple[str, ...] = ()
    for col in columns:
        for key in col:
            box = pmap.box(key)
            for prev in previous_column:
                lk = _link(pmap, prev, key)
                if lk is not None:
                    arrow = g["down"] if lk.source == prev else g["up"]
                    note = f" ({title_of(pmap.box(prev))})" if out and prev != keys[keys.index(key) - 1] else ""
                    out.append([("  " + arrow + note, "arrow" if lk.on else "off")])
            canvas = _Canvas(w)
            _draw_box(canvas, _Placed(box, 0, 0, w, [p for line in box.lines for p in _wrap(line, w - 4)]), g)
            out += canvas.lines()
        previous_column = col
    return out


def draw(pmap: PlatformMap, width: int, ascii: bool = False) -> list[Line]:
    """The whole map: each lane under its title, across when it fits ``width``, else stacked."""
    g = _ASCII if ascii else _UNICODE
    out: list[Line] = []
    for lane in pmap.lanes:
        out.append([(lane.title, "lane")])
        widths = _column_widths(pmap, lane.columns, width)
        out += _lane_across(pmap, lane.columns, widths, g) if widths else _lane_down(pmap, lane.columns, width, g)
    return out


def plain(lines: list[Line]) -> str:
    """The art as plain text (tests, logs)."""
    return "\n".join("".join(text for text, _ in line) for line in lines)
