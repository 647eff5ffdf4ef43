"""The plain prompts' Review: the plan, conflicts settled one value at a time, the exact diffs.

What is shown is what is written: every diff is ``FileChange.diff()`` of the plan built with the
choices made so far (the same bytes ``--dry-run`` prints and ``apply`` writes), recomputed and shown
again after each choice. Before the final question Review prints the summary and the diffs the answers
drive in files that exist (and the answers file); the rest (new files, obs-wizard's own records) is
offered through a pager (type ``diff`` at the question), so a first run is not 1,600 lines of new
files; the generated answers schema is never shown (``obs-wizard schema`` prints it). Conflicts are settled as in the wizard and headless runs: per conflicting
value (keep mine / take new, or keep all mine / take all new for every value still open), and per
file for a file deleted by hand (keep it deleted / recreate it) or one obs-wizard did not write
(adopt it, then its differing values are chosen the same way).
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from wizard.answers import answers_file
from wizard.answers.model import Answers
from wizard.render import render, sizing
from wizard.repo.merge import show_value
from wizard.session import Session
from wizard.write import plan

KEEP_MINE, TAKE_NEW = "keep mine", "take new"
KEEP_ALL, TAKE_ALL = "keep all mine (every value still in conflict)", "take all new (every value still in conflict)"
RECREATE, KEEP_DELETED = "recreate it (the diff above is what is written)", "keep it deleted"
ADOPT, STOP = "adopt it: merge it, then choose each value that differs", "stop here: write nothing (move the file away, then run again)"
#: What the final question accepts; anything else (a stray Enter included) is asked again.
WRITE_WORDS = {"yes": True, "no": False}
PAGE_WORD = "diff"  # at the final question: the other diffs, through a pager
SCHEMA = ".obs-wizard/answers.schema.json"  # generated from the model: never shown
OTHER_DIFFS = "The other diffs (new files and obs-wizard's records; exactly what will be written):"


class Stopped(Exception):
    """The operator chose to stop at Review; nothing is written."""


def _print_diff(text: str, out: TextIO) -> None:
    if text:
        out.write(text if text.endswith("\n") else text + "\n")


def print_plan(the_plan: plan.Plan, out: TextIO) -> None:
    """One line per file, as ``--dry-run`` lists them."""
    for change in the_plan.changes:
        reason = f"  ({change.reason})" if change.reason and change.action != "unchanged" else ""
        print(f"  {change.action:<9} {change.path}{reason}", file=out)


def _open_values(the_plan: plan.Plan) -> list[tuple[str, Any]]:
    """(file, conflict) for every conflicting value not settled yet, in plan order."""
    return [(change.path, conflict) for change in the_plan.conflicts for conflict in change.conflicts]


def _settle_value(prompts: Any, the_plan: plan.Plan, file: str, conflict: Any, choose: plan.Choices, out: TextIO) -> None:
    open_values = _open_values(the_plan)
    print(f"\nconflict in {file} ({len(open_values)} value(s) still to settle)", file=out)
    print(f"  value:          {conflict.path.removesuffix(':')}", file=out)
    print(f"  previous render {show_value(conflict.base)}", file=out)
    print(f"  on disk (mine)  {show_value(conflict.ours)}", file=out)
    print(f"  new render      {show_value(conflict.theirs)}", file=out)
    if conflict.note:
        print(f"  note: {conflict.note}", file=out)
    mine, new = f"{KEEP_MINE}: {show_value(conflict.ours)}", f"{TAKE_NEW}: {show_value(conflict.theirs)}"
    options = [mine, new] + ([KEEP_ALL, TAKE_ALL] if len(open_values) > 1 else [])
    picked = prompts.select("Which value?", options, mine)
    if picked in (KEEP_ALL, TAKE_ALL):
        side = "ours" if picked == KEEP_ALL else "theirs"
        for path, each in open_values:
            choose.setdefault(path, {})[each.path] = side
    else:
        choose.setdefault(file, {})[conflict.path] = "ours" if picked == mine else "theirs"


def _settle_file(prompts: Any, change: plan.FileChange, choose: plan.Choices, out: TextIO) -> None:
    """A conflict about the file as a whole: its diff (what the choice writes), then the choice."""
    print(f"\nconflict: {change.path}", file=out)
    _print_diff(change.diff(), out)
    if change.whole == "deleted":
        picked = prompts.select(f"{change.path} was deleted by you since obs-wizard wrote it:", [KEEP_DELETED, RECREATE],
                                KEEP_DELETED)
        choose.setdefault(change.path, {})[plan.WHOLE_FILE] = "ours" if picked == KEEP_DELETED else "theirs"
        return
    options = [ADOPT, STOP] if change.preview is not None else [STOP]
    picked = prompts.select(f"{change.path} exists and was not written by obs-wizard:", options, STOP)
    if picked == STOP:
        raise Stopped(f"{change.path} exists and was not written by obs-wizard")
    choose.setdefault(change.path, {})[plan.WHOLE_FILE] = "adopt"


def review(prompts: Any, session: Session, answers: Answers, out: TextIO) -> plan.Plan:
    """The plan with every conflict settled by the operator; raises Stopped when they stop."""
    choose: plan.Choices = {}
    the_plan = session.plan(answers)
    print("\n== Review ==", file=out)
    shown = the_plan.answers or answers
    for line in session.found.dialect_lines() + render.crd_lines(shown) + render.order_lines(shown):
        print(line, file=out)
    print_plan(the_plan, out)
    for line in sizing.summary(shown) + [f"warning: {w}" for w in sizing.warnings(shown)]:
        print(line, file=out)
    if the_plan.conflicts:
        print(f"\n{len(the_plan.conflicts)} file(s) in conflict: nothing is written until each is settled. "
              "After each choice the file's diff is shown again: exactly what will be written.", file=out)
    while the_plan.conflicts:
        change = the_plan.conflicts[0]
        if change.conflicts:
            _settle_value(prompts, the_plan, change.path, change.conflicts[0], choose, out)
        else:
            _settle_file(prompts, change, choose, out)
        the_plan = session.plan(answers, choose=choose)
        now = next(c for c in the_plan.changes if c.path == change.path)
        print(f"-- {change.path}: {now.action}" + (f" ({now.reason})" if now.reason else ""), file=out)
        _print_diff(now.diff(), out)
    if choose:
        print("\n== Review, with your choices ==", file=out)
        print_plan(the_plan, out)
        if the_plan.answer_updates:  # a kept value changed an answer: the estimates follow it
            kept = the_plan.answers or answers
            for line in sizing.summary(kept) + [f"warning: {w}" for w in sizing.warnings(kept)]:
                print(line, file=out)
    rest = other_diffs(the_plan)
    if rest:
        files = sum(1 for c in the_plan.changes if c.diff() and not shown_inline(c) and c.path != SCHEMA)
        print(f"\nNot shown here: the diffs of {files} new file(s) and obs-wizard's records ({len(rest.splitlines())} lines); "
              f"type {PAGE_WORD} at the question below to read them in a pager (--dry-run prints them too). "
              f"{SCHEMA} is generated from the answers model and never shown (obs-wizard schema prints it).", file=out)
    print("\nThe diffs of the files that exist: exactly what will be written.", file=out)
    for change in the_plan.changes:
        if shown_inline(change):
            _print_diff(change.diff(), out)
    if not the_plan.writes:
        print("No file changes: the repo already matches the answers.", file=out)
    for update in the_plan.answer_updates:
        print(f"answers: {update.line()}", file=out)
    return the_plan


def shown_inline(change: plan.FileChange) -> bool:
    """Printed before the final question: a change the answers drive in a file that exists, and the answers file."""
    if change.path == SCHEMA:
        return False
    if change.path == answers_file.ANSWERS_PATH:
        return True
    return not change.tool_file and change.action != "create"


def other_diffs(the_plan: plan.Plan) -> str:
    """The diffs not printed inline (new files, obs-wizard's records), the schema left out: what the pager shows."""
    text = "".join(d if d.endswith("\n") else d + "\n" for c in the_plan.changes
                   if c.path != SCHEMA and not shown_inline(c) for d in [c.diff()] if d)
    return f"{OTHER_DIFFS}\n{text}" if text else ""


def page(text: str, out: TextIO) -> None:
    """Through the pager ($PAGER, else less) on a terminal; printed as it is anywhere else."""
    if out is sys.stdout and sys.stdout.isatty():
        import pydoc

        pydoc.pager(text)
    else:
        out.write(text)


def confirm_write(prompts: Any, the_plan: plan.Plan, out: TextIO | None = None) -> bool:
    """Typed "yes" writes, "no" does not, "diff" pages the other diffs and asks again; Enter alone (or anything
    else) asks again."""
    count = len(the_plan.writes)
    rest = other_diffs(the_plan)
    words = set(WRITE_WORDS) | ({PAGE_WORD} if rest else set())

    def validate(text: str) -> bool | str:
        return text.strip().lower() in words or ("type yes to write the files, no to stop without writing"
                                                 + (f", or {PAGE_WORD} to read the other diffs" if rest else ""))

    while True:
        text = prompts.text(f"Write these {count} file(s)? Type yes or no" + (f" (or {PAGE_WORD})" if rest else ""), "",
                            "(nothing is written until you type yes)", validate).strip().lower()
        if text != PAGE_WORD:
            return WRITE_WORDS[text]
        page(rest, out or sys.stdout)
