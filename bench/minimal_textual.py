"""A minimal Textual app (a Label and an Input), the yardstick for the wizard's start-up time."""

from textual.app import App, ComposeResult
from textual.widgets import Input, Label


class Minimal(App):
    def compose(self) -> ComposeResult:
        yield Label("minimal textual app ready")
        yield Input()


if __name__ == "__main__":
    Minimal().run()
