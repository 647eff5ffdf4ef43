"""A structural three-way merge of YAML files, per path, applied in place on the file on disk.

- base = what the previous answers rendered, ours = the file on disk, theirs = the new render;
- a path only the operator changed keeps the operator's value; a path only the new answers changed
  takes the new value; both changed to different values is a conflict (never resolved silently);
- the on-disk document is edited in place (ruamel.yaml round-trip), so comments, key order, quoting
  and flow style survive;
- lists of named items (containers, env, rules, ...) are matched by their key, lists of plain values
  (kustomization resources) as sets, other lists as a whole;
- multi-document files are matched document by document (kind and name);
- without a base (it cannot be rebuilt) the merge is two-way: every value that differs is a conflict,
  keys only one side has are kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from wizard.base import yamlio, yamlrt

Side = Literal["ours", "theirs"]
LIST_KEYS = ("name", "alert", "record", "secretKey", "mountPath", "containerPort", "port", "key", "id")


class _Missing:
    def __repr__(self) -> str:
        return "(absent)"


MISSING: Any = _Missing()
UNKNOWN: Any = object()  # two-way merge: the base is not known


@dataclass(frozen=True)
class Conflict:
    path: str  # YAML path inside the file, e.g. spec.values.singleBinary.persistence.size
    base: Any
    ours: Any
    theirs: Any
    note: str = ""  # why this is a conflict although only one side changed it (a lost kind, name or spec)

    def describe(self) -> str:
        show = show_value
        note = f" ({self.note})" if self.note else ""
        return f"{self.path.removesuffix(':')}: previous render {show(self.base)}, on disk {show(self.ours)}, new render {show(self.theirs)}{note}"


def show_value(value: Any) -> str:
    """One side of a conflict on one line, as every front end shows it."""
    if value is MISSING:
        return "(absent)"
    if value is UNKNOWN:
        return "(unknown)"
    if isinstance(value, dict) and (value.get("kind") or value.get("apiVersion")):
        meta = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
        return f"(a {value.get('kind', 'document')} {meta.get('name', '')})".replace(" )", ")")
    text = json.dumps(_plain(value), default=str)
    return text if len(text) <= 80 else text[:77] + "..."


#: Why losing these is never taken as a hand edit: Flux would delete the object from the cluster.
LOST_NOTE = "Flux would delete it from the cluster; take the new render to restore it"


def _empty(value: Any) -> bool:
    return value is MISSING or value is None or value == {} or value == [] or value == ""


@dataclass
class MergeResult:
    text: str
    conflicts: list[Conflict] = field(default_factory=list)
    resolved: list[tuple[Conflict, Side]] = field(default_factory=list)  # conflicts settled by a choice
    decisions: list[tuple[Conflict, Side | None]] = field(default_factory=list)  # every conflict, in file order


class MergeError(Exception):
    pass


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value


def _same(a: Any, b: Any) -> bool:
    if a is MISSING or b is MISSING:
        return a is b
    if a is UNKNOWN or b is UNKNOWN:
        return False
    return _plain(a) == _plain(b)


def _list_key(*lists: Any) -> str | None:
    items = [item for lst in lists if isinstance(lst, list) for item in lst]
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for key in LIST_KEYS:
        values = [i.get(key) for i in items]
        if all(v is not None and not isinstance(v, (dict, list)) for v in values):
            if all(len({_key_value(i, key) for i in lst}) == len(lst) for lst in lists if isinstance(lst, list)):
                return key
    return None


def _key_value(item: dict, key: str) -> str:
    return json.dumps(_plain(item.get(key)))


class _Merger:
    def __init__(self, choose: dict[str, Side] | Side | None, keep_ours: set[str], take_theirs: set[str]):
        self.choose = choose
        self.keep_ours = keep_ours  # paths whose on-disk value wins (e.g. Renovate-managed versions)
        self.take_theirs = take_theirs  # paths whose new value wins (answers the operator changed on purpose)
        self.conflicts: list[Conflict] = []
        self.resolved: list[tuple[Conflict, Side]] = []
        self.decisions: list[tuple[Conflict, Side | None]] = []
        self.identity: dict[str, tuple[str | None, str | None]] = {}  # kind, metadata(.name), spec path -> (document, key)
        self.theirs_text = ""
        self._theirs_rt: dict[str, Any] | None = None
        self.changed = False  # whether anything in ours was modified

    def restore(self, path: str, theirs: Any) -> Any:
        """The new render's value at an identity path, read round-trip so its comments come back too."""
        document, key = self.identity.get(path, (None, None))
        if document is None:
            return theirs
        if self._theirs_rt is None:
            docs = [d for d in yamlrt.load(self.theirs_text).documents if d is not None]
            self._theirs_rt = {_doc_key(d, i): d for i, d in enumerate(docs)}
        doc = self._theirs_rt.get(document)
        if doc is None:
            return theirs
        return doc if key is None else doc.get(key, theirs) if isinstance(doc, dict) else theirs

    def decide(self, conflict: Conflict) -> Side | None:
        choice = self.choose.get(conflict.path) if isinstance(self.choose, dict) else self.choose
        if choice is None:
            self.conflicts.append(conflict)
        else:
            self.resolved.append((conflict, choice))
        self.decisions.append((conflict, choice))
        return choice

    def merge_value(self, path: str, base: Any, ours: Any, theirs: Any) -> Any:
        """The merged value at ``path`` (may be ``ours`` mutated in place, or MISSING to delete).

        Maps and lists are always merged structurally, in place, so that what the operator's file
        carries beyond the data (comments, order, quoting, flow style) survives; only a scalar, or a
        list that cannot be matched item by item, is replaced as a whole.
        """
        if path in self.keep_ours:
            return ours
        if path in self.take_theirs:
            return theirs
        if _same(ours, theirs):
            return ours
        if path in self.identity and (base is UNKNOWN or not _same(base, ours)):
            # The kind, name or spec of a rendered object, changed or emptied by hand: never kept silently.
            emptied = path.endswith(("spec", "metadata"))  # these may be edited, but not emptied
            lost = (_empty(ours) and not _empty(theirs)) if emptied else True
            if lost:
                choice = self.decide(Conflict(path, base, ours, theirs, LOST_NOTE))
                return self.restore(path, theirs) if choice == "theirs" else ours
        if isinstance(ours, dict) and isinstance(theirs, dict) and (isinstance(base, dict) or base is MISSING or base is UNKNOWN):
            return self.merge_map(path, base if isinstance(base, dict) else ({} if base is MISSING else UNKNOWN), ours, theirs)
        if isinstance(ours, list) and isinstance(theirs, list) and (isinstance(base, list) or base is MISSING or base is UNKNOWN):
            merged = self.merge_list(path, base if isinstance(base, list) else ([] if base is MISSING else UNKNOWN), ours, theirs)
            if merged is not None:
                return merged
        if base is not UNKNOWN and _same(base, theirs):
            return ours  # only the operator changed it
        if base is not UNKNOWN and _same(base, ours):
            return theirs  # only the answers changed it
        if base is UNKNOWN and ours is MISSING:
            return theirs  # two-way: a key only the new render has is added
        if base is UNKNOWN and theirs is MISSING:
            return ours  # two-way: a key only the file has is the operator's own
        choice = self.decide(Conflict(path, base, ours, theirs))
        return theirs if choice == "theirs" else ours

    def merge_map(self, path: str, base: Any, ours: dict, theirs: dict) -> dict:
        keys = list(ours.keys()) + [k for k in theirs if k not in ours] + ([k for k in base if k not in ours and k not in theirs] if isinstance(base, dict) else [])
        for key in keys:
            child = _join(path, key)
            b = base.get(key, MISSING) if isinstance(base, dict) else UNKNOWN
            o = ours.get(key, MISSING)
            t = theirs.get(key, MISSING)
            merged = self.merge_value(child, b, o, t)
            if merged is MISSING:
                if key in ours:
                    del ours[key]
                    self.changed = True
            elif merged is not o:
                ours[key] = merged
                self.changed = True
        return ours

    def merge_list(self, path: str, base: Any, ours: list, theirs: list) -> list | None:
        """Keyed or set-like merge in place; None when the list can only be merged as a whole."""
        key = _list_key(ours, theirs, base if isinstance(base, list) else None)
        if key is not None:
            return self._merge_keyed(path, key, base, ours, theirs)
        if all(not isinstance(v, (dict, list)) for lst in (ours, theirs, base if isinstance(base, list) else []) for v in lst):
            return self._merge_set(base, ours, theirs)
        return None

    def _merge_keyed(self, path: str, key: str, base: Any, ours: list, theirs: list) -> list:
        by_key = lambda lst: {_key_value(i, key): i for i in lst}  # noqa: E731
        b_items = by_key(base) if isinstance(base, list) else None
        t_items = by_key(theirs)
        merged: dict[str, Any] = {}
        for item in ours:
            k = _key_value(item, key)
            b = b_items.get(k, MISSING) if b_items is not None else UNKNOWN
            value = self.merge_value(f"{path}[{key}={_plain(item.get(key))}]", b, item, t_items.get(k, MISSING))
            if value is not MISSING:
                merged[k] = value
        for k, item in t_items.items():
            if k not in merged and k not in {_key_value(i, key) for i in ours}:
                b = b_items.get(k, MISSING) if b_items is not None else UNKNOWN
                value = self.merge_value(f"{path}[{key}={_plain(item.get(key))}]", b, MISSING, item)
                if value is not MISSING:
                    merged[k] = value
        order = _order([_key_value(i, key) for i in ours], list(t_items), list(b_items) if b_items is not None else None)
        result = [merged[k] for k in order if k in merged]
        if [id(v) for v in result] != [id(v) for v in ours]:
            ours[:] = result
            self.changed = True
        return ours

    def _merge_set(self, base: Any, ours: list, theirs: list) -> list:
        base_values = [json.dumps(_plain(v)) for v in base] if isinstance(base, list) else None
        ours_values = {json.dumps(_plain(v)): v for v in ours}
        theirs_values = {json.dumps(_plain(v)): v for v in theirs}
        keep = {}
        for k, v in ours_values.items():
            removed_by_answers = base_values is not None and k in base_values and k not in theirs_values
            if not removed_by_answers:
                keep[k] = v
        for k, v in theirs_values.items():
            removed_by_operator = base_values is not None and k in base_values and k not in ours_values
            if k not in keep and not removed_by_operator:
                keep[k] = v
        order = _order(list(ours_values), list(theirs_values), base_values)
        result = [keep[k] for k in order if k in keep]
        if [id(v) for v in result] != [id(v) for v in ours]:
            ours[:] = result
            self.changed = True
        return ours


