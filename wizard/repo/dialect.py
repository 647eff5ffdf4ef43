"""How the repo writes its own apps (its dialect), learned so obs-wizard writes the new apps the same way.

Read from every app folder ``kubernetes/apps/<namespace>/<app>/`` but obs-wizard's own: its ``ks.yaml``
(schema comment and its host, ``&app``/``&namespace`` anchors, ``metadata.namespace``, the Flux
Kustomization ``spec`` keys and their order, the ``substituteFrom`` key order, where comments go),
``app/kustomization.yaml`` (schema comment), ``app/helmrelease.yaml`` and ``app/ocirepository.yaml``
(``spec`` key order), the namespace ``kustomization.yaml`` (blank lines between sections, schema
comment) and the HTTPRoutes' ``hostnames`` (flow ``["..."]`` or block list). Each trait is the one
most of the repo's apps have. A repo with no app to learn from gets ``LEGACY``, the style obs-wizard
always wrote (the golden tree). A re-run keeps the dialect of the first write (recorded in
``state.json``; a state without one is ``LEGACY``), so no file is rewritten only to change its style.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from wizard.base import yamlio
from wizard.repo.repo_paths import read_text

#: The Flux Kustomization spec keys obs-wizard can write, in the order it always wrote them.
LEGACY_KS_KEYS = ("commonMetadata", "dependsOn", "interval", "path", "postBuild", "prune", "retryInterval", "sourceRef",
                  "targetNamespace", "timeout", "wait")
#: Keys the platform needs in every ks.yaml, whatever the repo writes (postBuild and dependsOn when the answers need them).
NEEDED_KS_KEYS = ("dependsOn", "interval", "path", "postBuild", "prune", "sourceRef", "targetNamespace")
LEGACY_HR_KEYS = ("chartRef", "interval", "install", "upgrade", "values")
LEGACY_OCI_KEYS = ("interval", "layerSelector", "ref", "url")
SCHEMA_HOSTS = {"k8s-schemas.home-operations.com": "home-operations", "fluxcd-community": "fluxcd-community"}
_SCHEMA_RE = re.compile(r"^# yaml-language-server: \$schema=(\S+)", re.M)


@dataclass(frozen=True)
class Dialect:
    learned_from: str | None = None  # "default/echo": the app whose ks.yaml is most like the majority
    apps: int = 0  # how many of the repo's apps it was learned from
    schema: str | None = "home-operations"  # schema comments on Flux documents: None, "home-operations", "fluxcd-community"
    kustomization_schema: bool = True  # the schemastore comment on kustomize.config.k8s.io Kustomizations
    app_anchor: bool = False  # metadata.name: &app <app> (and *app where the name is repeated)
    metadata_namespace: bool = False  # metadata.namespace on the Flux Kustomization
    namespace_anchor: bool = False  # metadata.namespace: &namespace <ns> (and targetNamespace: *namespace)
    ks_keys: tuple[str, ...] = LEGACY_KS_KEYS  # spec keys written (those needed added) and their order
    substitute_order: tuple[str, ...] = ("kind", "name")
    comments: str = "before-spec"  # where the ks.yaml comments go: "before-spec" or "top" (before apiVersion)
    blank_lines: bool = False  # blank lines between the sections of the namespace kustomization.yaml
    flow_hostnames: bool = False  # HTTPRoute hostnames as ["..."]
    hr_keys: tuple[str, ...] = LEGACY_HR_KEYS
    oci_keys: tuple[str, ...] = LEGACY_OCI_KEYS

    @property
    def legacy(self) -> bool:
        return self == LEGACY

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Dialect:
        """The dialect recorded in state.json; unknown or missing keys take LEGACY's value."""
        if not isinstance(data, dict):
            return LEGACY
        known = {f.name: f for f in fields(cls)}
        values = {}
        for name, value in data.items():
            if name in known:
                values[name] = tuple(str(v) for v in value) if isinstance(getattr(LEGACY, name), tuple) else value
        return replace(LEGACY, **values)

    def schema_line(self, group: str, kind: str, version: str) -> str | None:
        """The ``# yaml-language-server`` comment for a document of this kind, or None (the repo writes none)."""
        if self.schema is None:
            return None
        if self.schema == "fluxcd-community":
            if group.endswith("toolkit.fluxcd.io"):
                return (f"# yaml-language-server: $schema=https://raw.githubusercontent.com/fluxcd-community/flux2-schemas/main/"
                        f"{kind.lower()}-{group.split('.')[0]}-{version}.json")
            return f"# yaml-language-server: $schema=https://raw.githubusercontent.com/datreeio/CRDs-catalog/main/{group}/{kind.lower()}_{version}.json"
        return f"# yaml-language-server: $schema=https://k8s-schemas.home-operations.com/{group}/{kind.lower()}_{version}.json"

    def describe(self) -> list[str]:
        """What the files are written like, one line per file kind (printed before the plan)."""
        if self.learned_from is None:
            return ["dialect: obs-wizard's own: schema comments from k8s-schemas.home-operations.com, no anchors, spec keys "
                    + ", ".join(k for k in self.ks_keys if k != "dependsOn") + " (dependsOn only where the order is real)"]
        schema = {None: "no schema comments", "home-operations": "schema comments from k8s-schemas.home-operations.com",
                  "fluxcd-community": "schema comments from fluxcd-community (flux2-schemas)"}[self.schema]
        anchors = ("&app" + (" and &namespace" if self.namespace_anchor else "") + " anchors") if self.app_anchor else "no anchors"
        ns = "metadata.namespace" if self.metadata_namespace else "no metadata.namespace"
        lines = [
            f"dialect: ks.yaml like {self.learned_from} (the majority of {self.apps} app(s)): {schema}, {anchors}, {ns}, "
            f"spec keys {', '.join(k for k in self.ks_keys if k != 'dependsOn')} (dependsOn only where the order is real), "
            f"substituteFrom {' then '.join(self.substitute_order)}, "
            + ("comments at the top" if self.comments == "top" else "comments before spec"),
            "dialect: namespace kustomization.yaml " + ("with" if self.blank_lines else "without") + " blank lines between sections, "
            + ("with" if self.kustomization_schema else "without") + " a schema comment; HTTPRoute hostnames as "
            + ('["..."]' if self.flow_hostnames else "a block list"),
            f"dialect: HelmRelease spec order {', '.join(self.hr_keys)}; OCIRepository spec order {', '.join(self.oci_keys)}",
        ]
        return lines


