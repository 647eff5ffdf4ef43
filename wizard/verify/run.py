"""The ``obs-wizard verify`` run: the answers (what should be there), the checks against the cluster in order,
``--wait`` polling until every check passes, the report (plain or ``--json``) and the exit code.

The end-to-end probes (the test alert, the canary line) run once per run: right away without ``--wait``; with
it, once the other checks pass (or when the time is up), so a long wait does not send a test alert a minute.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TextIO

from wizard.answers import answers_file, units
from wizard.base.errors import BadInput, Exit
from wizard.render import render
from wizard.repo import discovery
from wizard.validate.findings import Report
from wizard.verify import checks
from wizard.verify.kube import EXIT_FAILURES, Kube

DEADLINE_ENV = "OBS_WIZARD_VERIFY_DEADLINE"
DEFAULT_DEADLINE = 300.0  # seconds for a run without --wait (the test alert alone may take group_wait + 60 s)
POLL_SECONDS = 10.0


def parse_wait(text: str | None) -> float:
    if text is None:
        return 0.0
    try:
        return units.parse_duration(text)
    except ValueError as exc:
        raise BadInput(f"--wait {text}: {exc}") from None


def _deadline(wait: float) -> float:
    raw = os.environ.get(DEADLINE_ENV, "")
    try:
        extra = float(raw) if raw else DEFAULT_DEADLINE
    except ValueError:
        raise BadInput(f"{DEADLINE_ENV}={raw!r} is not a number of seconds") from None
    return time.monotonic() + wait + extra


def _passive(ctx: checks.Context) -> None:
    apps = ctx.answers.apps
    ctx.kube.prefetch(checks.round_reads(ctx))
    checks.flux(ctx)
    checks.storage(ctx)
    checks.pods(ctx)
    checks.nodes_and_alloy(ctx)
    if apps.kube_prometheus_stack:
        checks.prometheus(ctx)
        checks.alertmanager_config(ctx)
    if apps.loki:
        try:
            ctx.kube.raw(ctx.service(checks.LOKI, "/ready"))
        except checks.RequestFailed as exc:
            ctx.fail("loki-ready", f"not ready: {exc.message}", f"Service {ctx.ns}/{checks.LOKI[0]}",
                     f"kubectl logs -n {ctx.ns} loki-0")
        else:
            ctx.passed("loki-ready", "through the API server's service proxy")
            if apps.alloy:
                checks.node_logs(ctx)
    if apps.kube_prometheus_stack:
        checks.grafana(ctx)


def _probes(ctx: checks.Context, test_alert: bool, webhooks: dict[str, float] | None, since: float) -> None:
    if ctx.answers.apps.kube_prometheus_stack:
        checks.test_alert(ctx, test_alert)
    if ctx.answers.apps.loki:
        if ctx.failed("loki-ready"):
            ctx.skip("log-search", "Loki is not ready (loki-ready above)")
        else:
            checks.loki(ctx)  # readiness once more (a passed check stays one line), then the canary line
    if ctx.answers.apps.kube_prometheus_stack:
        checks.heartbeat(ctx, webhooks, since)  # last: the whole run is the window its failures may not rise in


def verify(repo: Path, answers_at: Path, context: str | None, wait: str | None, as_json: bool, test_alert: bool,
           out: TextIO, err: TextIO) -> int:
    wait_seconds = parse_wait(wait)
    found = discovery.discover(repo)
    answers = answers_file.load(answers_at, defaults=found.suggestions())
    if answers.flux.namespace != "observability":
        answers = answers_file.load(answers_at, defaults=discovery.discover(repo, answers.flux.namespace).suggestions())
    files = render.render(answers)
    deadline = _deadline(wait_seconds)
    with Kube(context, deadline) as kube:
        version = kube.reachable()
        if not as_json:
            print(f"verify: kubectl context {kube.context_name} (Kubernetes {version}), namespace {answers.flux.namespace}, "
                  f"answers {answers_at}", file=out)
        since = time.monotonic()
        webhooks = None
        if answers.apps.kube_prometheus_stack and answers.secrets.heartbeat_item:
            webhooks = checks.webhook_counters(checks.Context(kube=kube, answers=answers, files=files, repo=repo))
        give_up = time.monotonic() + wait_seconds
        rounds = 0
        while True:
            rounds += 1
            ctx = checks.Context(kube=kube, answers=answers, files=files, repo=repo)
            _passive(ctx)
            failing = [o.check for o in ctx.report.outcomes() if o.status == "failed"]
            if not failing or time.monotonic() + POLL_SECONDS > give_up or kube.left() < POLL_SECONDS:
                break
            passed = sum(1 for o in ctx.report.outcomes() if o.status == "passed")
            print(f"verify: waiting ({rounds}): {passed} passed, failing: {', '.join(failing)}; "
                  f"{give_up - time.monotonic():.0f} s of --wait left", file=err, flush=True)
            time.sleep(POLL_SECONDS)
            kube.reachable()
        if wait_seconds and failing:
            print(f"verify: --wait {wait} is over and {len(failing)} check(s) still fail", file=err)
        _probes(ctx, test_alert, webhooks, since)
    report = ctx.report
    outcomes = report.outcomes()
    failed = [o for o in outcomes if o.status == "failed"]
    if as_json:
        out.write(json.dumps({
            "ok": not failed, "context": kube.context_name, "namespace": answers.flux.namespace,
            "checks": [{"check": o.check, "status": o.status, "reasons": list(o.reasons), "detail": o.source}
                       for o in outcomes],
            "findings": [{"level": f.level, "check": f.check, "object": f.document, "message": f.message, "remedy": f.remedy}
                         for f in report.findings],
            "targets": checks.targets(ctx),
        }, indent=2) + "\n")
    else:
        for line in _lines(report):
            print(line, file=out)
        print("targets:", file=out)
        for line in checks.target_lines(ctx):
            print(line, file=out)
        print(_summary(report), file=out)
    return EXIT_FAILURES if failed else int(Exit.OK)


def _lines(report: Report) -> list[str]:
    details = [f"  {f.line()}" for f in report.findings if f.level != "skipped"]
    return [*details, *(f"  {o.line()}" for o in report.outcomes())]


def _summary(report: Report) -> str:
    outcomes = report.outcomes()
    passed = [o for o in outcomes if o.status == "passed"]
    failed = [o for o in outcomes if o.status == "failed"]
    skipped = [o for o in outcomes if o.status == "skipped"]
    parts = [f"{len(passed)} passed"]
    if failed:
        parts.append(f"{len(failed)} failed: {', '.join(o.check for o in failed)}")
    if skipped:
        parts.append(f"{len(skipped)} skipped: {', '.join(o.check for o in skipped)}")
    return ("verify FAILED: " if failed else "verify: ") + ", ".join(parts)
