"""The interactive wizard (Textual). Imported only when a terminal session starts it.

May import: everything below the front ends (``wizard.session`` and the packages under it).
"""
