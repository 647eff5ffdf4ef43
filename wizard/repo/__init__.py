"""The target repo: what it says, what obs-wizard saved in it, and the edits that keep its content.

Owns ``discovery`` (layout, gateways, stores, storage, domain), ``crosscheck`` (answers against what
the repo defines), ``repo_paths`` (which paths are the repo's, symlink rules), ``state`` (the saved
``.obs-wizard/state.json``), ``merge`` (the structural three-way merge) and
``namespace_kustomization`` (the in-place edit of the namespace kustomization).
May import: ``wizard.base``, ``wizard.answers``.
"""
