"""The ``obs-wizard verify`` run: the answers (what should be there), the checks against the cluster in order,
``--wait`` polling until every check passes, the report (plain or ``--json``) and the exit code.

The end-to-end probes (the test alert, the canary line) run once per run: right away without ``--wait``; with
it, once the other checks pass (or when the time is up), so a long wait does not send a test alert a minute.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Callable, TextIO

from wizard.answers import answers_file, units
from wizard.answers.model import Answers
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
        if apps.alloy and apps.loki:
            checks.alloy_writes(ctx)
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


def run_checks(repo: Path, answers_at: Path, context: str | None, wait: str | None, test_alert: bool, *,
               on_start: Callable[[str, str, Answers], None] | None = None,
               on_wait: Callable[[str], None] | None = None,
               on_check: Callable[[checks.Context, str], None] | None = None,
               stop: threading.Event | None = None) -> tuple[checks.Context, str]:
    """Every check, polled under ``wait``, then the probes: the finished context and the kubectl context's name.

    For each front end (the command line, the wizard's verify screen): ``on_start(context, Kubernetes version,
    answers)`` once the cluster answers, ``on_wait(line)`` for each round ``--wait`` polls again, ``on_check(ctx,
    check)`` each time a check reports (live progress). ``stop`` set ends the waiting early (the screen closed)."""
    wait_seconds = parse_wait(wait)
    found = discovery.discover(repo)
    answers = answers_file.load(answers_at, defaults=found.suggestions())
    if answers.flux.namespace != "observability":
        answers = answers_file.load(answers_at, defaults=discovery.discover(repo, answers.flux.namespace).suggestions())
    files = render.render(answers)
    deadline = _deadline(wait_seconds)

    def context_for(kube: Kube) -> checks.Context:
        ctx = checks.Context(kube=kube, answers=answers, files=files, repo=repo)
        if on_check is not None:
            ctx.on_change = lambda check: on_check(ctx, check)
        return ctx

    with Kube(context, deadline) as kube:
        version = kube.reachable()
        if on_start is not None:
            on_start(kube.context_name, version, answers)
        since = time.monotonic()
        webhooks = None
        if answers.apps.kube_prometheus_stack and answers.secrets.heartbeat_item:
            webhooks = checks.webhook_counters(checks.Context(kube=kube, answers=answers, files=files, repo=repo))
        give_up = time.monotonic() + wait_seconds
        rounds = 0
        while True:
            rounds += 1
            ctx = context_for(kube)
            _passive(ctx)
            failing = [o.check for o in ctx.report.outcomes() if o.status == "failed"]
            if not failing or time.monotonic() + POLL_SECONDS > give_up or kube.left() < POLL_SECONDS:
                break
            passed = sum(1 for o in ctx.report.outcomes() if o.status == "passed")
            if on_wait is not None:
                on_wait(f"verify: waiting ({rounds}): {passed} passed, failing: {', '.join(failing)}; "
                        f"{give_up - time.monotonic():.0f} s of --wait left")
            if stop is not None:
                if stop.wait(POLL_SECONDS):
                    break
            else:
                time.sleep(POLL_SECONDS)
            kube.reachable()
        if wait_seconds and failing and on_wait is not None:
            on_wait(f"verify: --wait {wait} is over and {len(failing)} check(s) still fail")
        if stop is None or not stop.is_set():
            _probes(ctx, test_alert, webhooks, since)
    return ctx, kube.context_name


def verify(repo: Path, answers_at: Path, context: str | None, wait: str | None, as_json: bool, test_alert: bool,
           out: TextIO, err: TextIO) -> int:
    def started(name: str, version: str, answers: Answers) -> None:
        if not as_json:
            print(f"verify: kubectl context {name} (Kubernetes {version}), namespace {answers.flux.namespace}, "
                  f"answers {answers_at}", file=out)

    ctx, context_name = run_checks(repo, answers_at, context, wait, test_alert, on_start=started,
                                   on_wait=lambda line: print(line, file=err, flush=True))
    answers = ctx.answers
    report = ctx.report
    outcomes = report.outcomes()
    failed = [o for o in outcomes if o.status == "failed"]
    if as_json:
        out.write(json.dumps({
            "ok": not failed, "context": context_name, "namespace": answers.flux.namespace,
            "checks": [{"check": o.check, "status": o.status, "reasons": list(o.reasons), "detail": o.source}
                       for o in outcomes],
            "findings": [{"level": f.level, "check": f.check, "object": f.document, "message": f.message, "remedy": f.remedy}
                         for f in report.findings],
            "targets": checks.targets(ctx),
        }, indent=2) + "\n")
    else:
        for line in report_lines(report):
            print(line, file=out)
        print("targets:", file=out)
        for line in checks.target_lines(ctx):
            print(line, file=out)
        print(summary(report), file=out)
    return EXIT_FAILURES if failed else int(Exit.OK)


def report_lines(report: Report) -> list[str]:
    details = [f"  {f.line()}" for f in report.findings if f.level != "skipped"]
    return [*details, *(f"  {o.line()}" for o in report.outcomes())]


def summary(report: Report) -> str:
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