def _order(ours: list[str], theirs: list[str], base: list[str] | None) -> list[str]:
    """The order of a merged list: the new render's order, unless the operator reordered the
    previous render's items; items only the operator has stay right after their neighbour."""
    operator_reordered = base is None or [k for k in ours if k in base] != [k for k in base if k in ours]
    if operator_reordered:
        return ours + [k for k in theirs if k not in ours]
    order = [k for k in theirs]
    for index, k in enumerate(ours):
        if k in order:
            continue
        previous = next((ours[j] for j in range(index - 1, -1, -1) if ours[j] in order), None)
        order.insert(order.index(previous) + 1 if previous is not None else 0, k)
    return order


def _join(path: str, key: Any) -> str:
    if not path:
        return str(key)
    return f"{path} {key}" if path.endswith(":") else f"{path}.{key}"


def _doc_key(doc: Any, index: int) -> str:
    if isinstance(doc, dict):
        meta = doc.get("metadata") or {}
        if isinstance(meta, dict) and doc.get("kind") and meta.get("name"):
            return f"{doc['kind']}/{meta['name']}"
    return f"document {index + 1}"


def merge_texts(base: str | None, ours: str, theirs: str, *, choose: dict[str, Side] | Side | None = None,
                keep_ours: set[str] | None = None, take_theirs: set[str] | None = None) -> MergeResult:
    """Merge ``theirs`` into ``ours`` relative to ``base`` (None: two-way). Conflict paths are
    prefixed with the document (``HelmRelease/loki: spec.values...``) in multi-document files."""
    try:
        rt = yamlrt.load(ours)
    except Exception as exc:  # ruamel raises many error types on bad YAML
        raise MergeError(f"not valid YAML on disk ({exc.__class__.__name__}); fix it by hand first") from None
    base_docs = yamlio.load_all(base) if base is not None else None
    theirs_docs = yamlio.load_all(theirs)
    merger = _Merger(choose, keep_ours or set(), take_theirs or set())
    merger.theirs_text = theirs
    ours_docs = [d for d in rt.documents if d is not None]
    multi = max(len(ours_docs), len(theirs_docs)) > 1

    def keyed(docs: list[Any]) -> dict[str, Any]:
        return {_doc_key(d, i): d for i, d in enumerate(docs)}

    b_map = keyed(base_docs) if base_docs is not None else None
    t_map = keyed(theirs_docs)
    pairs = _pair_renamed(ours_docs, t_map)  # an object whose kind or name was changed by hand
    result_docs = []
    for index, doc in enumerate(ours_docs):
        name = pairs.get(index, _doc_key(doc, index))
        b = b_map.get(name, MISSING) if b_map is not None else UNKNOWN
        theirs_doc = t_map.get(name, MISSING)
        root = f"{name}:" if multi else ""
        if isinstance(theirs_doc, dict):
            for key in ("kind", "metadata", "spec"):
                merger.identity[_join(root, key)] = (name, key)
            merger.identity[_join(_join(root, "metadata"), "name")] = (None, None)  # a scalar: the value itself
            merger.identity[root or "(document)"] = (name, None)
        merged = _merge_top(merger, root, b, doc, theirs_doc)
        if merged is not MISSING:
            result_docs.append(merged)
    present = {pairs.get(i, _doc_key(d, i)) for i, d in enumerate(ours_docs)}
    restored = []
    for name, doc in t_map.items():
        if name not in present:
            b = b_map.get(name, MISSING) if b_map is not None else UNKNOWN
            if b is not MISSING and isinstance(doc, dict):  # a rendered object gone from the file
                merger.identity[f"{name}:"] = (name, None)
                choice = merger.decide(Conflict(f"{name}:", b, MISSING, doc, LOST_NOTE))
                merged = merger.restore(f"{name}:", doc) if choice == "theirs" else MISSING
            else:
                merged = merger.merge_value(f"{name}:", b, MISSING, doc)
            if merged is not MISSING:
                result_docs.append(merged)
                restored.append(merged)
    if not ours_docs and restored and len(restored) == len(theirs_docs):
        return MergeResult(theirs, merger.conflicts, merger.resolved, merger.decisions)  # an emptied file, restored
    if not merger.changed and len(result_docs) == len(ours_docs) and all(a is b for a, b in zip(result_docs, ours_docs)):
        return MergeResult(ours, merger.conflicts, merger.resolved, merger.decisions)  # nothing to change: the file as it is
    rt.documents = result_docs
    return MergeResult(rt.dump(), merger.conflicts, merger.resolved, merger.decisions)


