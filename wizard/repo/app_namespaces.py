"""The namespaces the repo's apps use, for the Flux alerts: found anew on every run.

A namespace counts when the repo puts apps there the cluster-template way (a folder
``kubernetes/apps/<namespace>/``, or the ``namespace:`` its kustomization.yaml sets), or when a Flux
object under ``kubernetes/`` lives there or sends what it applies there (``metadata.namespace``,
``spec.targetNamespace`` of a Kustomization or HelmRelease). Read-only; repo content is untrusted:
only regular files inside ``kubernetes/`` are read (no symlinks), each at most MAX_FILE_BYTES, SOPS
files are skipped, and only valid namespace names are kept (never a ``${...}`` variable), at most
MAX_NAMESPACES of them.

The list is not an answer the operator gives: ``with_found_namespaces`` puts it into the answers at
every plan (replacing what the answers file says), so a namespace added to the repo is covered on the
next run and one removed is dropped.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from wizard.base import yamlio

if TYPE_CHECKING:
    from wizard.answers.model import Answers

MAX_NAMESPACES = 100
MAX_FILE_BYTES = 1024 * 1024
FIELD = "flux_alert_found_namespaces"
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")
_FLUX_GROUPS = ("kustomize.toolkit.fluxcd.io", "helm.toolkit.fluxcd.io", "source.toolkit.fluxcd.io",
                "notification.toolkit.fluxcd.io", "image.toolkit.fluxcd.io", "fluxcd.controlplane.io")


def _valid(name: object) -> str | None:
    return name if isinstance(name, str) and _NAME.match(name) else None


def _files(root: Path) -> list[Path]:
    """Regular YAML files under ``root`` reached without a symlink (a link could lead out of the repo)."""
    out = []
    for path in sorted(root.rglob("*.y*ml")):
        if path.suffix not in (".yaml", ".yml") or ".sops." in path.name:
            continue
        try:
            rel = path.relative_to(root)
            if any((root / Path(*rel.parts[:i])).is_symlink() for i in range(1, len(rel.parts) + 1)):
                continue
            if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
                continue
        except (OSError, ValueError):
            continue
        out.append(path)
    return out


def _folder_namespace(repo: Path, path: Path) -> str | None:
    parts = path.relative_to(repo).parts
    return parts[2] if len(parts) > 3 and parts[:2] == ("kubernetes", "apps") else None


def discover(repo: Path) -> list[str]:
    """The namespaces the repo's apps use, sorted; empty when the repo has no ``kubernetes/``."""
    k8s = repo / "kubernetes"
    if not k8s.is_dir() or k8s.is_symlink():
        return []
    found: set[str] = set()
    apps = k8s / "apps"
    if apps.is_dir() and not apps.is_symlink():
        for child in sorted(apps.iterdir()):
            if child.is_dir() and not child.is_symlink() and _valid(child.name):
                found.add(child.name)
    for path in _files(k8s):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        is_namespace_kustomization = path.name in ("kustomization.yaml", "kustomization.yml") and len(path.relative_to(repo).parts) == 4
        if not is_namespace_kustomization and not any(group in text for group in _FLUX_GROUPS):
            continue
        try:
            docs = [d for d in yamlio.load_all(text) if isinstance(d, dict)]
        except yamlio.YAMLError:
            continue
        for doc in docs:
            api = str(doc.get("apiVersion") or "")
            if api.startswith("kustomize.config.k8s.io"):
                if is_namespace_kustomization and _valid(doc.get("namespace")):
                    found.add(doc["namespace"])
                continue
            if not api.startswith(_FLUX_GROUPS):
                continue
            meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
            spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
            for name in (meta.get("namespace") or _folder_namespace(repo, path), spec.get("targetNamespace")):
                if _valid(name):
                    found.add(name)
    return sorted(found)[:MAX_NAMESPACES]


def with_found_namespaces(answers: Answers, namespaces: list[str]) -> Answers:
    """``answers`` with the namespaces found in the repo this run, replacing any value given or saved.

    The value is kept like an answer (saved with the others, in the state too), so every step that rebuilds
    the answers from what is set keeps it; the next run replaces it with what it finds then.
    """
    own = answers.flux.namespace  # always watched; left out so that writing its folder changes nothing
    alerting = answers.alerting.model_copy(update={FIELD: [n for n in namespaces if n != own]})
    return answers.model_copy(update={"alerting": alerting})
