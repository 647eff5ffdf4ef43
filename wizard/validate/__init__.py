"""Validation of a render before anything is written (also `obs-wizard validate`).

Owns every check (kustomize, CRD schemas, chart values and render, promtool, amtool, Alloy,
wiring, Flux variables), the tools they run and where their upstream data comes from.
May import: ``wizard.base``, ``wizard.answers``, ``wizard.repo``, ``wizard.render``, ``wizard.write``.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from wizard.answers.model import Answers
from wizard.render import charts, render
from wizard.validate import tools
from wizard.validate.alertmanager import check_alertmanager
from wizard.validate.alloy import check_alloy
from wizard.validate.chart_values import check_chart_values
from wizard.validate.consistency import check_release_consistency
from wizard.validate.crd_race import check_crd_race
from wizard.validate.crd_schema import check_documents
from wizard.validate.findings import Finding, Outcome, Report, strict_from_env
from wizard.validate.gateway_route import check_gateway_routes
from wizard.validate.kustomize import check_kustomize
from wizard.validate.manifests import check_manifests
from wizard.validate.repo_resources import operator_files
from wizard.validate.rules import check_rules
from wizard.write import staging

__all__ = ["Finding", "Outcome", "Report", "strict_from_env", "validate_answers_render", "validate_files"]


def validate_answers_render(answers: Answers, files: dict[str, str], *, repo: Path | None, crd_dir: Path | None,
                            charts_dir: Path | None, strict: bool | None = None, charts_src: Path | None = None,
                            on_check: Callable[[str, int, int], None] | None = None) -> Report:
    """Every check on ``files``: the exact text each file will have in ``repo`` (the plan's merge of
    what ``answers`` render with the file on disk), every object the answers render among them.

    Flux substitutes ${SECRET_DOMAIN} from the cluster's Secret; the cluster domain stands in for it.
    ``strict`` (default: ``OBS_WIZARD_STRICT``) makes a skipped check a failure.
    ``on_check(name, done, total)`` is told as each check finishes (the wizard's progress line).
    """
    substitutions = {"SECRET_DOMAIN": answers.cluster.domain if answers.cluster.domain not in (None, "${SECRET_DOMAIN}") else "example.com"} if answers.uses_substitution else {}
    return validate_files(files, repo=repo, crd_dir=crd_dir, charts_dir=charts_dir, answers=answers, substitutions=substitutions,
                          strict=strict, charts_src=charts_src, on_check=on_check)


def _substitute(text: str, variables: dict[str, str]) -> str:
    for name, value in variables.items():
        text = text.replace("${" + name + "}", value)
    return text


def validate_files(files: dict[str, str], *, repo: Path | None, crd_dir: Path | None,
                   charts_dir: Path | None = None, answers: Answers | None = None,
                   substitutions: dict[str, str] | None = None, strict: bool | None = None,
                   charts_src: Path | None = None, on_check: Callable[[str, int, int], None] | None = None) -> Report:
    """Run every check on ``files`` (repo-relative path -> text) as they would sit in ``repo``.

    ``substitutions`` are the Flux postBuild variables; schema checks see the values Flux will apply.
    ``answers`` enable the checks rendered from them (promtool unit tests, Flux variables allowed).
    ``strict`` (default: ``OBS_WIZARD_STRICT``) makes a skipped check a failure.
    ``charts_src`` (else $OBS_WIZARD_CHARTS_SRC, the cache, a pull) has the charts each HelmRelease
    is rendered from for the wiring checks.
    ``on_check(name, done, total)`` is told as each check finishes, in the report's order.
    """
    report = Report(strict=strict_from_env() if strict is None else strict)
    names = ["Flux variables", "CRD schemas", *(["Gateway routes"] if repo is not None else []), "CRD race", "chart values",
             "Alloy config", "promtool", "amtool", "release consistency", "chart render and wiring", "kustomize",
             *(["manifests"] if answers is not None else [])]

    def add(name: str, part: Report) -> None:
        report.extend(part)
        if on_check is not None:
            on_check(name, names.index(name) + 1, len(names))

    charts.new_run()  # a registry found unreachable is tried again by the next validation
    substituted = {path: _substitute(text, substitutions or {}) for path, text in files.items()}
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="obs-wizard-check") as pool:
        # promtool, amtool and kubectl run beside the checks done here; each finding keeps its place in the report
        rules = pool.submit(check_rules, substituted, answers)
        kustomize = pool.submit(_kustomize, files, repo)
        add("Flux variables", check_flux_variables(files, tuple(substitutions or {})))
        added = {path: _substitute(text, substitutions or {}) for path, text in operator_files(files, repo).items()}
        add("CRD schemas", check_documents(substituted, crd_dir, strict_missing=tools.strict(), added=added))
        outside = ({(answers.grafana.gateway_namespace, answers.grafana.gateway_name)}
                   if answers is not None and answers.grafana.gateway_outside_repo else set())
        if repo is not None:  # the Gateways are the repo's: without one there is nothing to compare the routes with
            add("Gateway routes", check_gateway_routes({**substituted, **added}, repo, _gateway_variables(substitutions, answers), outside))
        add("CRD race", check_crd_race(substituted))
        add("chart values", check_chart_values(substituted, charts_dir))
        alertmanager = pool.submit(check_alertmanager, substituted,  # the chart defaults after chart-values looked them up
                                   _kps_defaults(charts_dir, files) if tools.find("amtool") else None)
        add("Alloy config", check_alloy(files))
        add("promtool", rules.result())
        add("amtool", alertmanager.result())
        add("release consistency", check_release_consistency(substituted))
        add("chart render and wiring", check_rendered(substituted, answers, charts_src))
        add("kustomize", kustomize.result())
    if answers is not None:  # every object the answers render is in the exact text that will be on disk
        add("manifests", check_manifests(files, rendered_manifests(answers)))
    return report


def _kustomize(files: dict[str, str], repo: Path | None) -> Report:
    if tools.find("kubectl") is None:
        return check_kustomize(None, files)  # reports the missing tool; nothing to stage
    with staging.staged(files, repo) as root:
        return check_kustomize(root, files)


def _gateway_variables(substitutions: dict[str, str] | None, answers: Answers | None) -> dict[str, str]:
    """What Flux substitutes in the repo's Gateways: the answers' variables, else the domain (a repo keeping it
    in SOPS gets the same stand-in as the render, so a literal route hostname is compared with it)."""
    if substitutions:
        return substitutions
    if answers is None:
        return {}
    domain = answers.cluster.domain
    return {"SECRET_DOMAIN": domain if domain not in (None, "${SECRET_DOMAIN}") else "example.com"}


def check_rendered(files: dict[str, str], answers: Answers | None, charts_src: Path | None) -> Report:
    """Render each HelmRelease with the Helm SDK (when installed) and check the wiring of the result."""
    from wizard.validate.helm_render import render_all

    report = Report()
    rendered, render_report = render_all(files, charts_src)
    report.extend(render_report)
    if not rendered:
        return report
    from wizard.validate.wiring import check_wiring

    done = {r.release.label for r in rendered}
    not_rendered = sorted({f.document for f in render_report.findings if f.document and f.document not in done})
    report.extend(check_wiring(files, rendered, not_rendered, answers))
    return report


def rendered_manifests(answers: Answers) -> dict[str, str]:
    """What ``answers`` render, less ``namespace.yaml`` (created only when absent, else left alone)."""
    expected = render.render(answers)
    expected.pop(f"{render.namespace_dir(answers)}/namespace.yaml", None)
    return expected


def check_flux_variables(files: dict[str, str], allowed: tuple[str, ...]) -> Report:
    """Only known ${VAR} references; anything else Flux postBuild would silently blank."""
    report = Report(checks_run=["flux-substitution"])
    for path, text in files.items():
        for lineno, name in render.flux_variables(text):
            if name not in allowed:
                report.add(Finding("error", "flux-substitution", f"line {lineno}: {render.substitution_problem(name, allowed)}", file=path))
    return report


def _kps_defaults(charts_dir: Path | None, files: dict[str, str]):
    """The kube-prometheus-stack chart defaults at the version on disk, from the first source that has them."""
    from wizard.render.extract import documents
    from wizard.validate.chart_values import Refused, find_chart_for

    for _, doc in documents(files, "OCIRepository"):
        ref = charts.oci_ref(doc)
        if ref.name == "kube-prometheus-stack":
            try:
                found = find_chart_for(ref, charts_dir, [])
            except Refused:  # chart-values reports it
                return None
            return found.values if found else None
    return None
