"""The same questions as plain prompts (questionary), for a plain terminal or a serial console.

Generated from the answers model through wizard.form: the same order, defaults, help and
validation as the Textual wizard and the answers file. Ctrl+C or Ctrl+D cancels with nothing written.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, TextIO

from wizard import form, sizing
from wizard.errors import Exit, WizardError
from wizard.session import Session


class _Prompts:
    """questionary calls with one input/output pair (a pipe in tests, the terminal otherwise)."""

    def __init__(self, input: Any = None, output: Any = None):
        import questionary

        self.q = questionary
        self.io = {k: v for k, v in (("input", input), ("output", output)) if v is not None}

    def text(self, message: str, default: str, instruction: str, validate) -> str:
        return self.q.text(message, default=default, instruction=instruction, validate=validate, **self.io).unsafe_ask()

    def confirm(self, message: str, default: bool) -> bool:
        return self.q.confirm(message, default=default, **self.io).unsafe_ask()

    def select(self, message: str, choices: list[str], default: str) -> str:
        return self.q.select(message, choices=choices, default=default, **self.io).unsafe_ask()


def _pick(prompts: _Prompts, draft: form.Draft, question: form.Question) -> bool:
    """Offer the values found in the repo; True when one was picked, False to type another value.

    "other" needs the explicit answer that the object lives outside the repo (the same field an
    answers file sets); declining it returns to the list.
    """
    while True:
        current = draft.text(question)
        default = current if current in question.choices else form.OTHER
        picked = prompts.select(question.title, [*question.choices, form.OTHER], default)
        if picked != form.OTHER:
            draft.set_text(question, picked)
            if question.outside_repo:
                draft.values.pop(question.outside_repo, None)
            return True
        if not question.outside_repo:
            return False
        if prompts.confirm(f"{question.title}: this repo defines only {', '.join(question.choices)}. "
                           "Is the one you mean created outside the repo (at bootstrap or by hand)?", False):
            draft.values[question.outside_repo] = True
            return False


def _ask_step(prompts: _Prompts, draft: form.Draft, step: form.Step, out: TextIO) -> None:
    print(f"\n== {step.title} ==", file=out)
    advanced = [q for q in step.questions if q.advanced]
    ask_advanced = bool(advanced) and prompts.confirm(f"Change the {len(advanced)} advanced option(s) of this step?", False)
    while True:
        for question in step.questions:
            if question.confirms:  # asked together with the value it allows (the pick list's "other")
                continue
            if question.advanced and not ask_advanced:
                continue
            if question.choices and _pick(prompts, draft, question):
                continue
            if question.kind == "bool":
                value = prompts.confirm(question.title, draft.text(question) == "true")
                draft.set_text(question, "true" if value else "false")
                continue

            def validate(text: str, question: form.Question = question) -> bool | str:
                trial = form.Draft(draft.data(), draft.check)
                trial.set_text(question, text)
                return trial.errors().get(question.key) or True

            text = prompts.text(question.title + (" *" if question.required else ""), draft.text(question),
                                f"({question.help})", validate)
            draft.set_text(question, text)
        spanning = [message for key, message in form.step_errors(step, draft.errors())]
        if not spanning:
            return
        for message in spanning:
            print(f"✗ {message}", file=out)
        print("Please answer this step again.", file=out)


def run(repo: Path, crd_dir: Path | None, charts_dir: Path | None, *, input: Any = None, output: Any = None,
        out: TextIO | None = None, strict: bool = False, init_layout: bool = False) -> int:
    out = out or sys.stdout
    try:
        return _run(repo, crd_dir, charts_dir, _Prompts(input, output), out, strict, init_layout)
    except (KeyboardInterrupt, EOFError):
        print("\nobs-wizard: cancelled; nothing was written", file=out)
        return int(Exit.CANCELLED)


def _run(repo: Path, crd_dir: Path | None, charts_dir: Path | None, prompts: _Prompts, out: TextIO, strict: bool = False,
         init_layout: bool = False) -> int:
    session = Session.open(repo, crd_dir, charts_dir, strict=strict, init_layout=init_layout)
    print(f"obs-wizard: kube-prometheus-stack, Loki and Alloy for {repo}", file=out)
    print("a re-run: your saved answers are the defaults" if session.rerun else "a first run", file=out)
    for line in session.found.report():
        print(f"  repo: {line}", file=out)
    draft = session.initial_draft()
    for step in form.steps(session.choices()):
        _ask_step(prompts, draft, step, out)
    answers = draft.answers()

    choose: dict[str, dict[str, str]] = {}
    the_plan = session.plan(answers)
    for change in the_plan.conflicts:
        for conflict in change.conflicts:
            print(f"\nconflict in {change.path}:\n  {conflict.describe()}", file=out)
            side = prompts.select("Which value?", ["keep on disk", "take new"], "keep on disk")
            choose.setdefault(change.path, {})[conflict.path] = "ours" if side == "keep on disk" else "theirs"
    if choose:
        the_plan = session.plan(answers, choose=choose)
    if the_plan.conflicts:
        for change in the_plan.conflicts:
            print(f"✗ {change.path}: {change.reason}", file=out)
        print("obs-wizard: conflicts remain; nothing was written (re-run headless with --conflicts ours|theirs)", file=out)
        return int(Exit.CONFLICT)

    print("\n== Review ==", file=out)
    for change in the_plan.changes:
        print(f"  {change.action:<9} {change.path}", file=out)
    for line in sizing.summary(answers) + [f"warning: {w}" for w in sizing.warnings(answers)]:
        print(line, file=out)
    if not prompts.confirm("Write these files?", True):
        print("obs-wizard: nothing was written", file=out)
        return int(Exit.CANCELLED)

    from wizard.onepassword.check import NOTHING_TO_CHECK, needs_items

    host, token = os.environ.get("OP_CONNECT_HOST", ""), os.environ.get("OP_CONNECT_TOKEN", "")
    if not needs_items(answers):
        print(f"1Password check: {NOTHING_TO_CHECK}", file=out)
    elif host and token:
        from wizard.onepassword.check import check_connect

        report = check_connect(answers, host, token)
        for outcome in report.outcomes:
            print("  " + outcome.marked(), file=out)
        if not report.ok:
            print("obs-wizard: the 1Password items are not what the ExternalSecrets need; nothing was written", file=out)
            return int(Exit.SECRETS)
    elif not prompts.confirm("1Password Connect is not configured (OP_CONNECT_HOST, OP_CONNECT_TOKEN). "
                             "Write without checking the items?", False):
        print("obs-wizard: nothing was written", file=out)
        return int(Exit.NOT_CONFIGURED)

    report = session.validate(answers, the_plan)
    for line in report.lines():
        print(line, file=out)
    if not report.ok:
        why = "failed validation" if report.errors else "were not fully checked (--strict fails a skipped check)"
        print(f"obs-wizard: the rendered manifests {why}; nothing was written", file=out)
        return int(Exit.INVALID)
    try:
        written = session.write(the_plan, progress=lambda path: print(f"  wrote {path}", file=out))
    except WizardError as exc:
        print(f"obs-wizard: {exc.message}", file=out)
        return int(exc.exit_code)
    print(f"done: {len(written)} file(s). Next: git add kubernetes/apps/observability .obs-wizard && git commit && git push, "
          "then flux reconcile kustomization cluster-apps --with-source", file=out)
    return int(Exit.OK)