def _pair_renamed(ours_docs: list[Any], t_map: dict[str, Any]) -> dict[int, str]:
    """Documents on disk that match no rendered document, paired with the rendered one they were:
    the same name (its kind changed), the same kind (its name changed or lost), or the only one left."""
    ours_keys = [_doc_key(d, i) for i, d in enumerate(ours_docs)]
    lone_ours = [i for i, key in enumerate(ours_keys) if key not in t_map and isinstance(ours_docs[i], dict)]
    lone_theirs = [name for name in t_map if name not in ours_keys and isinstance(t_map[name], dict)]
    pairs: dict[int, str] = {}

    def meta_name(doc: dict) -> Any:
        meta = doc.get("metadata")
        return meta.get("name") if isinstance(meta, dict) else None

    for match in (lambda o, t: meta_name(o) is not None and meta_name(o) == meta_name(t),
                  lambda o, t: o.get("kind") is not None and o.get("kind") == t.get("kind")):
        for index in list(lone_ours):
            found = next((name for name in lone_theirs if match(ours_docs[index], t_map[name])), None)
            if found is not None:
                pairs[index] = found
                lone_ours.remove(index)
                lone_theirs.remove(found)
    if len(lone_ours) == 1 and len(lone_theirs) == 1:
        pairs[lone_ours[0]] = lone_theirs[0]
    return pairs


