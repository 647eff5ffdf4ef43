"""The plain front end: the same questions as questionary prompts, for a plain terminal.

Owns ``prompts`` (the questions, ordinary ones first, then one "advanced options?") and ``review``
(exact diffs, conflicts settled value by value, the typed "yes" to write).
May import: everything below the front ends (``wizard.session`` and the packages under it).
"""
