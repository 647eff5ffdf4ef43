"""obs-wizard: bootstrap an observability platform into a Flux GitOps repository."""

__version__ = "0.1.0"
