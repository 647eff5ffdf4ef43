"""Answers against the repo: every object the answers name must be one the repo defines.

A ClusterSecretStore (and its vault), a Gateway (name, namespace, listener), a StorageClass or a
Flux GitRepository named in the answers that the repo does not define would render manifests that
never become ready on the cluster. Each such answer is a problem naming what the repo does define
(with a "did you mean"), unless the answers say explicitly that it lives outside the repo (the
``*_outside_repo`` fields). A repo that keeps its domain out of git must not get it written in.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wizard.repo.discovery import APP_NAMES, Discovery

if TYPE_CHECKING:
    from wizard.answers.model import Answers


@dataclass(frozen=True)
class Problem:
    key: str  # section.field the problem is reported on
    message: str  # without the key

    def line(self) -> str:
        return f"{self.key}: {self.message}"


def _did_you_mean(value: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(value, candidates, n=1, cutoff=0.3) if candidates else []
    guess = close[0] if close else (candidates[0] if len(candidates) == 1 else None)
    return f"; did you mean {guess}?" if guess else "."


def _missing(key: str, what: str, value: str, candidates: list[str], outside_field: str) -> Problem:
    defined = f"it defines: {', '.join(candidates)}" if candidates else f"it defines no {what}"
    return Problem(key, f"the repo defines no {what} {value} ({defined}){_did_you_mean(value, candidates)} "
                        f"If it is created outside the repo (at bootstrap or by hand), set {outside_field}: true")


def problems(answers: Answers, found: Discovery) -> list[Problem]:
    from wizard.answers.model import DOMAIN_VARIABLE_REF

    out: list[Problem] = []
    s, g, c, f = answers.secrets, answers.grafana, answers.cluster, answers.flux

    if not s.store_outside_repo:
        stores = {store.name: store for store in found.secret_stores}
        store = stores.get(s.store)
        if store is None:
            out.append(_missing("secrets.store", "ClusterSecretStore backed by 1Password", s.store, list(stores),
                                "secrets.store_outside_repo"))
        elif store.vaults and s.vault not in store.vaults:
            out.append(Problem("secrets.vault", f"the ClusterSecretStore {store.name} reads the vault(s) {', '.join(store.vaults)}, "
                                                f"not {s.vault!r}{_did_you_mean(s.vault, list(store.vaults))}"))

    if not g.gateway_outside_repo:
        wanted = f"{g.gateway_namespace}/{g.gateway_name}"
        gateways = {f"{gw.namespace}/{gw.name}": gw for gw in found.gateways}
        gateway = gateways.get(wanted)
        if gateway is None:
            out.append(_missing("grafana.gateway_name", "Gateway", wanted, list(gateways), "grafana.gateway_outside_repo"))
        elif gateway.listeners and g.gateway_section not in gateway.listeners:
            out.append(Problem("grafana.gateway_section",
                               f"the Gateway {wanted} has no listener {g.gateway_section!r} (its listeners: "
                               f"{', '.join(gateway.listeners)}){_did_you_mean(g.gateway_section, [gateway.https_section] if gateway.https_section else list(gateway.listeners))}"))

    if not c.storage_class_outside_repo and c.storage_class not in found.storage_classes:
        out.append(_missing("cluster.storage_class", "StorageClass", c.storage_class, found.storage_classes,
                            "cluster.storage_class_outside_repo"))

    if not f.git_repository_outside_repo:
        wanted = f"{f.git_repository_namespace}/{f.git_repository}"
        sources = [f"{src.namespace}/{src.name}" for src in found.sources if src.kind == "GitRepository"]
        if wanted not in sources:
            out.append(_missing("flux.git_repository", "Flux GitRepository", wanted, sources, "flux.git_repository_outside_repo"))

    # Order only where it is real: a dependency must apply the store / StorageClass the answers use, and never
    # be one of obs-wizard's own apps (each reconciles on its own).
    for key, value, named, by_name, what in (
            ("flux.secret_store_dependency", f.secret_store_dependency, s.store, found.store_kustomizations, "ClusterSecretStore"),
            ("flux.storage_dependency", f.storage_dependency, c.storage_class, found.storage_kustomizations, "StorageClass")):
        if value is None:
            continue
        if value.split("/") in ([f.namespace, app] for app in APP_NAMES):
            out.append(Problem(key, f"{value} is an obs-wizard app; no obs-wizard app depends on another (each reconciles "
                                    "on its own): name the Kustomization that creates the " + what))
            continue
        applies = sorted(name for name, ks in by_name.items() if ks == value)
        if applies and named not in applies:
            right = by_name.get(named)
            out.append(Problem(key, f"{value} applies the {what} {', '.join(applies)}, not {named}"
                                    + (f"; did you mean {right}?" if right else "; set the Kustomization that creates it")))

    if found.domain_variable and c.domain not in (None, DOMAIN_VARIABLE_REF):
        out.append(Problem("cluster.domain", f"this repo keeps its domain out of git (${{{found.domain_variable}}} from the Secret "
                                             f"{found.substitute_from}); omit cluster.domain or write {DOMAIN_VARIABLE_REF} so "
                                             "obs-wizard writes the variable, not the domain"))
    return out


def by_field(answers: Answers, found: Discovery) -> dict[str, str]:
    """The problems keyed by question (``section.field``), for the interactive front ends."""
    out: dict[str, str] = {}
    for problem in problems(answers, found):
        out.setdefault(problem.key, problem.message)
    return out
