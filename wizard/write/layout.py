"""A repo obs-wizard can write into: a Flux repo whose Kustomization applies ``kubernetes/apps``.

Anything else is refused with the reason, unless the operator asks for the layout to be created
(``--init-layout``, or the same choice in the wizard): then the one file that makes Flux apply
``kubernetes/apps`` is part of the plan, written atomically with the rest.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from wizard.base.errors import BadInput

if TYPE_CHECKING:
    from wizard.write.plan import FileChange

APPS_KUSTOMIZATION_PATH = "kubernetes/flux/cluster/ks.yaml"

APPS_KUSTOMIZATION = """\
---
# yaml-language-server: $schema=https://raw.githubusercontent.com/fluxcd-community/flux2-schemas/main/kustomization-kustomize-v1.json
# Created by obs-wizard --init-layout: Flux applies every kubernetes/apps/<namespace>/kustomization.yaml.
# Point your Flux sync at kubernetes/flux/cluster (e.g. flux bootstrap ... --path kubernetes/flux/cluster).
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cluster-apps
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: {source}
    namespace: {source_namespace}
"""

NOT_A_FLUX_REPO = (
    "{repo}: not a Flux repo: no Flux Kustomization (kustomize.toolkit.fluxcd.io) under kubernetes/ applies "
    "./kubernetes/apps, so nothing obs-wizard writes would reach the cluster. Check --repo points at the root "
    "of your GitOps repo, or pass --init-layout to create {path} (Flux Kustomization cluster-apps)"
)


def refusal(repo: Path) -> str:
    return NOT_A_FLUX_REPO.format(repo=repo, path=APPS_KUSTOMIZATION_PATH)


def layout_changes(repo: Path, source: tuple[str, str] = ("flux-system", "flux-system")) -> list[FileChange]:
    """The file that makes Flux apply kubernetes/apps (``--init-layout`` in a repo without one)."""
    if (repo / APPS_KUSTOMIZATION_PATH).exists():
        raise BadInput(f"{repo / APPS_KUSTOMIZATION_PATH}: exists but defines no Flux Kustomization applying ./kubernetes/apps; "
                       "fix it by hand (--init-layout never overwrites a file)")
    namespace, name = source
    text = APPS_KUSTOMIZATION.format(source=name, source_namespace=namespace)
    from wizard.write.plan import FileChange

    return [FileChange(APPS_KUSTOMIZATION_PATH, "create", None, text, "--init-layout: Flux applies kubernetes/apps")]
