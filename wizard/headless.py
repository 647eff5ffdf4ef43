"""Headless runs: answers file -> plan -> validation -> (dry run | check | atomic write).

Never imports Textual or questionary; the validation is imported only by the runs that validate
(``--check`` compares the render with the repo and runs no check).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from wizard.answers import answers_file
from wizard.answers.model import Answers
from wizard.base import yamlio
from wizard.base.errors import BadInput, ConflictError, ConnectNotConfigured, Exit, SecretsMissing, ValidationFailed
from wizard.render import render, sizing
from wizard.repo import discovery, state
from wizard.session import Session, Sources  # noqa: F401 - Sources: the front ends' name for it
from wizard.write import apply, layout, plan

if TYPE_CHECKING:
    from wizard.validate import Report


_SYMBOLS = {"create": "create", "update": "update", "merge": "merge", "unchanged": "unchanged", "keep": "keep", "conflict": "CONFLICT"}


def answers_path(given: Path | None, repo: Path) -> Path:
    if given is not None:
        return given
    default = repo / answers_file.ANSWERS_PATH
    if not default.exists():
        raise BadInput(f"{default}: no answers file; run `obs-wizard --init-answers` to write one pre-filled from the repo, "
                       "or pass --answers FILE (`obs-wizard schema` describes every field)")
    return default


@dataclass
class Loaded:
    """An answers file as every command reads it: against what the repo defines (discovery)."""

    answers: Answers
    found: discovery.Discovery
    previous: state.State | None
    suggestions: dict


def load_answers(answers_at: Path, repo: Path, *, refuse_non_flux: bool = True) -> Loaded:
    """The one code path that decides what an answers file means: the repo is read first (saved state,
    discovery), what it defines fills the answers the file leaves out (a SOPS domain, the store, the
    Gateway), then the file is loaded. ``refuse_non_flux``: a repo without a Flux layout is bad input."""
    try:
        previous = state.load(repo)
    except state.StateError as exc:
        raise BadInput(str(exc)) from None
    found = discovery.discover(repo, previous=previous)
    if not found.is_flux_repo and refuse_non_flux:
        raise BadInput(layout.refusal(repo))
    suggestions = found.suggestions()
    answers = answers_file.load(answers_at, defaults=suggestions)
    if answers.flux.namespace != "observability":
        found = discovery.discover(repo, answers.flux.namespace, previous)
    return Loaded(answers, found, previous, suggestions)


def _prepare(answers_at: Path, repo: Path, choose: plan.Side | None = None, adopt: bool = False,
             out: TextIO | None = None, init_layout: bool = False) -> tuple[Answers, plan.Plan]:
    loaded = load_answers(answers_at, repo, refuse_non_flux=not init_layout)
    answers, found, previous, suggestions = loaded.answers, loaded.found, loaded.previous, loaded.suggestions
    if out is not None:
        for line in found.report() + found.dialect_lines():
            print(f"repo: {line}", file=out)
        explicit = yamlio.load_answers(answers_file.read_text(answers_at)) or {}
        for section, values in suggestions.items():
            for name, value in values.items():
                if not isinstance(explicit.get(section), dict) or name not in explicit[section]:
                    print(f"from the repo: {section}.{name} = {value}", file=out)
    session = Session(repo, previous=previous, found=found, init_layout=init_layout)
    the_plan = session.plan(answers, choose=choose, adopt=adopt, answers_source=answers_at)
    return the_plan.answers or answers, the_plan  # the answers, updated to values kept on disk


def _print_report(report: Report, out: TextIO) -> None:
    for line in report.lines():
        print(line, file=out)


def _validate_plan(answers: Answers, the_plan: plan.Plan, repo: Path, sources: Sources, out: TextIO) -> None:
    from wizard.validate import validate_answers_render

    report = validate_answers_render(answers, the_plan.rendered, repo=repo, crd_dir=sources.crd_dir, charts_dir=sources.charts_dir,
                                     charts_src=sources.charts_src, strict=sources.strict)
    _print_report(report, out)
    if report.errors:
        raise ValidationFailed("the rendered manifests failed validation (above); nothing was written")
    if not report.ok:
        raise ValidationFailed(f"{len(report.skipped)} check(s) were skipped (above) and --strict (or OBS_WIZARD_STRICT=1) "
                               "makes a skipped check a failure; nothing was written")


def _print_plan(the_plan: plan.Plan, out: TextIO, diffs: bool) -> None:
    counts: dict[str, int] = {}
    for change in the_plan.changes:
        counts[change.action] = counts.get(change.action, 0) + 1
        # an unchanged file's note is said only when it keeps something of yours (your edits, a chart version)
        said = change.action != "unchanged" or "kept your edits" in change.reason or "keeps the chart version" in change.reason
        reason = f"  ({change.reason})" if change.reason and said else ""
        print(f"  {_SYMBOLS[change.action]:<9} {change.path}{reason}", file=out)
    print("plan: " + ", ".join(f"{n} {a}" for a, n in counts.items()), file=out)
    if diffs:
        for change in the_plan.changes:
            text = change.diff()
            if text:
                out.write(text if text.endswith("\n") else text + "\n")


def _print_advice(answers: Answers, out: TextIO) -> None:
    for line in render.crd_lines(answers) + render.order_lines(answers):
        print(line, file=out)
    for line in sizing.summary(answers):
        print(line, file=out)
    for warning in sizing.warnings(answers):
        print(f"warning: {warning}", file=out)


def _secret_check(answers: Answers, out: TextIO, *, required: bool, writes: bool = True,
                  files: dict[str, str] | None = None) -> None:
    """Check the 1Password items; raise when they fail, or when Connect is missing and ``required``.

    ``writes``: a run that would write says "nothing was written"; check-secrets never writes.
    ``files``: the manifests as they will be written, whose ExternalSecrets say what is needed.
    """
    tail = "; nothing was written" if writes else ""
    from wizard.onepassword.check import NOTHING_TO_CHECK, NotConfigured, check_connect, connect_settings, needs_items

    if not needs_items(answers, files):
        print(f"secret check: {NOTHING_TO_CHECK}", file=out)
        return
    try:
        host, token = connect_settings()
    except NotConfigured as exc:
        if required:
            raise ConnectNotConfigured(
                f"{exc}; set OP_CONNECT_HOST and OP_CONNECT_TOKEN to check the 1Password items, "
                + ("or pass --skip-secret-check to write without checking" if writes else "then run check-secrets again") + tail
            ) from None
        print(f"secret check: skipped ({exc})", file=out)
        return
    report = check_connect(answers, host, token, files=files)
    settings = [o for o in report.outcomes if o.check == "Connect settings"]
    if settings:
        raise SecretsMissing(f"{settings[0].message}{tail}")
    for outcome in report.outcomes:
        print(f"  {outcome.line()}", file=out)
    failed = [o for o in report.outcomes if o.status == "fail"]
    print(f"secret check: {'passed' if not failed else f'FAILED ({len(failed)} problem(s))'}", file=out)
    if failed:
        raise SecretsMissing(
            f"the 1Password items are not what the ExternalSecrets need ({len(failed)} problem(s) above){tail}",
            details=[f"{o.check}: {o.message}" for o in failed],
        )


def check_secrets(answers_at: Path, repo: Path, out: TextIO) -> int:
    """The 1Password items the ExternalSecrets need, for the answers read as every command reads them.

    In a Flux repo the answers are planned like a write (cross-checked against the repo, merged with the
    files on disk), so the ExternalSecrets checked are the ones that will be on disk; outside one (no
    layout to write into), what the answers render. Nothing is written either way.
    """
    loaded = load_answers(answers_at, repo, refuse_non_flux=False)
    files = None
    answers = loaded.answers
    if loaded.found.is_flux_repo:
        session = Session(repo, previous=loaded.previous, found=loaded.found)
        the_plan = session.plan(answers, answers_source=answers_at)
        answers, files = the_plan.answers or answers, the_plan.rendered
    _secret_check(answers, out, required=True, writes=False, files=files)
    return Exit.OK


def run(answers_at: Path, repo: Path, sources: Sources, out: TextIO, err: TextIO, *,
        dry_run: bool, check: bool, choose: plan.Side | None = None, adopt: bool = False, skip_secret_check: bool = False,
        init_layout: bool = False) -> int:
    if dry_run or check:
        return _run(answers_at, repo, sources, out, err, dry_run=dry_run, check=check, choose=choose, adopt=adopt,
                    skip_secret_check=skip_secret_check, init_layout=init_layout)
    ignore_existed = (repo / state.GITIGNORE_PATH).exists()  # the lock writes it when missing: still this run's create
    with apply.repo_lock(repo):  # a second run waits, or exits 8: it never plans against a write in progress
        return _run(answers_at, repo, sources, out, err, dry_run=dry_run, check=check, choose=choose, adopt=adopt,
                    skip_secret_check=skip_secret_check, init_layout=init_layout, lock_made_ignore=not ignore_existed)


def _run(answers_at: Path, repo: Path, sources: Sources, out: TextIO, err: TextIO, *,
         dry_run: bool, check: bool, choose: plan.Side | None, adopt: bool, skip_secret_check: bool,
         init_layout: bool, lock_made_ignore: bool = False) -> int:
    answers, the_plan = _prepare(answers_at, repo, choose, adopt, out=None if check else out, init_layout=init_layout)
    if lock_made_ignore:  # the plan saw the .gitignore the lock wrote a moment ago: it is this write's, as a dry run says
        for change in the_plan.changes:
            if change.path == state.GITIGNORE_PATH and change.action == "unchanged":
                change.action, change.old, change.new = "create", None, change.old

    if check:
        drift = the_plan.manifest_drift
        for change in drift:
            print(f"  {_SYMBOLS[change.action]:<9} {change.path}", file=out)
            out.write(change.diff())
        if drift:
            print(f"obs-wizard --check: {len(drift)} file(s) differ from what {answers_at} renders; "
                  "run `obs-wizard --answers ...` to update them", file=err)
            return Exit.DRIFT
        print(f"obs-wizard --check: in sync with {answers_at}", file=out)
        return Exit.OK

    _print_advice(answers, out)
    _print_plan(the_plan, out, diffs=dry_run)
    if the_plan.conflicts:
        details = []
        for change in the_plan.conflicts:
            details.append(f"{change.path}: {change.reason}")
            details.extend(f"  {change.path}: {conflict.describe()}" for conflict in change.conflicts)
        raise ConflictError(
            f"{len(the_plan.conflicts)} file(s) in conflict; nothing was written. Settle them with --conflicts ours "
            "(keep the values on disk) or --conflicts theirs (take the new render), or edit the files:",
            details=details,
        )
    if the_plan.stale_answers:
        raise ConflictError(
            "the answers no longer match the values kept on disk; nothing was written. Fix the answers, "
            "or take the new values (--conflicts theirs):", details=the_plan.stale_answers)
    for update in the_plan.answer_updates:
        print(f"answers: {update.line()}", file=out)
    _validate_plan(answers, the_plan, repo, sources, out)
    if skip_secret_check:
        print("secret check: skipped (--skip-secret-check)", file=out)
    else:
        _secret_check(answers, out, required=not dry_run, files=the_plan.rendered)
    if dry_run:
        print("dry run: nothing was written", file=out)
        return Exit.OK
    written = apply.apply(repo, the_plan.changes)
    if written:
        print(f"wrote {len(written)} file(s) under {repo}; next: git add, commit and push, then "
              f"`flux reconcile kustomization cluster-apps --with-source`", file=out)
    else:
        print("nothing to do: the repo already matches the answers", file=out)
    return Exit.OK


def validate(answers_at: Path, repo: Path, sources: Sources, out: TextIO, err: TextIO) -> int:
    answers, the_plan = _prepare(answers_at, repo, out=out)
    _print_advice(answers, out)
    _validate_plan(answers, the_plan, repo, sources, out)
    return Exit.OK
