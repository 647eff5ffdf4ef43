"""obs-wizard: bootstrap an observability platform into a Flux GitOps repository.

One package per concern; imports run one way only, from a layer to the layers listed before it
(a layout test holds the code to this):

1. ``base``        errors and exit codes, YAML reading and round-trip writing
2. ``answers``     the answers model, units, questions, JSON Schema, the answers file, the secret guard
3. ``repo``        discovery, cross-checks, repo paths, saved state, the three-way merge
4. ``render``      the pure render, chart pins, sizing, the pictures
5. ``write``       the write plan and its journaled apply, staging, ``--init-layout``
6. ``validate``    every check before a write, its tools and upstream data
7. ``onepassword`` the 1Password Connect gateway and item checks
8. ``verify``      ``obs-wizard verify``: the live checks on the cluster through kubectl, the test alert
9. ``session``, ``headless``, ``init_answers``: the pipeline the front ends drive
10. ``plain``, ``tui``: the two interactive front ends; ``cli`` on top of all
"""

__version__ = "0.1.0"
