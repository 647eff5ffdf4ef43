"""Pieces of the rendered tree that the tool-backed checks need."""

from __future__ import annotations

from typing import Any

from wizard.base import yamlio


def documents(files: dict[str, str], kind: str) -> list[tuple[str, dict[str, Any]]]:
    """(path, document) for every document of ``kind``; unparsable files are left to the schema check."""
    found = []
    for path, text in files.items():
        if not path.endswith((".yaml", ".yml")) or f"kind: {kind}" not in text:
            continue
        try:
            docs = yamlio.load_all(text)
        except yamlio.YAMLError:
            continue
        found.extend((path, doc) for doc in docs if isinstance(doc, dict) and doc.get("kind") == kind)
    return found


def helmrelease_values(files: dict[str, str], name: str) -> tuple[str, dict[str, Any]] | None:
    for path, doc in documents(files, "HelmRelease"):
        if (doc.get("metadata") or {}).get("name") == name:
            return path, ((doc.get("spec") or {}).get("values") or {})
    return None


def prometheus_rules(files: dict[str, str]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(path, document label, rule name, PrometheusRule spec) of every rule set the render ships.

    PrometheusRule documents, and the entries of kube-prometheus-stack's ``additionalPrometheusRulesMap``
    (the chart turns each into a PrometheusRule with ``spec.groups`` from the entry's ``groups``).
    """
    found = []
    for path, doc in documents(files, "PrometheusRule"):
        name = str((doc.get("metadata") or {}).get("name", "?"))
        found.append((path, f"PrometheusRule/{name}", name, doc.get("spec") or {}))
    for path, doc in documents(files, "HelmRelease"):
        values = (doc.get("spec") or {}).get("values") or {}
        rule_map = values.get("additionalPrometheusRulesMap") if isinstance(values, dict) else None
        if not isinstance(rule_map, dict):
            continue
        release = (doc.get("metadata") or {}).get("name", "?")
        for name, entry in rule_map.items():
            groups = entry.get("groups") if isinstance(entry, dict) else None
            found.append((path, f"HelmRelease/{release} additionalPrometheusRulesMap.{name}", str(name), {"groups": groups}))
    return found


def label_selector_matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels and matchExpressions); an empty selector selects
    everything. A malformed expression (repo content is untrusted) selects nothing."""
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(str(key)) != str(value):
            return False
    for expr in selector.get("matchExpressions") or []:
        if not isinstance(expr, dict):
            return False
        key, op, values = str(expr.get("key")), expr.get("operator"), [str(v) for v in expr.get("values") or []]
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True
