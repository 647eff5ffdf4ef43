"""The bottom layer: the error type every command exits through, and YAML reading and writing.

Owns ``errors`` (UsageError and the documented exit codes), ``yamlio`` (safe, cached YAML reading of
repo files) and ``yamlrt`` (ruamel round-trip YAML that keeps comments, order and quoting).
May import: nothing of ``wizard`` but ``wizard.__version__``.
"""
