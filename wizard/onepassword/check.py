"""Prove that what the ExternalSecrets will ask 1Password for exists, before anything is written.

Each check is its own outcome. Secret values are read into memory only to check them and never
appear in an outcome, an exception or a log line.
"""

from __future__ import annotations

import functools
import math
import os
import re
import urllib.parse
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Literal

from wizard.answers import secret_guard
from wizard.answers.model import Answers
from wizard.onepassword.gateway import ConnectFailure, ConnectGateway, ItemField, VaultRef, check_timeout

Status = Literal["ok", "fail", "warn", "skipped"]

_SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]{1,253}\Z")
_WEBHOOK = re.compile(r"^https://hooks\.slack\.com/services/(T[A-Z0-9]+)/(B[A-Z0-9]+)/([A-Za-z0-9]+)\Z")


#: What an outcome says of the thing it checked (the wizard's guidance shows it beside the vault, item or label).
State = Literal["", "found", "missing", "duplicated", "unreachable", "invalid"]


@dataclass(frozen=True)
class Outcome:
    check: str
    status: Status
    message: str
    state: State = ""

    def line(self) -> str:
        return f"{self.status.upper():<7} {self.check}: {self.message}"

    def marked(self) -> str:
        return f"{ {'ok': '✓', 'fail': '✗', 'warn': '⚠', 'skipped': '·'}[self.status]} {self.check}: {self.message}"


@dataclass
class SecretReport:
    outcomes: list[Outcome] = field(default_factory=list)
    on_outcome: Callable[[Outcome], None] | None = None  # told of each outcome as it is known
    redact: Callable[[str], str] | None = None  # applied to every message: no token, no host password

    @property
    def ok(self) -> bool:
        return not any(o.status == "fail" for o in self.outcomes)

    def add(self, *outcomes: Outcome) -> None:
        for outcome in outcomes:
            if self.redact is not None:
                outcome = replace(outcome, message=self.redact(outcome.message))  # its state kept
            self.outcomes.append(outcome)
            if self.on_outcome is not None:
                self.on_outcome(outcome)


class NotConfigured(Exception):
    pass


def connect_settings(env: dict[str, str] | None = None) -> tuple[str, str]:
    """OP_CONNECT_HOST and OP_CONNECT_TOKEN, or NotConfigured naming what is missing."""
    env = dict(os.environ) if env is None else env
    missing = [name for name in ("OP_CONNECT_HOST", "OP_CONNECT_TOKEN") if not env.get(name)]
    if missing:
        raise NotConfigured(f"1Password Connect is not configured ({' and '.join(missing)} not set)")
    return env["OP_CONNECT_HOST"], env["OP_CONNECT_TOKEN"]


def connect_timeout(env: dict[str, str] | None = None) -> float:
    """OBS_WIZARD_CONNECT_TIMEOUT in seconds (default 5); ConnectFailure when it is not a sane number."""
    env = dict(os.environ) if env is None else env
    raw = env.get("OBS_WIZARD_CONNECT_TIMEOUT", "").strip() or "5"
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    return check_timeout(value)


