"""The new apps are written in the repo's own dialect, fit what the repo already runs (the Prometheus
Operator CRDs, the store and the StorageClass), and a re-run never restyles a file (issue 20)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests import era_repos
from tests.conftest import all_checks_passed, run_cli, snapshot_tree
from tests.era_repos import ERAS, LIKE, write
from wizard import headless
from wizard.render import render
from wizard.repo import dialect as dialect_mod
from wizard.repo import state
from wizard.session import Session

NS = "kubernetes/apps/observability"
ANSWERS = {"2026": "cluster:\n  node_count: 3\n", "2025": "cluster:\n  node_count: 3\n",
           "home-ops": "cluster:\n  domain: example.io\n  node_count: 3\n"}
SCHEMA_RE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$", re.M)


@pytest.fixture(params=sorted(ERAS))
def era(request, tmp_path) -> tuple[str, Path]:
    return request.param, ERAS[request.param](tmp_path / "repo")


def planned(repo: Path, answers: str, tmp_path: Path):
    path = tmp_path / "answers.yaml"
    path.write_text(answers)
    loaded = headless.load_answers(path, repo)
    session = Session(repo, previous=loaded.previous, found=loaded.found)
    return session.plan(loaded.answers, answers_source=path), loaded


# --- comparing a written file with the repo's own, key by key ---------------------------------------

def shape(text: str) -> dict:
    """What a reviewer sees of a manifest's style: schema comment, comments and where they are,
    anchors and aliases, key order per mapping (top level, metadata, spec), list styles, blank lines."""
    lines = text.splitlines()
    doc = yaml.safe_load(text)
    api_at = next(i for i, line in enumerate(lines) if line.startswith("apiVersion:") or line.startswith("apiVersion"))
    spec_at = next((i for i, line in enumerate(lines) if line == "spec:"), len(lines))
    comments = [(i, line) for i, line in enumerate(lines) if line.lstrip().startswith("#") and not SCHEMA_RE.match(line)]
    schema = SCHEMA_RE.search(text)
    return {
        "schema": schema.group(1) if schema else None,
        "comments_between_metadata_and_spec": any(api_at < i < spec_at and not line.startswith(" ") for i, line in comments),
        "comments_in_spec": any(i > spec_at for i, _ in comments),
        "anchors": sorted(set(re.findall(r"&(\w+)", "\n".join(lines[:spec_at])))),
        "aliases": sorted(set(re.findall(r": \*(\w+)$", text, re.M))),
        "top_keys": list(doc),
        "metadata_keys": list(doc.get("metadata") or {}),
        "spec_keys": list(doc.get("spec") or {}) if isinstance(doc.get("spec"), dict) else None,
        "flow_lists": sorted(set(re.findall(r"^\s*(\w+): \[", text, re.M))),
        "blank_before": [lines[i + 1].split(":")[0] for i, line in enumerate(lines[:-1])  # between top-level sections
                         if not line.strip() and i > 0 and lines[i + 1][:1].isalpha()],
    }


def ks_schema(url: str | None, kind: str) -> str | None:
    """The schema URL as the repo would write it for another kind of the same host (None stays None)."""
    return url


def assert_like(ours: str, theirs: str, *, extra_keys: dict[str, str] = {}, missing_keys: dict[str, str] = {},
                missing_top: dict[str, str] = {}, what: str) -> None:
    """``ours`` is written like ``theirs``: every difference fails unless the platform needs it
    (``extra_keys``: spec keys only ours has, ``missing_keys``: spec keys only the repo's has; each with the reason)."""
    a, b = shape(ours), shape(theirs)
    assert a["schema"] == b["schema"], f"{what}: schema comment {a['schema']} vs the repo's {b['schema']}"
    assert a["comments_between_metadata_and_spec"] <= b["comments_between_metadata_and_spec"], f"{what}: a comment wedged between metadata and spec"
    assert a["anchors"] == b["anchors"], f"{what}: anchors {a['anchors']} vs {b['anchors']}"
    assert a["top_keys"] == [k for k in b["top_keys"] if k not in missing_top], f"{what}: top-level keys {a['top_keys']} vs {b['top_keys']}"
    assert a["metadata_keys"] == b["metadata_keys"], f"{what}: metadata {a['metadata_keys']} vs {b['metadata_keys']}"
    if b["spec_keys"] is not None:
        ours_keys = [k for k in a["spec_keys"] if k not in extra_keys]
        theirs_keys = [k for k in b["spec_keys"] if k not in missing_keys]
        assert ours_keys == theirs_keys, f"{what}: spec keys {a['spec_keys']} vs the repo's {b['spec_keys']}"
    theirs_blank = [k for k in b["blank_before"] if k not in missing_top]
    assert a["blank_before"] == theirs_blank, f"{what}: blank lines before {a['blank_before']} vs {b['blank_before']}"


def prose(text: str) -> str:
    """The comments of a file as one line of words (wrapped comments read as they are meant)."""
    return " ".join(line.strip().lstrip("#").strip() for line in text.splitlines() if line.strip().startswith("#"))


def docs(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d]


# --- the dialect of each era, written key by key like the repo's own apps ---------------------------

def test_each_era_is_learned_from_its_apps(era):
    name, repo = era
    found = headless.discovery.discover(repo)
    d = found.dialect
    assert d.learned_from == LIKE[name] and not d.legacy
    expected = {
        "2026": dict(schema=None, kustomization_schema=False, app_anchor=False, metadata_namespace=False, blank_lines=True,
                     flow_hostnames=True, substitute_order=("name", "kind"), hr_keys=("chartRef", "interval", "install", "upgrade", "values")),
        "2025": dict(schema="fluxcd-community", kustomization_schema=True, app_anchor=True, metadata_namespace=True,
                     namespace_anchor=True, blank_lines=False, flow_hostnames=False, substitute_order=("name", "kind"),
                     hr_keys=("interval", "chartRef", "install", "upgrade", "values")),
        "home-ops": dict(schema="home-operations", kustomization_schema=True, app_anchor=True, metadata_namespace=False,
                         blank_lines=True),
    }[name]
    for key, value in expected.items():
        assert getattr(d, key) == value, key


def test_written_files_are_like_the_repos_own_apps_key_by_key(era, tmp_path):
    name, repo = era
    the_plan, loaded = planned(repo, ANSWERS[name], tmp_path)
    files = the_plan.rendered
    like = repo / "kubernetes/apps" / LIKE[name]
    echo_ks, echo_hr = (like / "ks.yaml").read_text(), (like / "app/helmrelease.yaml").read_text()
    needs = {"dependsOn": "the order is real: the store (kps) and the StorageClass (kps, loki) come first"}
    for app in ("kube-prometheus-stack", "loki", "alloy"):
        ks = files[f"{NS}/{app}/ks.yaml"]
        assert_like(ks, echo_ks, extra_keys=needs, what=f"{app}/ks.yaml")
        ours, theirs = docs(ks)[0], docs(echo_ks)[0]
        if "postBuild" in theirs["spec"] and "postBuild" in ours["spec"]:  # substituteFrom key order
            assert list(ours["spec"]["postBuild"]["substituteFrom"][0]) == list(theirs["spec"]["postBuild"]["substituteFrom"][0])
        assert shape(ks)["aliases"] == shape(echo_ks)["aliases"]
        assert_like(files[f"{NS}/{app}/app/kustomization.yaml"], (like / "app/kustomization.yaml").read_text(),
                    what=f"{app}/app/kustomization.yaml")
        assert_like(files[f"{NS}/{app}/app/ocirepository.yaml"], (like / "app/ocirepository.yaml").read_text(),
                    what=f"{app}/app/ocirepository.yaml")
        hr = files[f"{NS}/{app}/app/helmrelease.yaml"]
        assert_like(hr, echo_hr, what=f"{app}/app/helmrelease.yaml")
    ns_own = (repo / "kubernetes/apps/default/kustomization.yaml").read_text()
    # home-ops: its namespaces take components/alerts (its own Flux alerts); obs-wizard writes its own, so the
    # observability namespace lists only the components the answers name (none there).
    missing = {"components": "flux.namespace_components is empty"} if not loaded.answers.flux.namespace_components else {}
    assert_like(files[f"{NS}/kustomization.yaml"], ns_own, missing_top=missing, what="observability/kustomization.yaml")
    route = docs(files[f"{NS}/kube-prometheus-stack/app/httproute.yaml"])[0]
    flow = 'hostnames: ["' in files[f"{NS}/kube-prometheus-stack/app/httproute.yaml"]
    assert flow == (name == "2026") and route["spec"]["hostnames"] == [loaded.answers.grafana_hostname]


def test_the_comparison_fails_on_a_difference_the_platform_does_not_need(tmp_path):
    """The key-by-key check is real: today's style (obs-wizard's own) against the 2026 repo fails on each trait."""
    repo = ERAS["2026"](tmp_path / "repo")
    echo_ks = (repo / "kubernetes/apps/default/echo/ks.yaml").read_text()
    legacy = planned_legacy(repo, tmp_path)
    with pytest.raises(AssertionError, match="schema comment"):
        assert_like(legacy[f"{NS}/loki/ks.yaml"], echo_ks, what="loki/ks.yaml")
    no_schema = "".join(line for line in legacy[f"{NS}/loki/ks.yaml"].splitlines(keepends=True) if "$schema" not in line)
    with pytest.raises(AssertionError, match="wedged"):
        assert_like(no_schema, echo_ks, what="loki/ks.yaml")
    moved = re.sub(r"^# .*\n", "", no_schema, flags=re.M)
    with pytest.raises(AssertionError, match="spec keys"):
        assert_like(moved, echo_ks, what="loki/ks.yaml")
    with pytest.raises(AssertionError, match="blank lines"):
        ns_text = legacy[f"{NS}/kustomization.yaml"].replace("# yaml-language-server: $schema=https://json.schemastore.org/kustomization\n", "")
        assert_like(ns_text, (repo / "kubernetes/apps/default/kustomization.yaml").read_text(), what="kustomization.yaml")


def planned_legacy(repo: Path, tmp_path: Path) -> dict[str, str]:
    the_plan, loaded = planned(repo, ANSWERS["2026"], tmp_path)
    return render.render(loaded.answers, dialect_mod.LEGACY)


def test_a_repo_without_apps_gets_obs_wizards_own_style(tmp_path):
    from tests.conftest import flux_repo

    repo = flux_repo(tmp_path / "repo")
    found = headless.discovery.discover(repo)
    assert found.dialect.legacy and found.learned_dialect is None
    assert found.dialect_lines() == [
        "dialect: obs-wizard's own: schema comments from k8s-schemas.home-operations.com, no anchors, spec keys "
        "commonMetadata, interval, path, postBuild, prune, retryInterval, sourceRef, targetNamespace, timeout, wait "
        "(dependsOn only where the order is real)",
        "dialect: the repo has no app of its own to learn from (kubernetes/apps/<namespace>/<app>/ks.yaml)"]


# --- the run says it, before the plan --------------------------------------------------------------

def test_the_dialect_crd_owner_and_order_are_printed_before_the_plan(era, tmp_path):
    name, repo = era
    path = tmp_path / "answers.yaml"
    path.write_text(ANSWERS[name])
    result = run_cli("--answers", path, "--repo", repo, "--skip-secret-check", "--dry-run")
    assert result.code == 0, result
    lines = result.out.splitlines()
    plan_at = next(i for i, line in enumerate(lines) if re.match(r"^\s+create\s+kubernetes/apps/observability/", line))
    dialect_at = next(i for i, line in enumerate(lines) if line.startswith(f"repo: dialect: ks.yaml like {LIKE[name]}"))
    crds_at = next(i for i, line in enumerate(lines) if line.startswith("Prometheus Operator CRDs: "))
    order_at = next(i for i, line in enumerate(lines) if line.startswith("order: kube-prometheus-stack dependsOn "))
    assert dialect_at < plan_at and crds_at < plan_at and order_at < plan_at
    assert "order: no obs-wizard app depends on another (each reconciles and fails on its own)" in lines


# --- the Prometheus Operator CRDs: detected, one owner, every comment true ---------------------------

def test_crd_owner_per_era(era, tmp_path):
    name, repo = era
    the_plan, loaded = planned(repo, ANSWERS[name], tmp_path)
    files, answers = the_plan.rendered, loaded.answers
    line = render.crd_lines(answers)[0]
    kps = docs(files[f"{NS}/kube-prometheus-stack/app/helmrelease.yaml"])[0]["spec"]["values"]
    loki_ks, alloy_ks = files[f"{NS}/loki/ks.yaml"], files[f"{NS}/alloy/ks.yaml"]
    loki_hr, alloy_hr = files[f"{NS}/loki/app/helmrelease.yaml"], files[f"{NS}/alloy/app/helmrelease.yaml"]
    if name in ("2026", "2025"):
        boot = {"2026": "bootstrap/helmfile/crds.yaml", "2025": "bootstrap/helmfile.d/00-crds.yaml"}[name]
        assert answers.flux.crds_installed_by == boot
        assert line == (f"Prometheus Operator CRDs: installed once at bootstrap by {boot}, which nothing upgrades; from now on "
                        "kube-prometheus-stack owns them (crds: CreateReplace keeps them at the operator version it runs)")
        assert kps["crds"] == {"enabled": True}
        for text in (loki_ks, alloy_ks, loki_hr, alloy_hr):
            assert boot in prose(text) and "retried until" not in prose(text) and "fails and is retried" not in prose(text)
        assert "installs them at bootstrap; kube-prometheus-stack keeps them upgraded" in prose(loki_ks)
    else:
        assert answers.flux.crds_installed_by == "helmrelease:kube-system/prometheus-operator-crds"
        assert line.startswith("Prometheus Operator CRDs: owned by the HelmRelease kube-system/prometheus-operator-crds, "
                               "which the repo already runs; kube-prometheus-stack installs none (crds.enabled: false)")
        assert kps["crds"] == {"enabled": False}
        for text in (loki_ks, alloy_ks, alloy_hr, loki_hr):
            assert "until the HelmRelease kube-system/prometheus-operator-crds has installed" in prose(text)
            assert "until kube-prometheus-stack has installed" not in prose(text)
        assert "owned by the HelmRelease kube-system/prometheus-operator-crds (one owner)" in prose(
            files[f"{NS}/kube-prometheus-stack/app/helmrelease.yaml"])


def test_crds_policies_only_where_the_chart_ships_crds(tmp_path):
    """2025 (no defaults patch): install/upgrade on each HelmRelease; crds: on kps and alloy, never on loki."""
    repo = ERAS["2025"](tmp_path / "repo")
    the_plan, _ = planned(repo, ANSWERS["2025"], tmp_path)
    for app, ships in (("kube-prometheus-stack", True), ("loki", False), ("alloy", True)):
        spec = docs(the_plan.rendered[f"{NS}/{app}/app/helmrelease.yaml"])[0]["spec"]
        assert ("crds" in spec["install"]) is ships and ("crds" in spec["upgrade"]) is ships, app
        assert spec["install"]["remediation"] == {"retries": -1}


def test_no_crds_in_the_repo_keeps_todays_comments(tmp_path):
    from tests.conftest import flux_repo

    repo = flux_repo(tmp_path / "repo")
    the_plan, loaded = planned(repo, "cluster:\n  domain: example.com\n  node_count: 3\n  storage_class: local-path\n", tmp_path)
    assert loaded.answers.flux.crds_installed_by is None
    assert render.crd_lines(loaded.answers) == ["Prometheus Operator CRDs: none installed by the repo; kube-prometheus-stack "
                                                "installs and owns them (crds: CreateReplace keeps them at the operator version it runs)"]
    assert "until kube-prometheus-stack has installed them" in the_plan.rendered[f"{NS}/loki/ks.yaml"]


# --- order only where it is real ------------------------------------------------------------------------

def depends(text: str) -> list[str]:
    return [f"{d['namespace']}/{d['name']}" for d in docs(text)[0]["spec"].get("dependsOn") or []]


@pytest.mark.parametrize("name, store, storage", [
    ("2026", "external-secrets/onepassword-connect", "openebs-system/openebs"),
    ("2025", "external-secrets/onepassword", "openebs-system/openebs"),
    ("home-ops", "external-secrets/onepassword", "rook-ceph/rook-ceph-cluster"),
])
def test_store_and_storage_depends_on_pre_filled(name, store, storage, tmp_path):
    repo = ERAS[name](tmp_path / "repo")
    found = headless.discovery.discover(repo)
    assert found.suggestions()["flux"]["secret_store_dependency"] == store
    assert found.suggestions()["flux"]["storage_dependency"] == storage
    the_plan, loaded = planned(repo, ANSWERS[name], tmp_path)
    files = the_plan.rendered
    assert depends(files[f"{NS}/kube-prometheus-stack/ks.yaml"]) == [store, storage]
    assert depends(files[f"{NS}/loki/ks.yaml"]) == [storage]
    assert depends(files[f"{NS}/alloy/ks.yaml"]) == []
    for app in ("kube-prometheus-stack", "loki", "alloy"):  # issue 10: no obs-wizard app waits for another
        assert not any(d.startswith("observability/") for d in depends(files[f"{NS}/{app}/ks.yaml"]))
    assert render.order_lines(loaded.answers)[:2] == [
        f"order: kube-prometheus-stack dependsOn {store} (its ExternalSecrets read the ClusterSecretStore "
        f"{loaded.answers.secrets.store}), {storage} (its volumes use the StorageClass {loaded.answers.cluster.storage_class})",
        f"order: loki dependsOn {storage} (its volumes use the StorageClass {loaded.answers.cluster.storage_class})",
    ]


def test_an_explicit_answer_wins_over_the_pre_filled_dependency(tmp_path):
    repo = ERAS["2026"](tmp_path / "repo")
    the_plan, _ = planned(repo, "cluster:\n  node_count: 3\nflux:\n  storage_dependency: storage/other\n", tmp_path)
    assert depends(the_plan.rendered[f"{NS}/loki/ks.yaml"]) == ["storage/other"]


@pytest.mark.parametrize("flux, message", [
    ("storage_dependency: openebs", "storage_dependency 'openebs' must look like namespace/name"),
    ("storage_dependency: observability/loki", "flux.storage_dependency: observability/loki is an obs-wizard app; no obs-wizard "
                                                "app depends on another"),
    ("secret_store_dependency: external-secrets/external-secrets",
     "flux.secret_store_dependency: external-secrets/external-secrets applies the ClusterSecretStore other-store, not "
     "onepassword-connect; did you mean external-secrets/onepassword-connect?"),
])
def test_a_bad_dependency_answer_is_one_line_and_nothing_is_written(tmp_path, flux, message):
    repo = ERAS["2026"](tmp_path / "repo")
    write(repo, "kubernetes/apps/external-secrets/external-secrets/app/other-store.yaml",
          era_repos.store("other-store").replace("Homelab: 1", "Other: 2"))
    before = snapshot_tree(repo)
    path = tmp_path / "answers.yaml"
    path.write_text(f"cluster:\n  node_count: 3\nflux:\n  {flux}\n")
    result = run_cli("--answers", path, "--repo", repo, "--skip-secret-check")
    assert result.code == 2 and message in result.err, result
    assert snapshot_tree(repo) == before


# --- re-runs: never a rewrite for style -------------------------------------------------------------------

def write_old_style(repo: Path, tmp_path: Path, answers: str, monkeypatch) -> Path:
    """A first write by an earlier obs-wizard: obs-wizard's own style, no dialect in state.json, and none of the
    answers this version pre-fills (store/storage dependsOn, the CRDs installed by the repo)."""
    path = tmp_path / "answers.yaml"
    path.write_text(answers)
    with pytest.MonkeyPatch.context() as old:  # undone after this write only (not the test's hermetic environment)
        old.setattr(headless.discovery._dialect, "learn", lambda *a, **k: None)
        old.setattr(headless.discovery.Discovery, "suggestions", _old_suggestions)
        result = run_cli("--answers", path, "--repo", repo, "--skip-secret-check")
    assert result.code == 0, result
    assert "dialect" not in (repo / state.STATE_PATH).read_text()
    return path


_real_suggestions = headless.discovery.Discovery.suggestions


def _old_suggestions(self):
    out = _real_suggestions(self)
    for key in ("secret_store_dependency", "storage_dependency", "crds_installed_by"):
        out.get("flux", {}).pop(key, None)
    return out


def changed_lines(before: dict[str, bytes], after: dict[str, bytes]) -> dict[str, list[str]]:
    import difflib

    out = {}
    for rel in sorted(set(before) | set(after)):
        if rel.startswith(".obs-wizard/"):
            continue
        a, b = before.get(rel, b"").decode().splitlines(), after.get(rel, b"").decode().splitlines()
        if a != b:
            out[rel] = [line for line in difflib.unified_diff(a, b, lineterm="", n=0)
                        if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    return out


def test_a_rerun_over_old_style_files_changes_only_the_changed_answer(tmp_path, monkeypatch):
    repo = ERAS["2026"](tmp_path / "repo")
    answers = ("cluster:\n  node_count: 3\nlogs:\n  retention: 7d\nflux:\n  secret_store_dependency: external-secrets/onepassword-connect\n"
               "  storage_dependency: openebs-system/openebs\n  crds_installed_by: bootstrap/helmfile/crds.yaml\n")
    path = write_old_style(repo, tmp_path, answers, monkeypatch)
    written = snapshot_tree(repo)
    assert "# yaml-language-server" in written[f"{NS}/loki/ks.yaml"].decode()  # the old dialect, on disk
    path.write_text(answers.replace("retention: 7d", "retention: 14d"))
    result = run_cli("--answers", path, "--repo", repo, "--skip-secret-check")
    assert result.code == 0, result
    assert "repo: dialect: kept from the first write" in result.out
    changes = changed_lines(written, snapshot_tree(repo))
    # Loki's retention, and the self-monitoring alert that quotes it; nothing restyled, no other file touched.
    assert list(changes) == [f"{NS}/kube-prometheus-stack/app/helmrelease.yaml", f"{NS}/loki/app/helmrelease.yaml"], changes
    assert changes[f"{NS}/loki/app/helmrelease.yaml"] == ["-        retention_period: 168h", "+        retention_period: 336h"]
    kps = changes[f"{NS}/kube-prometheus-stack/app/helmrelease.yaml"]
    assert len(kps) == 2 and "7d" in kps[0] and kps[1] == kps[0].replace("7d", "14d").replace("-", "+", 1), kps


def test_a_rerun_over_old_style_files_adds_only_what_the_pre_filled_answers_change(tmp_path, monkeypatch):
    repo = ERAS["2026"](tmp_path / "repo")
    path = write_old_style(repo, tmp_path, "cluster:\n  node_count: 3\n", monkeypatch)
    written = snapshot_tree(repo)
    result = run_cli("--answers", path, "--repo", repo, "--skip-secret-check")
    assert result.code == 0, result
    changes = changed_lines(written, snapshot_tree(repo))
    assert set(changes) == {f"{NS}/{f}" for f in ("kube-prometheus-stack/ks.yaml", "loki/ks.yaml", "alloy/ks.yaml",
                                                   "loki/app/helmrelease.yaml", "alloy/app/helmrelease.yaml")}
    for rel, lines in changes.items():  # dependsOn entries and the comments made true; no key restyled
        for line in lines:
            assert re.match(r"^[+-](#|\s+#|  dependsOn:|    - name: |      namespace: )", line), (rel, line)
    after = snapshot_tree(repo)
    assert "# yaml-language-server" in after[f"{NS}/loki/ks.yaml"].decode() and "commonMetadata" in after[f"{NS}/loki/ks.yaml"].decode()
    again = run_cli("--answers", path, "--repo", repo, "--skip-secret-check")
    assert again.code == 0 and "nothing to do" in again.out and snapshot_tree(repo) == after


def test_a_rerun_of_a_learned_dialect_keeps_it_and_check_holds(tmp_path):
    repo = ERAS["2025"](tmp_path / "repo")
    path = tmp_path / "answers.yaml"
    path.write_text(ANSWERS["2025"])
    assert run_cli("--answers", path, "--repo", repo, "--skip-secret-check").code == 0
    recorded = state.load(repo)
    assert dialect_mod.Dialect.from_dict(recorded.dialect).schema == "fluxcd-community"
    # The repo's own apps change style later: the files obs-wizard wrote keep theirs.
    for ks in (repo / "kubernetes/apps").glob("*/*/ks.yaml"):
        if "observability" not in ks.parts:
            ks.write_text(re.sub(r"^# yaml-language-server.*\n", "", ks.read_text(), flags=re.M))
    written = snapshot_tree(repo)
    assert run_cli("--check", "--repo", repo).code == 0
    result = run_cli("--answers", path, "--repo", repo, "--skip-secret-check")
    assert result.code == 0 and snapshot_tree(repo) == written, result


def test_the_dialect_round_trips_through_state():
    learned = dialect_mod.Dialect(learned_from="default/echo", apps=3, schema=None, ks_keys=("interval", "path"),
                                  substitute_order=("name", "kind"), flow_hostnames=True)
    assert dialect_mod.Dialect.from_dict(learned.to_dict()) == learned
    assert dialect_mod.Dialect.from_dict({}) == dialect_mod.LEGACY and dialect_mod.Dialect.from_dict(None).legacy


# --- every era's render passes every check --------------------------------------------------------

def test_each_era_writes_and_passes_every_check(era, tmp_path, all_tools, crd_dir):
    name, repo = era
    path = tmp_path / "answers.yaml"
    path.write_text(ANSWERS[name])
    result = run_cli("--answers", path, "--repo", repo, "--skip-secret-check", "--crd-dir", crd_dir)
    assert result.code == 0, result
    assert all_checks_passed(result.out), result.out
    assert run_cli("--check", "--repo", repo).code == 0


def test_each_eras_files_are_stable_under_oxfmt(era, tmp_path):
    import shutil
    import subprocess

    from tests.conftest import need

    oxfmt = shutil.which("oxfmt")
    need(oxfmt is not None, "oxfmt is not installed (npm install oxfmt@0.79.0)")
    name, repo = era
    the_plan, _ = planned(repo, ANSWERS[name], tmp_path)
    out = tmp_path / "out"
    for rel, text in the_plan.rendered.items():
        if rel.startswith(NS):
            write(out, rel, text)
    (tmp_path / ".oxfmtrc.json").write_text('{"printWidth": 100}\n')  # cluster-template's setting
    before = {p: p.read_bytes() for p in out.rglob("*.yaml")}
    proc = subprocess.run([oxfmt, "-c", str(tmp_path / ".oxfmtrc.json"), str(out)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [str(p.relative_to(out)) for p, data in before.items() if p.read_bytes() != data] == []


def test_each_eras_files_pass_yamllint_with_the_cluster_template_style(era, tmp_path):
    import subprocess
    import sys

    from tests.conftest import need
    from tests.test_docs import CLUSTER_TEMPLATE_YAMLLINT

    try:
        import yamllint  # noqa: F401
    except ImportError:
        need(False, "yamllint is not installed (pip install yamllint)")
    name, repo = era
    the_plan, _ = planned(repo, ANSWERS[name], tmp_path)
    out = tmp_path / "out"
    for rel, text in the_plan.rendered.items():
        if rel.startswith(NS):
            write(out, rel, text)
    config = tmp_path / "yamllint.yaml"
    config.write_text(CLUSTER_TEMPLATE_YAMLLINT)
    proc = subprocess.run([sys.executable, "-m", "yamllint", "--strict", "-c", str(config), str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
