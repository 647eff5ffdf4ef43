"""The same questions as plain prompts (questionary), for a plain terminal or a serial console.

Generated from the answers model through wizard.answers.form: the same order, defaults, help and
validation as the Textual wizard and the answers file. The ordinary questions of every step come
first; then one question, "change the advanced options?" (default No), before any field the model
marks advanced. Review (wizard.plain.review) shows the exact diffs and settles conflicts; the files
are written only when the operator types "yes". Ctrl+C or Ctrl+D cancels with nothing written.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any, TextIO

from wizard.answers import form
from wizard.base.errors import BadInput, Exit, WizardError
from wizard.plain import review as plain_review
from wizard.render import sizing
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


# --- one question -----------------------------------------------------------------------------------


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
            _set(draft, question, picked)
            if question.outside_repo:
                draft.values.pop(question.outside_repo, None)
            return True
        if not question.outside_repo:
            return False
        if prompts.confirm(f"{question.title}: this repo defines only {', '.join(question.choices)}. "
                           "Is the one you mean created outside the repo (at bootstrap or by hand)?",
                           bool(draft.values.get(question.outside_repo))):
            draft.values[question.outside_repo] = True
            return False


def _set(draft: form.Draft, question: form.Question, text: str) -> None:
    """An answer left as it was stays as it was (a saved answer equal to the default is kept)."""
    if text != draft.text(question):
        draft.set_text(question, text)


def _ask(prompts: _Prompts, draft: form.Draft, question: form.Question) -> None:
    """One question: a pick list of what the repo defines, yes/no, or typed text checked as typed."""
    if question.choices and _pick(prompts, draft, question):
        return
    if question.kind == "bool":
        value = prompts.confirm(question.title, draft.text(question) == "true")
        _set(draft, question, "true" if value else "false")
        return

    def validate(text: str) -> bool | str:
        # A value the repo does not define is settled after typing (is it outside the repo?), not here.
        trial = form.Draft(draft.data(), None if question.outside_repo else draft.check)
        trial.set_text(question, text)
        return trial.errors().get(question.key) or True

    text = prompts.text(question.title + (" *" if question.required else ""), draft.text(question),
                        f"({question.help})", validate)
    _set(draft, question, text)
    if question.outside_repo and draft.text(question) in question.choices:
        draft.values.pop(question.outside_repo, None)  # one the repo defines after all


# --- problems after answering: which questions to ask again --------------------------------------


def _targets(key: str, message: str, questions: list[form.Question]) -> list[form.Question]:
    """The questions a problem is about: its own field, else the fields its message names, else the
    whole section (or, for a rule across sections, every question)."""
    own = [q for q in questions if q.key == key]
    if own:
        return own
    scope = [q for q in questions if not key or q.section == key]
    named = [q for q in scope if re.search(rf"(?<![\w.]){re.escape(q.key)}(?!\w)", message)
             or (key and re.search(rf"(?<![\w.]){re.escape(q.name)}(?!\w)", message))]
    return named or scope


def _outside_repo_problem(draft: form.Draft, question: form.Question, message: str) -> bool:
    """True when the problem is only that the repo does not define the value (the model accepts it)."""
    if not question.outside_repo or draft.values.get(question.outside_repo):
        return False
    return question.key not in form.Draft(draft.data()).errors()


def _fix(prompts: _Prompts, draft: form.Draft, problems: list[tuple[str, str]], askable: list[form.Question],
         every: list[form.Question], out: TextIO) -> bool:
    """Settle the problems whose questions are all ``askable``; False when none was (the rest wait)."""
    settled = False
    for key, message in problems:
        targets = _targets(key, message, every)
        if not targets or not all(q in askable for q in targets):
            continue
        settled = True
        titles = ", ".join(q.title for q in targets)
        print(f"✗ {titles}: {message}", file=out)
        if len(targets) == 1 and _outside_repo_problem(draft, targets[0], message):
            question = targets[0]
            if prompts.confirm(f"{question.title} {draft.text(question)}: is it created outside the repo "
                               "(at bootstrap or by hand)?", False):
                draft.values[question.outside_repo] = True
                continue
            # The object may be named by several answers (a Gateway's namespace, a vault of the store):
            # its section's other pick lists are asked again with it.
            targets += [q for q in askable if q.section == question.section and q.choices and q is not question]
        print("Please answer again.", file=out)
        for question in targets:
            _ask(prompts, draft, question)
    return settled


def _ask_until_settled(prompts: _Prompts, draft: form.Draft, step: form.Step, asked: list[form.Question],
                       every: list[form.Question], out: TextIO) -> None:
    """Problems of this step that the questions just asked can fix are fixed now; others wait."""
    while True:
        problems = form.step_errors(step, draft.errors())
        if not problems or not _fix(prompts, draft, problems, asked, every, out):
            return


def ask_all(prompts: _Prompts, draft: form.Draft, steps: tuple[form.Step, ...], out: TextIO) -> None:
    """Ordinary questions, one "advanced options?" question, the advanced ones; then every problem left."""
    every = [q for step in steps for q in step.questions if not q.confirms]  # confirmations come with their value
    for step in steps:
        ordinary = [q for q in step.questions if not q.advanced and not q.confirms]
        if ordinary:
            print(f"\n== {step.title} ==", file=out)
            for question in ordinary:
                _ask(prompts, draft, question)
            _ask_until_settled(prompts, draft, step, ordinary, every, out)
    advanced = [(step, [q for q in step.questions if q.advanced and not q.confirms]) for step in steps]
    advanced = [(step, questions) for step, questions in advanced if questions]
    count = sum(len(questions) for _, questions in advanced)
    if count and prompts.confirm(f"Change the advanced options ({count}: "
                                 f"{', '.join(step.title for step, _ in advanced)})?", False):
        for step, questions in advanced:
            print(f"\n== {step.title}: advanced options ==", file=out)
            for question in questions:
                _ask(prompts, draft, question)
            _ask_until_settled(prompts, draft, step, questions, every, out)
    while True:  # problems no single step could settle (a rule across sections, an advanced value)
        problems = list(draft.errors().items())
        if not problems:
            return
        if not _fix(prompts, draft, problems, every, every, out):  # no question can change it: never loop silently
            raise BadInput(f"{problems[0][0] or 'answers'}: {problems[0][1]}",
                           details=[f"{key or 'answers'}: {message}" for key, message in problems[1:]])


# --- the run -------------------------------------------------------------------------------------------


def run(repo: Path, crd_dir: Path | None, charts_dir: Path | None, *, input: Any = None, output: Any = None,
        out: TextIO | None = None, strict: bool = False, init_layout: bool = False, skip_secret_check: bool = False) -> int:
    out = out or sys.stdout
    try:
        return _run(repo, crd_dir, charts_dir, _Prompts(input, output), out, strict, init_layout, skip_secret_check)
    except (KeyboardInterrupt, EOFError):
        print("\nobs-wizard: cancelled; nothing was written", file=out)
        return int(Exit.CANCELLED)


def _run(repo: Path, crd_dir: Path | None, charts_dir: Path | None, prompts: _Prompts, out: TextIO, strict: bool = False,
         init_layout: bool = False, skip_secret_check: bool = False) -> int:
    session = Session.open(repo, crd_dir, charts_dir, strict=strict, init_layout=init_layout)
    print(f"obs-wizard: kube-prometheus-stack, Loki and Alloy for {repo}", file=out)
    print("a re-run: your saved answers are the defaults" if session.rerun else "a first run", file=out)
    for line in session.found.report():
        print(f"  repo: {line}", file=out)
    draft = session.initial_draft()
    ask_all(prompts, draft, form.steps(session.choices()), out)

    try:
        the_plan = plain_review.review(prompts, session, draft.answers(), out)
    except plain_review.Stopped as exc:
        print(f"obs-wizard: {exc}; nothing was written (move it away, or run headless with --adopt)", file=out)
        return int(Exit.CONFLICT)
    if the_plan.stale_answers:
        for line in the_plan.stale_answers:
            print(f"✗ {line}", file=out)
        print("obs-wizard: the answers no longer match the values you kept on disk; nothing was written. "
              "Run again and take the new value, or change the answer", file=out)
        return int(Exit.CONFLICT)
    answers = the_plan.answers or draft.answers()  # updated to the values kept on disk
    if not the_plan.writes:
        print("obs-wizard: nothing to do: the repo already matches the answers", file=out)
        return int(Exit.OK)
    if not plain_review.confirm_write(prompts, the_plan, out):
        print("obs-wizard: nothing was written", file=out)
        return int(Exit.CANCELLED)

    from wizard.onepassword.check import NOTHING_TO_CHECK, needs_items

    skipped: list[str] = []
    host, token = os.environ.get("OP_CONNECT_HOST", ""), os.environ.get("OP_CONNECT_TOKEN", "")
    if not needs_items(answers):
        print(f"1Password check: {NOTHING_TO_CHECK}", file=out)
    elif skip_secret_check:
        print("secret check: skipped (--skip-secret-check)", file=out)
        skipped.append("the 1Password check (--skip-secret-check)")
    elif host and token:
        from wizard.onepassword.check import check_connect

        report = check_connect(answers, host, token)
        for outcome in report.outcomes:
            print("  " + outcome.marked(), file=out)
        if not report.ok:
            print("obs-wizard: the 1Password items are not what the ExternalSecrets need; nothing was written", file=out)
            return int(Exit.SECRETS)
    elif prompts.confirm("1Password Connect is not configured (OP_CONNECT_HOST, OP_CONNECT_TOKEN). "
                         "Write without checking the items?", False):
        print("secret check: skipped (you confirmed; OP_CONNECT_HOST and OP_CONNECT_TOKEN are not set)", file=out)
        skipped.append("the 1Password check (Connect is not configured)")
    else:
        print("obs-wizard: nothing was written", file=out)
        return int(Exit.NOT_CONFIGURED)

    report = session.validate(answers, the_plan)
    for line in report.lines():
        print(line, file=out)
    if not report.ok:
        why = "failed validation" if report.errors else "were not fully checked (--strict fails a skipped check)"
        print(f"obs-wizard: the rendered manifests {why}; nothing was written", file=out)
        return int(Exit.INVALID)
    skipped += [f"validation: {o.check}" for o in report.outcomes() if o.status == "skipped"]
    try:
        written = session.write(the_plan, progress=lambda path: print(f"  wrote {path}", file=out))
    except WizardError as exc:
        print(f"obs-wizard: {exc.message}", file=out)
        return int(exc.exit_code)
    print(f"done: {len(written)} file(s). Next: git add kubernetes/apps/observability .obs-wizard && git commit && git push, "
          "then flux reconcile kustomization cluster-apps --with-source", file=out)
    print(f"Then check it on the cluster (through kubectl; one test alert reaches Slack): "
          f"obs-wizard verify --repo {shlex.quote(str(repo))} --wait 10m", file=out)
    if skipped:
        print(f"not checked: {'; '.join(skipped)} (skipped, not passed)", file=out)
    if sizing.heartbeat_warning(answers):
        print(f"warning: {sizing.heartbeat_warning(answers)}", file=out)
    return int(Exit.OK)