def webhook_outcome(check: str, value: str) -> Outcome:
    """Can Alertmanager's Slack notifier post to ``value``? The value itself is never part of the message.

    Slack incoming webhooks pass; Slack-compatible ones (Mattermost, Rocket.Chat, Discord's ``/slack``
    endpoint) pass with a note; only a URL that cannot be a Slack-style webhook (not https, no path)
    or a Slack Workflow Builder URL fails.
    """
    from urllib.parse import urlsplit

    value = value.strip()
    if "hooks.slack.com/workflows/" in value or "hooks.slack.com/triggers/" in value:
        return Outcome(check, "fail", "is a Slack Workflow Builder webhook; Alertmanager needs an incoming webhook (https://hooks.slack.com/services/T…/B…/…)")
    match = _WEBHOOK.match(value)
    if match:
        team, bot, token = match.groups()
        if not (9 <= len(team) <= 12 and 9 <= len(bot) <= 12 and len(token) == 24):
            return Outcome(check, "warn", "looks like a Slack webhook but its parts have unusual lengths; check it was copied whole")
        return Outcome(check, "ok", "a Slack incoming webhook URL")
    try:
        url = urlsplit(value)
        host = (url.hostname or "").lower()
    except ValueError:
        url, host = None, ""
    if url is None or url.scheme != "https" or not host or url.path.strip("/") == "":
        return Outcome(check, "fail", "cannot be a Slack-style webhook (it needs https://, a host and a path, e.g. "
                                      "https://hooks.slack.com/services/T…/B…/…)")
    path = url.path.rstrip("/")
    if host == "hooks.slack.com":
        return Outcome(check, "fail", "does not look like a Slack incoming webhook URL (https://hooks.slack.com/services/T…/B…/…)")
    if host in ("discord.com", "discordapp.com") and "/api/webhooks/" in path:
        if path.endswith("/slack"):
            return Outcome(check, "ok", "a Discord webhook's Slack-compatible endpoint (/slack); note: Discord renders Slack messages partly")
        return Outcome(check, "warn", "a Discord webhook without /slack at the end; Alertmanager posts Slack's format, "
                                      "which only Discord's /slack endpoint accepts: append /slack")
    if "/hooks/" in path + "/":
        return Outcome(check, "ok", "a Slack-compatible webhook (Mattermost or Rocket.Chat style /hooks/…); note: not Slack itself, "
                                    "so check that a test alert arrives")
    return Outcome(check, "warn", "not a known Slack or Slack-compatible webhook; Alertmanager will post Slack's message format "
                                  "to it: check that a test alert arrives")


def heartbeat_outcome(check: str, value: str, token_field: str | None = None) -> Outcome:
    """Is ``value`` a push URL Alertmanager can POST to (https, a host)? The value is never part of the message.
    ``token_field``: the label of the bearer token sent with it (gatus demands one)."""
    try:
        parsed = urllib.parse.urlsplit(value.strip())
        host = parsed.hostname
    except ValueError:
        parsed, host = None, None
    if parsed is None or parsed.scheme != "https" or not host or any(c.isspace() for c in value.strip()):
        return Outcome(check, "fail", "is not an https URL; paste the heartbeat service's push URL "
                                      "(e.g. https://hc-ping.com/<uuid> or https://kuma.example.com/api/push/<token>)")
    if "hooks.slack.com" in host:
        return Outcome(check, "fail", "is a Slack webhook; the heartbeat needs the heartbeat service's push URL, not Slack")
    if _GATUS_EXTERNAL.search(parsed.path):
        if token_field is None:
            return Outcome(check, "fail", GATUS_NEEDS_TOKEN)
        if "success=true" not in parsed.query:
            return Outcome(check, "fail", "is a gatus external-endpoint URL without ?success=true; gatus would record each "
                                          "ping as a failure: end the URL with ?success=true")
        return Outcome(check, "ok", f"a gatus external-endpoint URL on {host}, sent with the bearer token from {token_field!r}")
    return Outcome(check, "ok", f"an https URL on {host}")


#: gatus's external-endpoint push: POST /api/v1/endpoints/{key}/external?success=true with a bearer token.
_GATUS_EXTERNAL = re.compile(r"/api/v1/endpoints/[^/]+/external/?$")
GATUS_NEEDS_TOKEN = ("is a gatus external-endpoint URL; gatus accepts the push only with its token as 'Authorization: Bearer': "
                     "put the token in a field of the same item and set secrets.heartbeat_token_field to its label")


Validator = Callable[[str, str], Outcome]


def shown_labels(labels: list[str]) -> str:
    """Labels read from 1Password as they may be printed: each one that could be a secret (a webhook pasted
    into a label) is left out and only counted."""
    safe = [repr(label) for label in labels if not secret_guard.could_be_secret(label)]
    hidden = len(labels) - len(safe)
    if hidden:
        safe.append(f"{hidden} label(s) not shown because they look like a secret value (a URL or a token pasted "
                    "into a label: move it into the field's value)")
    return ", ".join(safe)