LEGACY = Dialect()


def _order(sequences: list[list[str]], wanted: tuple[str, ...], fallback: tuple[str, ...]) -> tuple[str, ...]:
    """``wanted`` in the order the repo writes them: each key after the one it follows in the repo's
    files, a key the repo never writes after its predecessor in ``fallback``."""
    order: list[str] = []
    for seq in sequences:
        for i, key in enumerate(seq):
            if key in order:
                continue
            before = next((k for k in reversed(seq[:i]) if k in order), None)
            order.insert(order.index(before) + 1 if before else 0, key)
    for key in fallback:
        if key not in order:
            before = next((k for k in reversed(fallback[:fallback.index(key)]) if k in order), None)
            order.insert(order.index(before) + 1 if before else 0, key)
    return tuple(k for k in order if k in wanted)


def _majority(values: list[Any], default: Any) -> Any:
    if not values:
        return default
    counts = Counter(values).most_common()
    best = [v for v, n in counts if n == counts[0][1]]
    return values[0] if values[0] in best else best[0]  # a tie: the first app's


def _first_doc(repo: Path, path: Path, api: str) -> tuple[str, dict[str, Any]] | None:
    text = _read(repo, path)
    if text is None:
        return None
    try:
        docs = yamlio.load_all(text)
    except (yamlio.YAMLError, ValueError, RecursionError):
        return None
    for doc in docs:
        if isinstance(doc, dict) and str(doc.get("apiVersion", "")).startswith(api) and isinstance(doc.get("spec"), dict):
            return text, doc
    return None


def _schema_host(text: str) -> str | None:
    match = _SCHEMA_RE.search(text)
    if not match:
        return None
    return next((name for host, name in SCHEMA_HOSTS.items() if host in match.group(1)), "home-operations")


def _has_blank_lines(text: str) -> bool:
    lines = text.splitlines()
    return any(not line.strip() and 0 < i < len(lines) - 1 and lines[i + 1][:1].isalpha() for i, line in enumerate(lines))


