"""The target repo: what it says, what obs-wizard saved in it, and the edits that keep its content.

Owns ``discovery`` (layout, gateways, stores, storage, domain), ``crosscheck`` (answers against what
the repo defines), ``repo_paths`` (which paths are the repo's, symlink rules), ``state`` (the saved
``.obs-wizard/state.json``), ``merge`` (the structural three-way merge),
``namespace_kustomization`` (the in-place edit of the namespace kustomization) and ``dialect`` (how
the repo writes its own apps, learned so the new ones are written the same way).
May import: ``wizard.base``, ``wizard.answers``.
"""