def field_outcomes(item_title: str, fields: list[ItemField], wanted: list[str], webhook_label: str | None = None,
                   validators: dict[str, Validator] | None = None) -> list[Outcome]:
    """The ESO rules for one item: referenced labels exactly once and non-empty; every label exportable.

    ``validators`` check a label's value further (the Slack webhook, the heartbeat URL)."""
    validators = dict(validators or {})
    if webhook_label:
        validators.setdefault(webhook_label, webhook_outcome)
    out: list[Outcome] = []
    counts = Counter(f.label for f in fields)
    for label in wanted:
        check = f"field {item_title}/{label}"
        matches = [f for f in fields if f.label == label]
        if not matches:
            present = shown_labels(sorted(lbl for lbl in counts if lbl)) or "none"
            out.append(Outcome(check, "fail", f"no field labelled {label!r} (labels present: {present}); add it or fix the answer",
                               "missing"))
        elif len(matches) > 1:
            out.append(Outcome(check, "fail", f"{len(matches)} fields are labelled {label!r}; External Secrets needs exactly one: "
                                              "rename the others", "duplicated"))
        elif not matches[0].value.strip():
            out.append(Outcome(check, "fail", "is empty; fill it in 1Password", "missing"))
        elif label in validators:
            checked = validators[label](check, matches[0].value)
            out.append(replace(checked, state="invalid" if checked.status == "fail" else "found"))
        else:
            out.append(Outcome(check, "ok", "present once, not empty", "found"))
    duplicates = sorted(label for label, n in counts.items() if n > 1 and label not in wanted)
    invalid = sorted(label for label in counts if label and not _SECRET_KEY.match(label))
    check = f"labels of {item_title}"
    if duplicates:
        shown = ", ".join(filter(None, ["an empty label" if "" in duplicates else "", shown_labels([d for d in duplicates if d])]))
        out.append(Outcome(check, "fail", f"{shown} appear more than once; dataFrom.extract fails on duplicate labels: rename them",
                           "duplicated"))
    if invalid:
        out.append(Outcome(check, "fail", f"{shown_labels(invalid)} cannot become Secret keys (dataFrom.extract exports every label): "
                                           "use only letters, digits, '-', '.' and '_'", "invalid"))
    if not duplicates and not invalid:
        out.append(Outcome(check, "ok", f"all {len(counts)} labels can be exported by External Secrets", "found"))
    return out


def _item_outcomes(gateway: ConnectGateway, vault: VaultRef, title: str, wanted: list[str],
                   validators: dict[str, Validator]) -> list[Outcome]:
    check = f"item {title}"
    try:
        found = gateway.items_titled(vault, title)
        if not found:
            return [Outcome(check, "fail", f"no item titled {title!r} in vault {vault.name!r}; create it (see quickstart.md) or fix the answer",
                            "missing")]
        if len(found) > 1:
            return [Outcome(check, "fail", f"{len(found)} items are titled {title!r} in vault {vault.name!r}; External Secrets needs "
                                           "exactly one: rename or archive the others", "duplicated")]
        fields = gateway.item_fields(vault, found[0])
    except ConnectFailure as exc:
        return [Outcome(check, "fail", exc.message, "unreachable")]
    return [Outcome(check, "ok", f"found once in vault {vault.name!r}", "found"), *field_outcomes(title, fields, wanted, validators=validators)]


#: Said instead of a check when the answers write no ExternalSecret (they all belong to kube-prometheus-stack).
NOTHING_TO_CHECK = "not needed: kube-prometheus-stack is off, so nothing written reads 1Password"


def needs_items(answers: Answers, files: dict[str, str] | None = None) -> bool:
    """Does the render hold an ExternalSecret? (Grafana's login, Slack's webhook and the heartbeat URL are
    kube-prometheus-stack's: with it off, none.)"""
    return bool(wanted_items(answers, files))


def wanted_items(answers: Answers, files: dict[str, str] | None = None) -> dict[str, tuple[list[str], dict[str, Validator]]]:
    """Item title -> (field labels the rendered ExternalSecrets read, value checks by label); one entry per item.

    Read from the render (``files``: the manifests as they will be on disk; default: ``answers``
    rendered), so the check asks for exactly what External Secrets will. The label that fills the Slack
    webhook Secret is checked as a webhook, the heartbeat Secret's URL label as a push URL."""
    from wizard.onepassword.needs import needed_items
    from wizard.render import render

    if files is None:
        files = render.render(answers)
    s = answers.secrets
    # (Secret, label) -> how its value is checked: the webhook the Slack Secret gets, the heartbeat URL (with
    # the label of its bearer token, which gatus needs); other labels (the token itself) only present and not empty.
    by_secret: dict[tuple[str, str], Validator] = {
        (render.SLACK_SECRET, s.slack_webhook_field): webhook_outcome,
        (render.HEARTBEAT_SECRET, s.heartbeat_url_field): functools.partial(heartbeat_outcome, token_field=s.heartbeat_token_field),
    }
    wanted: dict[str, tuple[list[str], dict[str, Validator]]] = {}
    for item in needed_items(files, substituted=bool(answers.flux.substitute_from)):
        labels, checks = wanted.setdefault(item.title, ([], {}))
        for needed in item.fields:
            if needed.label not in labels:
                labels.append(needed.label)
            validator = by_secret.get((needed.secret, needed.label))
            if validator is not None:
                checks[needed.label] = validator
    return wanted


