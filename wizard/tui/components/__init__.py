"""One screen, pane or widget per module; help text (.md) and styles (.tcss) beside it."""
