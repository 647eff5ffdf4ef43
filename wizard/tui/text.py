"""Text on screen: anything from the operator, the repo or a tool is shown literally (never as markup).

Build screen text from ``literal`` and ``styled`` pieces; never pass a str that mixes markup and
outside text to a widget. Marks fall back to ASCII on the Linux console (TERM=linux).
"""

from __future__ import annotations

import os

from textual.content import Content

UNICODE_MARKS = {"ok": "✓", "fail": "✗", "warn": "⚠", "skip": "·", "here": "▸", "bullet": "•", "arrow": "→"}
ASCII_MARKS = {"ok": "+", "fail": "x", "warn": "!", "skip": "-", "here": ">", "bullet": "*", "arrow": "->"}


def ascii_only() -> bool:
    return os.environ.get("TERM", "") == "linux"


def mark(name: str) -> str:
    return (ASCII_MARKS if ascii_only() else UNICODE_MARKS)[name]


def plain_marks(text: str) -> str:
    """``text`` with the Unicode marks replaced on terminals that cannot draw them."""
    if not ascii_only():
        return text
    for name, symbol in UNICODE_MARKS.items():
        text = text.replace(symbol, ASCII_MARKS[name])
    return text.replace("…", "...").replace("—", "-")


def literal(text: object) -> Content:
    """``text`` exactly as given: brackets are brackets."""
    return Content(plain_marks(str(text)))


def styled(*parts: str | tuple[str, str]) -> Content:
    """Plain pieces and (text, style) pieces, e.g. styled(("Repo: ", "bold"), repo_path); no markup parsing."""
    return Content.assemble(*(plain_marks(p) if isinstance(p, str) else (plain_marks(p[0]), p[1]) for p in parts))


def lines(*items: Content | str) -> Content:
    """Join lines; str items are literal."""
    return Content("\n").join(item if isinstance(item, Content) else literal(item) for item in items)