def run_checks(answers: Answers, gateway: ConnectGateway, on_outcome: Callable[[Outcome], None] | None = None,
               files: dict[str, str] | None = None) -> SecretReport:
    """All checks, independent requests in parallel: ~3 round trips whatever the item count.

    ``on_outcome`` is told of each outcome as soon as it is known (the wizard shows them live);
    ``files``: the manifests whose ExternalSecrets say what is needed (default: ``answers`` rendered).
    """
    s = answers.secrets
    report = SecretReport(on_outcome=on_outcome, redact=getattr(gateway, "redact", None))
    wanted = wanted_items(answers, files)
    if not wanted:  # no ExternalSecret in the render: nothing reads 1Password, Connect is not asked
        report.add(Outcome("1Password items", "ok", NOTHING_TO_CHECK))
        return report
    with ThreadPoolExecutor(max_workers=4) as pool:
        heartbeat: Future[None] = pool.submit(gateway.heartbeat)
        vaults: Future[list[VaultRef]] = pool.submit(gateway.vaults_named, s.vault)
        try:
            heartbeat.result()
            report.add(Outcome("Connect reachable", "ok", gateway.host))
        except ConnectFailure as exc:
            report.add(Outcome("Connect reachable", "fail", exc.message, "unreachable"))
            vaults.cancel()
            report.add(Outcome("token and items", "skipped", "Connect is not reachable"))
            return report
        try:
            found = vaults.result()
        except ConnectFailure as exc:
            token_check = "fail" if exc.kind == "unauthorized" else "ok"
            if exc.kind == "unauthorized":
                report.add(Outcome("token accepted", "fail", exc.message, "unreachable"))
            else:
                report.add(Outcome("token accepted", token_check, "the token was not refused"))
                report.add(Outcome(f"vault {s.vault}", "fail", exc.message, "unreachable"))
            report.add(Outcome("items", "skipped", "the vault could not be read"))
            return report
        report.add(Outcome("token accepted", "ok", "Connect accepted the token"))
        if len(found) != 1:
            why = (f"no vault titled {s.vault!r} is visible to the token; check the title or the token's vault access"
                   if not found else f"{len(found)} vaults are titled {s.vault!r}; External Secrets needs exactly one")
            report.add(Outcome(f"vault {s.vault}", "fail", why, "missing" if not found else "duplicated"))
            report.add(Outcome("items", "skipped", "the vault could not be resolved"))
            return report
        vault = found[0]
        report.add(Outcome(f"vault {s.vault}", "ok", "exactly one vault with this title", "found"))
        jobs = [pool.submit(_item_outcomes, gateway, vault, title, labels, checks)
                for title, (labels, checks) in wanted.items()]
        for job in jobs:  # all run at once; reported in a stable order
            report.add(*job.result())
    return report


def check_connect(answers: Answers, host: str, token: str, timeout: float | None = None,
                  on_outcome: Callable[[Outcome], None] | None = None, files: dict[str, str] | None = None) -> SecretReport:
    """Every check against the Connect server at ``host``; bad settings become a failed outcome."""
    try:
        gateway = ConnectGateway(host, token, timeout=timeout if timeout is not None else connect_timeout())
    except ConnectFailure as exc:
        report = SecretReport(on_outcome=on_outcome)
        report.add(Outcome("Connect settings", "fail", exc.message, "unreachable"))
        return report
    try:
        return run_checks(answers, gateway, on_outcome, files)
    finally:
        gateway.close()
