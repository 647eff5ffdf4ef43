"""Writing: the plan of file changes, and its journaled, all-or-nothing apply.

Owns ``plan`` (create / update / merge / keep / conflict per file, with the bytes to write),
``apply`` (lock, staging, journal, rename, recovery), ``staging`` (the scratch tree validation
reads), ``layout`` (``--init-layout``), and the re-run helpers that need render and merge:
``answer_sync`` and ``disk_notes``.
May import: ``wizard.base``, ``wizard.answers``, ``wizard.repo``, ``wizard.render``.
"""
