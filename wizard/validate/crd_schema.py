"""Strict validation of custom resources against their upstream CRD schemas.

The schemas come from crd_sources (converted by crd_convert); an unknown or misspelled field fails,
as it would be pruned or refused by the API server.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from wizard.base import yamlio
from wizard.validate.crd_convert import CONVERTER_VERSION, CORE_SCHEMAS
from wizard.validate.crd_sources import resolve
from wizard.validate.findings import Finding, Report
from wizard.validate.validcache import ValidCache, key

_VALIDATORS: dict[str, Any] = {}


def _validator(digest: str, schema: dict[str, Any]):
    if digest not in _VALIDATORS:
        import jsonschema  # only when a document has not been validated before

        _VALIDATORS[digest] = jsonschema.Draft7Validator(schema)
    return _VALIDATORS[digest]


def _path(error) -> str:
    parts = []
    for part in error.absolute_path:
        parts.append(f"[{part}]" if isinstance(part, int) else (f".{part}" if parts else str(part)))
    return "".join(parts) or "(document)"


_UNKNOWN = re.compile(r"Additional properties are not allowed \((.*) (?:was|were) unexpected\)")


def _message(error) -> str:
    match = _UNKNOWN.match(error.message)
    if match:
        return f"unknown field {match.group(1)} (misspelled, or not in this API version)"
    if error.validator == "const":
        return f"must be {error.validator_value!r}"
    return error.message


_PROMETHEUS_RULE = ("monitoring.coreos.com/v1", "PrometheusRule")


def _rules_in_values(doc: dict[str, Any], label: str, known: dict) -> list[tuple[dict[str, Any], str, str]]:
    """kube-prometheus-stack's additionalPrometheusRulesMap entries as the PrometheusRules the chart makes of them.

    The chart copies each entry's ``groups`` into a PrometheusRule's ``spec.groups``: checked against the
    PrometheusRule CRD like a PrometheusRule file would be. (document, label, value path prefix).
    """
    if doc.get("kind") != "HelmRelease" or _PROMETHEUS_RULE not in known:
        return []
    values = (doc.get("spec") or {}).get("values")
    rule_map = values.get("additionalPrometheusRulesMap") if isinstance(values, dict) else None
    if not isinstance(rule_map, dict):
        return []
    found = []
    for name, entry in rule_map.items():
        groups = entry.get("groups") if isinstance(entry, dict) else entry
        synthetic = {"apiVersion": _PROMETHEUS_RULE[0], "kind": _PROMETHEUS_RULE[1], "metadata": {"name": "rules"},
                     "spec": {"groups": groups}}
        found.append((synthetic, f"{label} additionalPrometheusRulesMap.{name}", f"spec.values.additionalPrometheusRulesMap.{name}"))
    return found


CRD_REMEDY = ("let kubectl reach the cluster, allow the one-time download of the pinned CRDs, "
              "or pass --crd-dir DIR with the CRD YAML files")


def _parsed(files: dict[str, str], report: Report) -> list[tuple[str, int, dict[str, Any]]]:
    """(path, index, document) of every custom or core resource; unparsable files are reported."""
    found = []
    for path, text in files.items():
        if not path.endswith((".yaml", ".yml")):
            continue
        try:
            docs = yamlio.load_all(text)
        except yamlio.YAMLError as exc:
            report.add(Finding("error", "yaml", f"not valid YAML: {str(exc).splitlines()[0]}", file=path))
            continue
        for index, doc in enumerate(docs, start=1):
            if not isinstance(doc, dict):
                report.add(Finding("error", "yaml", "document is not a mapping", file=path, document=f"document {index}"))
                continue
            if str(doc.get("apiVersion")).startswith("kustomize.config.k8s.io/"):
                continue
            found.append((path, index, doc))
    return found


def _chart_versions(files: dict[str, str]) -> dict[str, Any]:
    """OCIRepository name -> its ref as it is on disk (``charts.OciRef``)."""
    from wizard.render import charts
    from wizard.render.extract import documents

    return {str((doc.get("metadata") or {}).get("name")): charts.oci_ref(doc) for _, doc in documents(files, "OCIRepository")}


def _encrypted(value: Any) -> bool:
    """A SOPS-encrypted value (``ENC[AES256_GCM,...,type:int]``): its decrypted type is not known here."""
    return isinstance(value, str) and value.startswith("ENC[") and value.endswith("]")


def _doc_label(doc: dict[str, Any]) -> str:
    return f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name', '?')}"


def check_documents(files: dict[str, str], crd_dir: Path | None, strict_missing: bool,
                    added: dict[str, str] | None = None) -> Report:
    """Validate every document of every YAML file (kustomize config files are left to kustomize).

    ``added``: files the operator added to the app folders (listed in a kustomization), checked the same.
    The schemas come from the first source that has each kind (see crd_sources); the report says which,
    and how many documents were checked. A document no source has a schema for is named as not checked.
    """
    report = Report(checks_run=["crd-schema"])
    added = added or {}
    parsed = _parsed({**files, **added}, report)
    wanted = {(str(doc.get("apiVersion")), str(doc.get("kind"))) for _, _, doc in parsed} - CORE_SCHEMAS.keys()
    if any(doc.get("kind") == "HelmRelease" and "additionalPrometheusRulesMap" in str(doc) for _, _, doc in parsed):
        wanted.add(_PROMETHEUS_RULE)  # the rules kube-prometheus-stack makes of its values
    resolved = resolve(wanted, crd_dir, _chart_versions(files)) if wanted else None
    known = resolved.schemas if resolved else {}
    if resolved and resolved.origin:
        report.sources["crd-schema"] = resolved.source_line()
    unresolved = sorted(wanted - known.keys())
    if unresolved:
        kinds = ", ".join(f"{api_version} {kind}" for api_version, kind in unresolved)
        why = "; ".join(resolved.notes) if resolved and resolved.notes else "no source has them"
        looked = f" in {crd_dir}" if crd_dir is not None else ""
        unchecked = [f"{_doc_label(doc)} ({path})" for path, _, doc in parsed
                     if (str(doc.get("apiVersion")), str(doc.get("kind"))) in unresolved]
        remedy = CRD_REMEDY
        if any(kind_key[0].startswith("monitoring.coreos.com/") for kind_key in unresolved) and resolved and any(
                note.startswith("kube-prometheus-stack chart:") for note in resolved.notes):
            remedy += (", or run `obs-wizard fetch-charts --repo DIR` where the chart registry is reachable (the "
                       "kube-prometheus-stack chart at the version on disk carries the Prometheus Operator CRDs)")
        report.add(Finding("error" if strict_missing else "skipped", "crd-schema",
                           f"no schema for {kinds}{looked}; not checked: {', '.join(unchecked) or 'none'} ({why})",
                           remedy=remedy))
    cache = ValidCache()
    digests: dict[tuple[str, str], str] = {}
    checked_docs = 0
    checked_added: list[str] = []
    for path, index, doc in parsed:
        api_version, kind = doc.get("apiVersion"), doc.get("kind")
        kind_key = (str(api_version), str(kind))
        schema = CORE_SCHEMAS.get(kind_key) or known.get(kind_key)
        if schema is None:
            continue
        checked_docs += 1
        if path in added:
            checked_added.append(_doc_label(doc))
        name = (doc.get("metadata") or {}).get("name", "?")
        label = f"{kind}/{name} (document {index})"
        digest = digests.get(kind_key) or digests.setdefault(kind_key, key(CONVERTER_VERSION, schema))
        entry = key(digest, doc)
        if entry in cache:
            continue
        checked_doc = doc
        if isinstance(doc.get("sops"), dict):  # SOPS-encrypted: Flux decrypts it and drops the sops metadata first
            checked_doc = {k: v for k, v in doc.items() if k != "sops"}
        errors = sorted((e for e in _validator(digest, schema).iter_errors(checked_doc) if not _encrypted(e.instance)),
                        key=lambda e: list(map(str, e.absolute_path)))
        for error in errors:
            report.add(Finding("error", "crd-schema", _message(error), file=path, document=label, path=_path(error)))
        if not errors:
            cache.add(entry)
        for checked, checked_label, prefix in _rules_in_values(doc, label, known):
            rule_schema = known[_PROMETHEUS_RULE]
            rule_digest = digests.get(_PROMETHEUS_RULE) or digests.setdefault(_PROMETHEUS_RULE, key(CONVERTER_VERSION, rule_schema))
            for error in sorted(_validator(rule_digest, rule_schema).iter_errors(checked), key=lambda e: list(map(str, e.absolute_path))):
                where = prefix + _path(error).removeprefix("spec")
                report.add(Finding("error", "crd-schema", _message(error), file=path, document=checked_label, path=where))
    cache.save()
    count = f"{checked_docs} document(s) checked" + (
        f", {len(checked_added)} of them added by you: {', '.join(checked_added)}" if checked_added else "")
    origin = report.sources.get("crd-schema")
    report.sources["crd-schema"] = f"{origin}; {count}" if origin else count
    return report
