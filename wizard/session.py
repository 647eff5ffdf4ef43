"""One interactive session against a target repo, for the Textual wizard and the plain prompts.

The same pipeline as a headless run (discovery, plan, validation, 1Password check, atomic write),
exposed step by step so a front end can show each stage. It never writes before ``write()``.

Opening a session needs only the model, the saved answers and discovery: the render, the plan (with the
three-way merge), the validation and the write are imported by the step that uses them, so the
interactive wizard shows its first screen without loading them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from wizard.answers import answers_file
from wizard.base.errors import BadInput, ValidationFailed
from wizard.repo import app_namespaces, discovery, repo_paths, state

if TYPE_CHECKING:
    from wizard.answers.form import Draft
    from wizard.answers.model import Answers
    from wizard.repo import crosscheck
    from wizard.validate import Report
    from wizard.write import plan


@dataclass(frozen=True)
class Sources:
    """Upstream data the validation reads (CRDs, chart defaults), and whether a skipped check fails."""

    crd_dir: Path | None = None
    charts_dir: Path | None = None
    charts_src: Path | None = None  # unpacked charts to render (else $OBS_WIZARD_CHARTS_SRC, the cache, a pull)
    strict: bool | None = None  # --strict; None: OBS_WIZARD_STRICT=1 decides (read when the checks run)


@dataclass
class Session:
    repo: Path
    crd_dir: Path | None = None
    charts_dir: Path | None = None
    previous: state.State | None = None
    found: discovery.Discovery = field(default_factory=discovery.Discovery)
    saved: Answers | None = None
    strict: bool = False  # a skipped check fails validation (--strict / OBS_WIZARD_STRICT=1)
    init_layout: bool = False  # create the Flux layout in a repo that has none
    needs_layout: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        if not self.found.is_flux_repo:
            if not self.init_layout:
                from wizard.write import layout

                raise BadInput(layout.refusal(self.repo))
            self.needs_layout = True
            # What the created layout will define: the apps Kustomization and the source it reads.
            self.found.apps_kustomization = "flux-system/cluster-apps (--init-layout)"
            self.found.sources.append(discovery.FluxSource("GitRepository", "flux-system", "flux-system",
                                                           "read by cluster-apps (--init-layout)"))

    @classmethod
    def open(cls, repo: Path, crd_dir: Path | None = None, charts_dir: Path | None = None, *, strict: bool = False,
             init_layout: bool = False) -> Session:
        repo_paths.refuse_outside_links(repo)
        try:
            previous = state.load(repo)
        except state.StateError as exc:
            raise BadInput(str(exc)) from None
        found = discovery.discover(repo, previous=previous)
        saved = answers_file.load(found.saved_answers) if found.saved_answers else None
        return cls(repo, crd_dir, charts_dir, previous, found, saved, strict, init_layout)

    def problems(self, answers: Answers) -> list[crosscheck.Problem]:
        """Objects the answers name that the repo does not define (and were not declared outside it)."""
        from wizard.repo import crosscheck  # the answers are checked after Welcome's first frame

        return crosscheck.problems(answers, self.found)

    def check(self, answers: Answers) -> None:
        """BadInput (exit 2, nothing written) with one line per answer that does not match the repo."""
        found = self.problems(answers)
        if found:
            lines = [p.line() for p in found]
            raise BadInput(lines[0], details=lines[1:])

    @property
    def rerun(self) -> bool:
        return self.saved is not None or self.previous is not None

    def initial_draft(self) -> Draft:
        """Saved answers first (a re-run), else what the repo suggests; defaults fill the rest."""
        from wizard.answers.form import Draft  # the questions: only the front ends ask them
        from wizard.repo import crosscheck

        def check(answers: Answers) -> dict[str, str]:
            return crosscheck.by_field(answers, self.found)

        if self.saved is not None:
            return Draft(self.saved.model_dump(mode="json", exclude_unset=True), check, self.disk_notes)
        return Draft(self.found.suggestions(), check)

    def disk_notes(self) -> dict[str, str]:
        """A re-run: ``file says 45d`` per answer whose value on disk differs from the saved answer."""
        from wizard.write.disk_notes import disk_notes

        return disk_notes(self.saved, self.repo)

    def choices(self) -> dict[str, list[str]]:
        """Values found in the repo per question, for the pick lists."""
        return self.found.choices()

    def plan(self, answers: Answers, choose: plan.Choices | plan.Side | None = None,
             adopt: bool = False, answers_source: Path | None = None) -> plan.Plan:
        """The write plan; a file obs-wizard cannot read or edit is a clear error, never a traceback.

        Answers that name objects the repo does not define are refused first (BadInput, exit 2).
        """
        from wizard.render import render
        from wizard.write import layout, plan

        repo_paths.check_components(self.repo, answers.flux.namespace, answers.flux.namespace_components)
        # Found anew every run; with --init-layout, also the namespace of the Kustomization it creates (flux-system).
        found = [*self.found.app_namespaces, *(["flux-system"] if self.needs_layout else [])]
        answers = app_namespaces.with_found_namespaces(answers, sorted(set(found)))
        self.check(answers)
        try:
            the_plan = plan.build(answers, self.repo, self.previous, choose=choose, adopt=adopt, answers_source=answers_source,
                                  dialect=self.found.dialect)
        except plan.PlanError as exc:
            raise BadInput(str(exc)) from None
        except render.RenderError as exc:
            raise ValidationFailed(str(exc)) from None
        if self.needs_layout:
            source = (answers.flux.git_repository_namespace, answers.flux.git_repository)
            the_plan.changes[:0] = layout.layout_changes(self.repo, source)
        return the_plan

    def validate(self, answers: Answers, the_plan: plan.Plan,
                 on_check: Callable[[str, int, int], None] | None = None) -> Report:
        from wizard.validate import validate_answers_render

        return validate_answers_render(the_plan.answers or answers, the_plan.rendered, repo=self.repo, crd_dir=self.crd_dir,
                                       charts_dir=self.charts_dir, strict=self.strict or None, on_check=on_check)

    def write(self, the_plan: plan.Plan, progress: Callable[[str], None] | None = None) -> list[str]:
        from wizard.write import apply

        return apply.apply(self.repo, the_plan.changes, progress)
