"""Strict validation of custom resources against their upstream CRD schemas.

Each CRD's ``openAPIV3Schema`` is converted to a strict JSON Schema (the kubeconform rules plus a
strict root and metadata): an unknown or misspelled field fails, as it would be pruned or refused
by the API server. Core kinds get small strict schemas of their own.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from wizard import yamlio
from wizard.validcache import ValidCache, key
from wizard.validate.findings import Finding, Report

_METADATA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", "maxLength": 253},
        "namespace": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}

_NAMESPACE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["apiVersion", "kind", "metadata"],
    "properties": {
        "apiVersion": {"const": "v1"},
        "kind": {"const": "Namespace"},
        "metadata": _METADATA,
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"finalizers": {"type": "array", "items": {"type": "string"}}},
        },
    },
}

#: Core kinds checked without a CRD; (apiVersion, kind) -> schema.
CORE_SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {("v1", "Namespace"): _NAMESPACE_SCHEMA}


def _strict(node: Any) -> Any:
    """Convert one OpenAPI v3 (structural) schema node to strict JSON Schema, recursively."""
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for name, value in node.items():
        if name.startswith("x-kubernetes-") or name in ("nullable", "format"):
            continue
        out[name] = _strict(value)
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out = {"anyOf": [{"type": "integer"}, {"type": "string"}], **out}
    if "properties" in node and not node.get("x-kubernetes-preserve-unknown-fields") and "additionalProperties" not in node:
        out["additionalProperties"] = False
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
    return out


def _document_schema(group: str, version: str, kind: str, openapi: dict[str, Any]) -> dict[str, Any]:
    schema = _strict(copy.deepcopy(openapi))
    properties = schema.setdefault("properties", {})
    properties.pop("status", None)
    properties["apiVersion"] = {"const": f"{group}/{version}"}
    properties["kind"] = {"const": kind}
    properties["metadata"] = _METADATA
    schema["additionalProperties"] = False
    schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind", "metadata"})
    return schema


def _cache_file(crd_dir: str) -> Path | None:
    """Where the converted schemas of crd_dir are cached, keyed by its files' names, sizes and mtimes."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    try:
        stamp = [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(Path(crd_dir).glob("*.y*ml"))]
    except OSError:
        return None
    key = hashlib.sha256(json.dumps([_CONVERTER_VERSION, os.path.abspath(crd_dir), stamp]).encode()).hexdigest()[:32]
    return Path(base) / "obs-wizard" / f"crd-schemas-{key}.json"


_CONVERTER_VERSION = 1  # bump when _strict or _document_schema change


@lru_cache(maxsize=8)
def load_crd_schemas(crd_dir: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> strict JSON Schema, for every served version of every CRD in crd_dir."""
    cache = _cache_file(crd_dir)
    if cache is not None:
        try:
            return {tuple(k.split(" ", 1)): v for k, v in json.loads(cache.read_text(encoding="utf-8")).items()}  # type: ignore[misc]
        except (OSError, ValueError):
            pass
    schemas = _convert_dir(crd_dir)
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({f"{k[0]} {k[1]}": v for k, v in schemas.items()}), encoding="utf-8")
            os.replace(tmp, cache)
        except OSError:
            pass  # a read-only home only costs speed
    return schemas


def _crd_loader():
    """A safe YAML loader that reads a bare ``=`` as the string it is (PyYAML's '=' value tag),
    as in the Prometheus Operator CRDs' enum of label matchers."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc,valid-type]
        pass

    Loader.add_constructor("tag:yaml.org,2002:value", base.construct_yaml_str)
    return Loader


def _convert_dir(crd_dir: str) -> dict[tuple[str, str], dict[str, Any]]:
    import yaml

    loader = _crd_loader()
    docs: list[Any] = []
    for path in sorted(Path(crd_dir).glob("*.y*ml")):
        try:
            docs.extend(yaml.load_all(path.read_text(encoding="utf-8"), Loader=loader))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # not a CRD file this converter can read; its kinds stay unresolved and say so
    return schemas_from_documents(docs)


def schemas_from_documents(docs: list[Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> strict JSON Schema, for every served version of every CRD in ``docs``."""
    schemas: dict[tuple[str, str], dict[str, Any]] = {}
    for doc in docs:
        if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
            continue
        spec = doc["spec"]
        group, kind = spec["group"], spec["names"]["kind"]
        for version in spec.get("versions", []):
            if not version.get("served", False):
                continue
            openapi = (version.get("schema") or {}).get("openAPIV3Schema")
            if openapi:
                schemas[(f"{group}/{version['name']}", kind)] = _document_schema(group, version["name"], kind, openapi)
    return schemas


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


def _chart_versions(files: dict[str, str]) -> dict[str, str]:
    from wizard.validate.extract import documents

    return {str((doc.get("metadata") or {}).get("name")): str(((doc.get("spec") or {}).get("ref") or {}).get("tag", ""))
            for _, doc in documents(files, "OCIRepository")}


def check_documents(files: dict[str, str], crd_dir: Path | None, strict_missing: bool) -> Report:
    """Validate every document of every YAML file (kustomize config files are left to kustomize).

    The schemas come from the first source that has each kind (see crd_sources); the report says which.
    """
    from wizard.validate.crd_sources import resolve

    report = Report(checks_run=["crd-schema"])
    parsed = _parsed(files, report)
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
        report.add(Finding("error" if strict_missing else "skipped", "crd-schema",
                           f"no schema for {kinds}{looked}; those documents were not checked ({why})", remedy=CRD_REMEDY))
    cache = ValidCache()
    digests: dict[tuple[str, str], str] = {}
    for path, index, doc in parsed:
        api_version, kind = doc.get("apiVersion"), doc.get("kind")
        kind_key = (str(api_version), str(kind))
        schema = CORE_SCHEMAS.get(kind_key) or known.get(kind_key)
        if schema is None:
            continue
        name = (doc.get("metadata") or {}).get("name", "?")
        label = f"{kind}/{name} (document {index})"
        digest = digests.get(kind_key) or digests.setdefault(kind_key, key(_CONVERTER_VERSION, schema))
        entry = key(digest, doc)
        if entry in cache:
            continue
        errors = sorted(_validator(digest, schema).iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
        for error in errors:
            report.add(Finding("error", "crd-schema", _message(error), file=path, document=label, path=_path(error)))
        if not errors:
            cache.add(entry)
        for checked, checked_label, prefix in _rules_in_values(doc, label, known):
            rule_schema = known[_PROMETHEUS_RULE]
            rule_digest = digests.get(_PROMETHEUS_RULE) or digests.setdefault(_PROMETHEUS_RULE, key(_CONVERTER_VERSION, rule_schema))
            for error in sorted(_validator(rule_digest, rule_schema).iter_errors(checked), key=lambda e: list(map(str, e.absolute_path))):
                where = prefix + _path(error).removeprefix("spec")
                report.add(Finding("error", "crd-schema", _message(error), file=path, document=checked_label, path=where))
    cache.save()
    return report
