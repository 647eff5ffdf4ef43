"""The platform as a picture's data: boxes, arrows and lanes with this run's names (no Textual).

``platform_map(answers)`` says what the answers write and how the parts talk:
Alloy on each node -> Loki <- Grafana <- HTTPRoute (gateway/listener, hostname);
Prometheus -> Alertmanager -> Slack and the heartbeat; 1Password -> ExternalSecrets.
A part switched off (``apps.*``, no heartbeat item) is still drawn, marked off, with why.
``from_draft`` does the same for answers still being typed (the Welcome step of a first run),
showing ``<domain>`` or "each node" where a value is not known yet. ``wizard.render.boxart`` draws it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wizard.render.names import (  # the Secrets the ExternalSecrets create
    GRAFANA_SECRET,
    HEARTBEAT_SECRET,
    SLACK_SECRET,
)

if TYPE_CHECKING:  # the model loads with the first map drawn (boxart needs only the types below)
    from wizard.answers.model import Answers


@dataclass(frozen=True)
class Box:
    key: str
    title: str
    lines: tuple[str, ...]  # this run's names and figures, shown literally
    on: bool = True


@dataclass(frozen=True)
class Link:
    """An arrow from ``source`` to ``target`` (in one lane); off when either end is off."""

    source: str
    target: str
    on: bool = True


@dataclass(frozen=True)
class Lane:
    title: str
    columns: tuple[tuple[str, ...], ...]  # box keys, left to right; a column of several boxes is a fan-out


@dataclass(frozen=True)
class PlatformMap:
    boxes: dict[str, Box]
    links: tuple[Link, ...]
    lanes: tuple[Lane, ...]

    def box(self, key: str) -> Box:
        return self.boxes[key]

    def off(self) -> list[str]:
        """Titles of the parts switched off."""
        return [b.title for b in self.boxes.values() if not b.on]


def platform_map(answers: Answers) -> PlatformMap:
    def get(key: str) -> Any:
        section, name = key.split(".", 1)
        return getattr(getattr(answers, section), name)

    return _build(get, answers.grafana_hostname)


def from_draft(draft: Any) -> PlatformMap:
    """The map of a ``form.Draft``: its answers when they are complete, else what is known so far."""
    try:
        return platform_map(draft.answers())
    except ValueError:
        pass
    defaults = _defaults()

    def get(key: str) -> Any:
        value = draft.values.get(key)
        return defaults.get(key) if value is None else value

    hostname = get("grafana.hostname")
    if not hostname:
        from wizard.answers.model import DOMAIN_VARIABLE_REF

        domain = get("cluster.domain") or (DOMAIN_VARIABLE_REF if get("flux.substitute_from") else "<domain>")
        hostname = f"grafana.{domain}"
    return _build(get, str(hostname))


def _defaults() -> dict[str, Any]:
    from pydantic_core import PydanticUndefined

    from wizard.answers.model import SECTIONS

    out = {}
    for section_name, section in SECTIONS:
        for name, field in section.model_fields.items():
            if field.default_factory is not None:
                out[f"{section_name}.{name}"] = field.default_factory()
            elif field.default is not PydanticUndefined:
                out[f"{section_name}.{name}"] = field.default
    return out


def _build(get: Callable[[str], Any], hostname: str) -> PlatformMap:
    kps, loki, alloy = bool(get("apps.kube_prometheus_stack")), bool(get("apps.loki")), bool(get("apps.alloy"))
    nodes = get("cluster.node_count")
    heartbeat_item = get("secrets.heartbeat_item")
    heartbeat = kps and bool(heartbeat_item)
    channel = get("alerting.slack_channel") or "the webhook's channel"
    route_lines = [hostname, f"{get('grafana.gateway_namespace')}/{get('grafana.gateway_name')}",
                   f"listener {get('grafana.gateway_section')}"]
    if get("grafana.expose_prometheus_alertmanager"):
        route_lines.append("+ prometheus, alertmanager")
    secrets = [f"{GRAFANA_SECRET} <- {get('secrets.grafana_item')}", f"{SLACK_SECRET} <- {get('secrets.slack_item')}"]
    if heartbeat:
        secrets.append(f"{HEARTBEAT_SECRET} <- {heartbeat_item}")
    boxes = [
        Box("alloy", "Alloy", ("each node", f"({nodes} nodes)" if isinstance(nodes, int) else "(DaemonSet)"), alloy),
        Box("loki", "Loki", (f"logs {get('logs.retention')}", f"on {get('logs.pvc_size')}"), loki),
        Box("grafana", "Grafana", ("admin from", GRAFANA_SECRET), kps),
        Box("route", "HTTPRoute", tuple(route_lines), kps),
        Box("prometheus", "Prometheus", (f"every {get('metrics.scrape_interval')}", f"keeps {get('metrics.retention')}"), kps),
        Box("alertmanager", "Alertmanager", (f"group_wait {get('alerting.group_wait')}",), kps),
        Box("slack", "Slack", (str(channel),), kps),
        Box("heartbeat", "heartbeat", (f"every {get('alerting.heartbeat_period')}",) if heartbeat else ("no item set",), heartbeat),
        Box("onepassword", "1Password", (f"vault {get('secrets.vault')}", f"store {get('secrets.store')}"), kps),
        Box("externalsecrets", "ExternalSecrets", tuple(secrets), kps),
    ]
    by_key = {b.key: b for b in boxes}
    pairs = (("alloy", "loki"), ("grafana", "loki"), ("route", "grafana"), ("prometheus", "alertmanager"),
             ("alertmanager", "slack"), ("alertmanager", "heartbeat"), ("onepassword", "externalsecrets"))
    links = tuple(Link(s, t, by_key[s].on and by_key[t].on) for s, t in pairs)
    lanes = (
        Lane("Logs and Grafana", (("alloy",), ("loki",), ("grafana",), ("route",))),
        Lane("Alerts", (("prometheus",), ("alertmanager",), ("slack", "heartbeat"))),
        Lane("Secrets", (("onepassword",), ("externalsecrets",))),
    )
    return PlatformMap(by_key, links, lanes)
