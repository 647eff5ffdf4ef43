"""In-place edit of the namespace ``kustomization.yaml`` with ruamel.yaml round-trip.

The operator's file may list other apps (e.g. headlamp), carry comments and a house order; only the
entries obs-wizard needs are added, nothing is removed or reordered.
"""

from __future__ import annotations

from wizard.base import yamlio, yamlrt


class KustomizationEditError(Exception):
    pass


def _already_complete(existing: str, namespace: str, resources: list[str], components: list[str]) -> bool:
    try:
        data = yamlio.load(existing)
    except yamlio.YAMLError:
        return False
    if not isinstance(data, dict) or data.get("namespace") != namespace:
        return False
    for key, wanted in (("resources", resources), ("components", components)):
        present = {_normal(str(item)) for item in data.get(key) or []}
        if not {_normal(item) for item in wanted} <= present:
            return False
    return True


def merge(existing: str, namespace: str, resources: list[str], components: list[str], drop: tuple[str, ...] = ()) -> str:
    """``existing`` with ``namespace``, ``resources`` and ``components`` ensured; else unchanged.

    ``drop``: resources to take out (the ks.yaml of an app obs-wizard wrote and the answers switched off).
    """
    if _already_complete(existing, namespace, resources, components) and not _lists_any(existing, drop):
        return existing
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.error import YAMLError

    try:
        rt = yamlrt.load(existing)  # keeps the file's list indentation, ---, quotes and comments
    except YAMLError as exc:
        raise KustomizationEditError(f"not valid YAML ({exc.__class__.__name__}); fix it by hand first") from None
    documents = [doc for doc in rt.documents if doc is not None]
    data = documents[0] if len(documents) == 1 else None
    if not isinstance(data, CommentedMap):
        raise KustomizationEditError("is not a kustomize Kustomization mapping; fix it by hand first")
    if data.get("kind") not in (None, "Kustomization"):
        raise KustomizationEditError(f"has kind {data.get('kind')!r}, expected Kustomization")

    if data.get("namespace") not in (None, namespace):
        raise KustomizationEditError(
            f"sets namespace {data.get('namespace')!r}, but the answers say {namespace!r}; "
            "change flux.namespace or the file"
        )
    if "namespace" not in data:
        position = list(data.keys()).index("kind") + 1 if "kind" in data else 0
        data.insert(position, "namespace", namespace)

    def ensure(key: str, wanted: list[str]) -> None:
        if not wanted:
            return
        current = data.get(key)
        if current is None:
            current = CommentedSeq()
            data[key] = current
        if not isinstance(current, list):
            raise KustomizationEditError(f"{key}: is not a list; fix it by hand first")
        present = {_normal(str(item)) for item in current}
        for item in wanted:
            if _normal(item) not in present:
                current.append(item)

    ensure("components", components)
    ensure("resources", resources)
    listed = data.get("resources")
    if drop and isinstance(listed, list):
        unwanted = {_normal(item) for item in drop}
        for index in reversed(range(len(listed))):
            if _normal(str(listed[index])) in unwanted:
                del listed[index]
    rt.documents = [data]
    return rt.dump()


def _lists_any(existing: str, entries: tuple[str, ...]) -> bool:
    if not entries:
        return False
    try:
        data = yamlio.load(existing)
    except yamlio.YAMLError:
        return False
    listed = {_normal(str(item)) for item in (data.get("resources") or [])} if isinstance(data, dict) else set()
    return bool(listed & {_normal(item) for item in entries})


def _normal(path: str) -> str:
    return path.removeprefix("./").rstrip("/")
