"""The render: a pure function from answers to manifests, and the figures and pictures made from them.

Owns ``render`` (answers -> files, from the packaged templates), ``charts`` (the pinned chart
versions and their defaults), ``sizing`` (disk, memory and latency estimates), ``extract`` (reading
objects back out of rendered files), ``alerts_table``, ``platform_map``, ``boxart`` and ``bars``; ``names``, the Secret names, without the render.
Nothing here touches the target repo, the network or a subprocess.
May import: ``wizard.base``, ``wizard.answers``.
"""
