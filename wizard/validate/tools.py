"""External tools (kubectl, promtool, amtool): where they are and what to do when one is missing."""

from __future__ import annotations

import os
import shutil

#: Debian package (or other source) that provides each tool, for the "missing" message.
PROVIDERS = {
    "kubectl": "kubectl (from your Kubernetes distribution or the cloud SDK)",
    "promtool": "the Debian package `prometheus`",
    "amtool": "the Debian package `prometheus-alertmanager`",
    "docker-registry": "the Debian package `docker-registry`",  # the tests' local OCI registry
}

#: The exact remedy for a missing tool.
REMEDIES = {
    "kubectl": "install kubectl (https://kubernetes.io/docs/tasks/tools/#kubectl)",
    "promtool": "apt-get install prometheus",
    "amtool": "apt-get install prometheus-alertmanager",
    "docker-registry": "apt-get install docker-registry",
}


def strict() -> bool:
    """True when a missing tool must fail instead of being skipped (CI sets this)."""
    return os.environ.get("OBS_WIZARD_STRICT_TOOLS", "") not in ("", "0", "false")


def find(name: str) -> str | None:
    return shutil.which(name)


def missing_message(name: str, step: str) -> str:
    return f"{name} not found, so {step} did not run ({name} comes with {PROVIDERS.get(name, name)})"


def remedy(name: str) -> str:
    return REMEDIES.get(name, f"install {name}")
