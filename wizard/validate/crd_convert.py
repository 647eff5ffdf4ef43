"""CRD YAML -> strict JSON Schemas: the converter the CRD check and its schema sources share.

Each CRD's ``openAPIV3Schema`` is converted to a strict JSON Schema (the kubeconform rules plus a
strict root and metadata): an unknown or misspelled field fails, as it would be pruned or refused
by the API server. Core kinds get small strict schemas of their own. Converted directories are
cached per user.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

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

_DATA_KEY = r"^[-._a-zA-Z0-9]+$"
_STRING_MAP = {"type": "object", "propertyNames": {"pattern": _DATA_KEY}, "additionalProperties": {"type": "string"}}


def _core(kind: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": ["apiVersion", "kind", "metadata"],
            "properties": {"apiVersion": {"const": "v1"}, "kind": {"const": kind}, "metadata": _METADATA, **properties}}


#: Core kinds checked without a CRD; (apiVersion, kind) -> schema. ConfigMap and Secret (an operator's
#: dashboard ConfigMap beside the apps) are flat, so their whole schema is this small.
CORE_SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("v1", "Namespace"): _NAMESPACE_SCHEMA,
    ("v1", "ConfigMap"): _core("ConfigMap", {"data": _STRING_MAP, "binaryData": _STRING_MAP, "immutable": {"type": "boolean"}}),
    ("v1", "Secret"): _core("Secret", {"data": _STRING_MAP, "stringData": _STRING_MAP, "type": {"type": "string"},
                                       "immutable": {"type": "boolean"}}),
}


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
    key = hashlib.sha256(json.dumps([CONVERTER_VERSION, os.path.abspath(crd_dir), stamp]).encode()).hexdigest()[:32]
    return Path(base) / "obs-wizard" / f"crd-schemas-{key}.json"


CONVERTER_VERSION = 1  # bump when _strict or _document_schema change


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
