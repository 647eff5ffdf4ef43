"""What the rendered ExternalSecrets ask 1Password for: items (titles) and the field labels they read.

Read from the manifests themselves, so the 1Password check and the wizard's guidance name exactly
what External Secrets will look up: ``dataFrom[].extract.key`` (an item title; its template reads
labels as ``{{ index . "LABEL" }}`` or ``{{ .LABEL }}``, ``extract.property`` narrows to one label) and
``data[].remoteRef`` (``key`` = item title, ``property`` = label, default ``password``, per ESO's
1Password Connect provider). Switched-off apps render no ExternalSecret, so they need nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from wizard.answers.model import as_flux_sees
from wizard.render.extract import documents

#: ``{{ index . "LABEL" }}`` or ``{{ .LABEL }}`` in a template value.
_LABEL = re.compile(r'\{\{-?\s*(?:index\s+\.\s+"([^"]+)"|\.([A-Za-z_][A-Za-z0-9_]*))\s*-?\}\}')


@dataclass(frozen=True)
class NeededField:
    label: str
    secret: str  # the Kubernetes Secret (the ExternalSecret's target) that gets its value


@dataclass
class NeededItem:
    title: str
    fields: list[NeededField] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)  # ExternalSecrets reading it
    stores: list[str] = field(default_factory=list)  # the secret stores they read it through

    @property
    def labels(self) -> list[str]:
        return list(dict.fromkeys(f.label for f in self.fields))


def _template_labels(template: object) -> list[str]:
    data = (template or {}).get("data") if isinstance(template, dict) else None
    found: list[str] = []
    for value in (data or {}).values() if isinstance(data, dict) else ():
        text = str(value)
        found += [indexed or dotted for indexed, dotted in _LABEL.findall(text)]
    return list(dict.fromkeys(found))


def needed_items(files: dict[str, str], substituted: bool = False) -> list[NeededItem]:
    """One entry per item title, in the order the render names them; labels in the order they are read.

    ``substituted``: Flux postBuild substitution runs on these manifests (flux.substitute_from), so a
    title is what External Secrets gets after it: ``a$${X}`` in the file is looked up as ``a${X}``."""
    items: dict[str, NeededItem] = {}

    def need(title: object, labels: list[str], secret: str, store: str, es_name: str) -> None:
        if not isinstance(title, str) or not title:
            return
        if substituted:
            title = as_flux_sees(title)
        item = items.setdefault(title, NeededItem(title))
        for label in labels:
            if NeededField(label, secret) not in item.fields:
                item.fields.append(NeededField(label, secret))
        if es_name not in item.secrets:
            item.secrets.append(es_name)
        if store and store not in item.stores:
            item.stores.append(store)

    for _, doc in documents(files, "ExternalSecret"):
        spec = doc.get("spec") or {}
        name = str((doc.get("metadata") or {}).get("name") or "?")
        store = str((spec.get("secretStoreRef") or {}).get("name") or "")
        target = spec.get("target") or {}
        secret = str(target.get("name") or name)
        template_labels = _template_labels(target.get("template"))
        extracts = [entry.get("extract") for entry in spec.get("dataFrom") or []
                    if isinstance(entry, dict) and isinstance(entry.get("extract"), dict)]
        for extract in extracts:
            prop = extract.get("property")
            # Labels read by the template belong to the item only when it is the one item extracted.
            labels = [str(prop)] if prop else (template_labels if len(extracts) == 1 else [])
            need(extract.get("key"), labels, secret, store, name)
        for entry in spec.get("data") or []:
            ref = entry.get("remoteRef") if isinstance(entry, dict) else None
            if isinstance(ref, dict):
                need(ref.get("key"), [str(ref.get("property") or "password")], secret, store, name)
    return list(items.values())