def learn(repo: Path, namespace: str = "observability", own_apps: tuple[str, ...] = ()) -> Dialect | None:
    """The dialect most of the repo's apps are written in, or None without an app to learn from."""
    apps_dir = repo / "kubernetes" / "apps"
    if not apps_dir.is_dir():
        return None
    ks_files = sorted(p for p in apps_dir.glob("*/*/ks.yaml")
                      if not (p.parent.parent.name == namespace and p.parent.name in own_apps))
    traits: list[dict[str, Any]] = []
    for path in ks_files:
        found = _first_doc(repo, path, "kustomize.toolkit.fluxcd.io")
        if found is None:
            continue
        text, doc = found
        meta = doc.get("metadata") or {}
        substitute = ((doc["spec"].get("postBuild") or {}).get("substituteFrom") or [None])[0]
        head = text.split("\nspec:", 1)[0]
        body = [line for line in text.splitlines() if line.startswith("#") and not _SCHEMA_RE.match(line)]
        traits.append({
            "app": f"{path.parent.parent.name}/{path.parent.name}",
            "schema": _schema_host(text),
            "app_anchor": bool(re.search(r"^  name: &\S+ ", head, re.M)),
            "metadata_namespace": isinstance(meta, dict) and "namespace" in meta,
            "namespace_anchor": bool(re.search(r"^  namespace: &\S+ ", head, re.M)),
            "keys": list(doc["spec"].keys()),
            "substitute": tuple(str(k) for k in substitute) if isinstance(substitute, dict) else None,
            "comments": ("top" if body[0] in text.split("apiVersion:", 1)[0] else "before-spec") if body else None,
        })
    if not traits:
        return None
    pick = {name: _majority([t[name] for t in traits], getattr(LEGACY, name, None))
            for name in ("schema", "app_anchor", "metadata_namespace", "namespace_anchor")}
    optional = [k for k in LEGACY_KS_KEYS if k not in NEEDED_KS_KEYS]
    used = [k for k in optional if sum(k in t["keys"] for t in traits) * 2 > len(traits)]
    ks_keys = _order([t["keys"] for t in traits], (*NEEDED_KS_KEYS, *used), LEGACY_KS_KEYS)
    substitute = _majority([t["substitute"] for t in traits if t["substitute"]], LEGACY.substitute_order)
    comments = _majority([t["comments"] for t in traits if t["comments"]], "top")
    like = next((t for t in traits if all(t[k] == v for k, v in pick.items())
                 and {k for k in t["keys"] if k in LEGACY_KS_KEYS} - {"postBuild"} == set(ks_keys) - {"dependsOn", "postBuild"}), None)
    like = like or next((t for t in traits if all(t[k] == v for k, v in pick.items())), traits[0])

    app_dirs = [p.parent for p in ks_files]
    hr_orders = [list(d[1]["spec"]) for d in (_first_doc(repo, a / "app/helmrelease.yaml", "helm.toolkit.fluxcd.io") for a in app_dirs) if d]
    oci_orders = [list(d[1]["spec"]) for d in (_first_doc(repo, a / "app/ocirepository.yaml", "source.toolkit.fluxcd.io") for a in app_dirs) if d]
    kustomizations = [t for t in (_read(repo, a / "app/kustomization.yaml") for a in app_dirs) if t is not None]
    ns_files = [t for t in (_read(repo, p) for p in sorted(apps_dir.glob("*/kustomization.yaml")) if p.parent.name != namespace)
                if t is not None]
    routes = []
    for path in sorted(apps_dir.rglob("*.yaml")):
        if path.parent.parent.parent.name == namespace and path.parent.parent.name in own_apps:
            continue
        text = _read(repo, path) or ""
        if "kind: HTTPRoute" in text:
            routes += [m.group(1).strip().startswith("[") for m in re.finditer(r"^  hostnames:(.*)$", text, re.M)]
    return Dialect(
        learned_from=like["app"],
        apps=len(traits),
        schema=pick["schema"],
        kustomization_schema=_majority(["schemastore.org/kustomization" in t for t in kustomizations + ns_files], True),
        app_anchor=pick["app_anchor"],
        metadata_namespace=pick["metadata_namespace"],
        namespace_anchor=pick["namespace_anchor"] and pick["metadata_namespace"],
        ks_keys=ks_keys,
        substitute_order=tuple(substitute),
        comments=comments,
        blank_lines=_majority([_has_blank_lines(t) for t in ns_files], False),
        flow_hostnames=_majority(routes, False),
        hr_keys=_order(hr_orders, LEGACY_HR_KEYS, LEGACY_HR_KEYS),
        oci_keys=_order(oci_orders, LEGACY_OCI_KEYS, LEGACY_OCI_KEYS),
    )


def _read(repo: Path, path: Path) -> str | None:
    return read_text(repo, path)  # inside the repo and bounded