def _merge_top(merger: _Merger, root: str, base: Any, ours: Any, theirs: Any) -> Any:
    if isinstance(theirs, dict) and not isinstance(ours, dict) and theirs.get("kind"):
        choice = merger.decide(Conflict(root or "(document)", base, ours, theirs, LOST_NOTE))
        return merger.restore(root or "(document)", theirs) if choice == "theirs" else ours
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return merger.merge_map(root, base if isinstance(base, dict) else (UNKNOWN if base is UNKNOWN else {}), ours, theirs)
    return merger.merge_value(root or "(document)", base, ours, theirs)


def value_at(text: str, path: str) -> Any:
    """The value at a conflict ``path`` (as ``Conflict.path`` names it) in ``text``; MISSING if absent.

    Keys may contain dots (``app.kubernetes.io/name``): at each mapping the longest matching key wins.
    """
    try:
        docs = [d for d in yamlio.load_all(text)]
    except yamlio.YAMLError:
        return MISSING
    node: Any = MISSING
    rest = path
    for index, doc in enumerate(docs):
        name = _doc_key(doc, index)
        if path == f"{name}:" or path.startswith(f"{name}: "):
            node, rest = doc, path[len(name) + 1:].lstrip()
            break
    else:
        if len(docs) != 1:
            return MISSING
        node = docs[0]
    while rest:
        if isinstance(node, dict):
            keys = [str(k) for k in node if rest == str(k) or rest.startswith((f"{k}.", f"{k}["))]
            if not keys:
                return MISSING
            key = max(keys, key=len)
            node = next(v for k, v in node.items() if str(k) == key)
            rest = rest[len(key):].removeprefix(".")
        elif isinstance(node, list) and rest.startswith("[") and "=" in rest and "]" in rest:
            selector, rest = rest[1:].split("]", 1)
            rest = rest.removeprefix(".")
            key, wanted = selector.split("=", 1)
            node = next((i for i in node if isinstance(i, dict) and str(_plain(i.get(key))) == wanted), MISSING)
            if node is MISSING:
                return MISSING
        else:
            return MISSING
    return node
