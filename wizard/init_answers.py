"""``obs-wizard --init-answers``: an answers file pre-filled from what the repo defines.

The first headless run starts from this file instead of a copied example: the store, vault,
Gateway, StorageClass, layout and Flux source are the repo's own, so they pass the cross-check.
An existing file is never overwritten.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TextIO

from wizard import __version__
from wizard.answers import answers_file
from wizard.base import yamlio
from wizard.base.errors import BadInput, Exit
from wizard.repo import discovery
from wizard.write import layout


def _node_count(repo: Path) -> int | None:
    """Nodes listed in nodes.yaml (2025) or cluster.toml (2026), when the repo still has them."""
    try:
        if (repo / "nodes.yaml").is_file():
            data = yamlio.load((repo / "nodes.yaml").read_text(encoding="utf-8"))
            nodes = data.get("nodes") if isinstance(data, dict) else None
            return len(nodes) if isinstance(nodes, list) and nodes else None
        if (repo / "cluster.toml").is_file():
            nodes = tomllib.loads((repo / "cluster.toml").read_text(encoding="utf-8")).get("nodes")
            return len(nodes) if isinstance(nodes, list) and nodes else None
    except (OSError, ValueError, yamlio.YAMLError):
        return None
    return None


def text(repo: Path, found: discovery.Discovery, target: Path | None = None) -> str:
    """The pre-filled answers file to write at ``target`` (default: the repo's ``.obs-wizard/answers.yaml``)."""
    data: dict[str, dict[str, Any]] = found.suggestions()
    cluster = data.setdefault("cluster", {})
    nodes = _node_count(repo)
    if nodes:
        cluster["node_count"] = nodes
    todo = []
    if "node_count" not in cluster:
        todo.append("#   cluster.node_count: how many nodes the cluster has (required)")
    if "storage_class" not in cluster:
        todo.append("#   cluster.storage_class: the repo defines no StorageClass"
                    + (f" other than {', '.join(found.storage_classes)}" if found.storage_classes else "")
                    + "; name yours and set cluster.storage_class_outside_repo: true (required)")
    if "domain" not in cluster and not found.domain_variable:
        todo.append("#   cluster.domain: e.g. example.com (required)")
    if not found.secret_stores:
        todo.append("#   secrets.store: the repo defines no 1Password ClusterSecretStore; name it and set "
                    "secrets.store_outside_repo: true")
    if not found.gateways:
        todo.append("#   grafana.gateway_name / gateway_namespace: the repo defines no Gateway; name it and set "
                    "grafana.gateway_outside_repo: true")
    ordered = {name: data[name] for name in ("cluster", "metrics", "logs", "grafana", "secrets", "alerting", "flux") if data.get(name)}
    schema_name = Path(answers_file.SCHEMA_PATH).name
    target = target or repo / answers_file.ANSWERS_PATH
    if (target.parent / schema_name).is_file():  # the editor's schema modeline only points at a file that exists
        first = [f"# yaml-language-server: $schema=./{schema_name}"]
    elif target.parent.resolve() == (repo / answers_file.ANSWERS_PATH).parent.resolve():
        first = [f"# The first write puts {schema_name} beside this file: for editor completion, point a",
                 f"# yaml-language-server $schema modeline at ./{schema_name} once it is there."]
    else:
        first = []
    header = [
        *first,
        f"# obs-wizard {__version__} answers, pre-filled from what this repo defines (obs-wizard --init-answers).",
        "# `obs-wizard schema` lists every setting and its default. Never put a secret here.",
    ]
    if todo:
        header += ["# Still to fill in before the first run:", *todo]
    return "\n".join(header) + "\n" + yamlio.dump(ordered)


def run(repo: Path, target: Path | None, out: TextIO, init_layout: bool = False) -> int:
    found = discovery.discover(repo)
    if not found.is_flux_repo and not init_layout:
        raise BadInput(layout.refusal(repo))
    path = target or repo / answers_file.ANSWERS_PATH
    if path.exists():
        raise BadInput(f"{path}: exists; --init-answers never overwrites a file. Edit it, remove it, or pass "
                       "--answers NEW.yaml to write somewhere else")
    for line in found.report():
        print(f"repo: {line}", file=out)
    content = text(repo, found, path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(content)
    except FileExistsError:
        raise BadInput(f"{path}: exists; --init-answers never overwrites a file") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot write ({exc.__class__.__name__}); check the path and permissions") from None
    todo = content.count("\n#   ")
    print(f"wrote {path}" + (f"; fill in the {todo} value(s) listed at its top, then" if todo else "; review it, then")
          + f" run `obs-wizard --answers {path} --repo {repo} --dry-run`", file=out)
    return Exit.OK
