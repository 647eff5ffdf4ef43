"""The 1Password guidance of the Secrets step: what the rendered ExternalSecrets need, each with its
status, and how to reach Connect from here. Plain data and text; no Textual, never a secret value.

Statuses: ``not checked`` (no check ran for it yet, or it changed since), ``found``, ``missing``,
``duplicated``, ``unreachable`` (Connect could not be asked) and ``invalid`` (present, but not a
value External Secrets or Alertmanager can use, e.g. a webhook that is not Slack-style).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from wizard.answers.model import Answers
from wizard.onepassword.check import Outcome
from wizard.onepassword.needs import needed_items
from wizard.repo.discovery import Discovery

NOT_CHECKED = "not checked"
#: Port on this machine that the suggested port-forward listens on.
LOCAL_PORT = 8080


@dataclass(frozen=True)
class Need:
    kind: str  # "vault", "item" or "field"
    name: str  # the vault or item title, or the field label
    item: str = ""  # the item a field belongs to
    used_by: str = ""  # the Secrets it fills, for the operator's orientation

    @property
    def check(self) -> str:
        """The name of the Connect check that answers for it (wizard.onepassword.check)."""
        return {"vault": f"vault {self.name}", "item": f"item {self.name}", "field": f"field {self.item}/{self.name}"}[self.kind]


@dataclass(frozen=True)
class Status:
    word: str = NOT_CHECKED
    detail: str = ""  # the check's own message when it is not simply found
    warn: bool = False  # found, with a note (e.g. a Slack-compatible webhook)
    shared: bool = False  # the detail is about Connect itself, the same for every entry: told once


def needs(answers: Answers, files: dict[str, str]) -> list[Need]:
    """The vault, then each item and its field labels, exactly as the rendered ExternalSecrets read them."""
    items = needed_items(files, substituted=bool(answers.flux.substitute_from))
    if not items:
        return []
    out = [Need("vault", answers.secrets.vault, used_by=", ".join(dict.fromkeys(s for i in items for s in i.stores)))]
    for item in items:
        out.append(Need("item", item.title, used_by=", ".join(dict.fromkeys(f.secret for f in item.fields)) or ", ".join(item.secrets)))
        out += [Need("field", label, item.title) for label in item.labels]
    return out


def statuses(wanted: list[Need], outcomes: list[Outcome]) -> tuple[dict[Need, Status], list[Outcome]]:
    """Each need's status from a check's outcomes, and the outcomes that are about Connect itself."""
    by_check = {o.check: o for o in outcomes}
    down = next((o for o in outcomes if o.state == "unreachable" and not o.check.startswith(("vault ", "item "))), None)
    out: dict[Need, Status] = {}
    for need in wanted:
        outcome = by_check.get(need.check)
        labels = by_check.get(f"labels of {need.name}") if need.kind == "item" else None
        if outcome is None and down is not None:
            out[need] = Status("unreachable", down.message, shared=True)
        elif outcome is None:  # not asked: an earlier step failed (said on the vault), or no check ran yet
            skipped = next((o for o in outcomes if o.status == "skipped"), None)
            out[need] = Status(NOT_CHECKED, skipped.message if skipped else "")
        elif outcome.state == "found" and labels is not None and labels.status == "fail":
            out[need] = Status(labels.state or "invalid", labels.message)
        else:
            word = outcome.state or ("found" if outcome.status in ("ok", "warn") else "missing")
            out[need] = Status(word, "" if outcome.status == "ok" else outcome.message, warn=outcome.status == "warn")
    about_connect = [o for o in outcomes if not o.check.startswith(("vault ", "item ", "field ", "labels of "))]
    return out, about_connect


def reach_lines(found: Discovery, store: str, env: dict[str, str] | None = None) -> list[str]:
    """How to reach Connect from this machine: the port-forward to the Service the store's connectHost
    names (found in the repo), or the variables to export. The token is never shown, only where it is."""
    env = dict(os.environ) if env is None else env
    lines: list[str] = []
    service = found.connect_service(store)
    the_store = next((s for s in found.secret_stores if s.name == store), None)
    if service is not None:
        lines += [f"The ClusterSecretStore {store} reaches Connect at the Service {service.namespace}/{service.name}, "
                  f"port {service.port} (its connectHost). In another terminal:",
                  f"  kubectl port-forward -n {service.namespace} svc/{service.name} {LOCAL_PORT}:{service.port}",
                  f"then use the host http://127.0.0.1:{LOCAL_PORT}; before starting obs-wizard you can instead:",
                  f"  export OP_CONNECT_HOST=http://127.0.0.1:{LOCAL_PORT}"]
    elif the_store is not None and the_store.connect_host:
        lines += [f"Connect for the ClusterSecretStore {store} is at {the_store.connect_host} (its connectHost); "
                  "if this machine reaches it, before starting obs-wizard:",
                  f"  export OP_CONNECT_HOST={the_store.connect_host}"]
    else:
        why = (f"the ClusterSecretStore {store} uses no 1Password Connect server" if the_store is not None
               else f"the repo does not define the ClusterSecretStore {store}")
        lines += [f"No Connect Service found in the repo ({why}). Before starting obs-wizard:",
                  "  export OP_CONNECT_HOST=<your Connect server's URL, e.g. http://127.0.0.1:8080>"]
    token = the_store.token_secret if the_store is not None else None
    if token is not None:
        namespace, name, key = token
        lines.append(f"  export OP_CONNECT_TOKEN=\"$(kubectl get secret -n {namespace} {name} "
                     f"-o jsonpath='{{.data.{key}}}' | base64 -d)\"")
    else:
        lines.append("  export OP_CONNECT_TOKEN=<your Connect token>")
    lines.append("or fill in the host and token below (the token is masked and never saved).")
    if env.get("OP_CONNECT_HOST") or env.get("OP_CONNECT_TOKEN"):
        lines.append("Set now: " + ", ".join(
            ([f"OP_CONNECT_HOST={env['OP_CONNECT_HOST']}"] if env.get("OP_CONNECT_HOST") else [])
            + (["OP_CONNECT_TOKEN (not shown)"] if env.get("OP_CONNECT_TOKEN") else [])))
    return lines
