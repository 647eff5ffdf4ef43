"""The interactive wizard (Textual). Imported only when a terminal session starts it."""
