"""Day two (issue 19): the gate stays green and true while the repo lives on (Renovate bumps, pre-commit,
hand-added resources, re-runs)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import flux_repo, run_cli, snapshot_tree
from tests.fake_connect import FakeConnect, Vault, login_item, secure_note

TOKEN = "eyJhbGciOiJFUzI1NiJ9.day-two-connect-token"
WEBHOOK = "https://hooks.slack.com/services/T0FAKEFAK/B0FAKEFAK/abcdefghijklmnopqrstuvwx"
NS = "kubernetes/apps/observability"


def write(repo: Path, rel: str, text: str) -> None:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def sops_domain_repo(path: Path) -> Path:
    """A Flux repo keeping its domain out of git: ${SECRET_DOMAIN} from a SOPS Secret cluster-secrets."""
    flux_repo(path)
    write(path, "kubernetes/components/sops/kustomization.yaml",
          "---\napiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - ./cluster-secrets.sops.yaml\n")
    write(path, "kubernetes/components/sops/cluster-secrets.sops.yaml",
          "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-secrets\nstringData:\n"
          "  SECRET_DOMAIN: ENC[AES256_GCM,data:abc,type:str]\n")
    return path


# --- 19.3: check-secrets reads the repo like every other command ---------------------------------------

def test_check_secrets_reads_the_repo_so_a_sops_domain_needs_no_cluster_domain(tmp_path, monkeypatch):
    repo = sops_domain_repo(tmp_path / "repo")
    answers = tmp_path / "answers.yaml"
    answers.write_text("cluster:\n  node_count: 3\n")  # no domain: the repo keeps it in SOPS
    vault = Vault("Kubernetes", [login_item("grafana", "admin", "pw-0123456789"),
                                 secure_note("alertmanager", SLACK_WEBHOOK_URL=WEBHOOK)])
    before = snapshot_tree(repo)
    with FakeConnect([vault], TOKEN) as server:
        monkeypatch.setenv("OP_CONNECT_HOST", server.url)
        monkeypatch.setenv("OP_CONNECT_TOKEN", TOKEN)
        monkeypatch.setenv("OBS_WIZARD_CONNECT_TIMEOUT", "2")
        checked = run_cli("check-secrets", "--answers", answers, "--repo", repo)
        # the same answers are what a dry run accepts: one reading of the file
        planned = run_cli("--answers", answers, "--repo", repo, "--dry-run", "--skip-secret-check")
    assert checked.code == 0, checked
    assert "secret check: passed" in checked.out
    assert "cluster.domain" not in checked.err
    assert planned.code in (0, 3), planned  # 3 only if a tool is missing; never 2 (bad input)
    assert snapshot_tree(repo) == before  # check-secrets writes nothing


def test_check_secrets_refuses_what_a_write_refuses(tmp_path, monkeypatch):
    """A literal domain in a SOPS-domain repo is refused by both, with the same line."""
    repo = sops_domain_repo(tmp_path / "repo")
    answers = tmp_path / "answers.yaml"
    answers.write_text("cluster:\n  node_count: 3\n  domain: example.com\n")
    monkeypatch.setenv("OP_CONNECT_HOST", "http://127.0.0.1:9")
    monkeypatch.setenv("OP_CONNECT_TOKEN", TOKEN)
    checked = run_cli("check-secrets", "--answers", answers, "--repo", repo)
    written = run_cli("--answers", answers, "--repo", repo, "--skip-secret-check")
    assert checked.code == written.code == 2, (checked, written)
    line = "cluster.domain: this repo keeps its domain out of git"
    assert line in checked.err and line in written.err


# --- 19.4: every custom resource in the app folders is checked, the operator's own included --------------

from tests.conftest import EXAMPLE_ANSWERS, MINIMAL_ANSWERS, SHARED, need  # noqa: E402
from wizard.answers import answers_file  # noqa: E402

KPS_APP = f"{NS}/kube-prometheus-stack/app"

SCRAPE_CONFIG = """\
---
apiVersion: monitoring.coreos.com/v1alpha1
kind: ScrapeConfig
metadata:
  name: node-exporter-nas
spec:
  {field}:
    - targets: ["nas.lan:9100"]
  metricsPath: /metrics
"""

UNKNOWN_KIND = """\
---
apiVersion: example.org/v1
kind: Widget
metadata:
  name: gadget
spec:
  size: 3
"""


def written_repo(tmp_path: Path) -> Path:
    """A Flux repo obs-wizard has written the example answers into."""
    repo = flux_repo(tmp_path / "repo")
    result = run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check")
    need(result.code == 0, f"the first write needs every tool and ../shared data: {result.err[-300:]}")
    return repo


def add_resource(repo: Path, name: str, text: str) -> None:
    write(repo, f"{KPS_APP}/{name}", text)
    kustomization = repo / KPS_APP / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("  - ./ocirepository.yaml\n",
                                                               f"  - ./ocirepository.yaml\n  - ./{name}\n"))


def test_a_hand_added_scrape_config_is_checked_and_counted(tmp_path):
    need((SHARED / "charts-src").is_dir(), "../shared/charts-src (the kube-prometheus-stack chart carries the ScrapeConfig CRD)")
    repo = written_repo(tmp_path)
    add_resource(repo, "scrapeconfig.yaml", SCRAPE_CONFIG.format(field="staticConfigs"))
    good = run_cli("validate", "--repo", repo)
    assert "crd-schema" in good.out
    line = next(x for x in good.out.splitlines() if "crd-schema (" in x)
    assert line.lstrip().startswith("passed"), good.out
    assert "added by you: ScrapeConfig/node-exporter-nas" in line
    assert "ScrapeConfig from the kube-prometheus-stack 88.5.3 chart" in line

    add_resource(repo, "scrapeconfig.yaml", SCRAPE_CONFIG.format(field="staticConfig"))  # misspelt
    bad = run_cli("validate", "--repo", repo)
    assert bad.code == 3, bad
    assert (f"error: [crd-schema] {KPS_APP}/scrapeconfig.yaml: ScrapeConfig/node-exporter-nas (document 1): spec: "
            "unknown field 'staticConfig'") in bad.out, bad.out


def test_a_kind_no_source_knows_is_named_as_not_checked_never_passed(tmp_path, monkeypatch, crd_dir):
    monkeypatch.delenv("OBS_WIZARD_STRICT_TOOLS", raising=False)  # a skip must stay a skip here (CI sets it)
    repo = written_repo(tmp_path)
    add_resource(repo, "widget.yaml", UNKNOWN_KIND)
    result = run_cli("validate", "--repo", repo)
    line = next(x for x in result.out.splitlines() if "crd-schema" in x and "Widget" in x)
    assert line.lstrip().startswith("skipped"), result.out
    assert f"not checked: Widget/gadget ({KPS_APP}/widget.yaml)" in line
    assert "passed  crd-schema" not in result.out
    strict = run_cli("validate", "--repo", repo, "--strict")
    assert strict.code == 3 and "Widget/gadget" in strict.out


def test_a_hand_added_dashboard_config_map_is_checked(tmp_path, crd_dir):
    repo = written_repo(tmp_path)
    add_resource(repo, "dashboard.yaml", "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: my-dashboard\n"
                                         "  labels:\n    grafana_dashboard: \"1\"\ndata:\n  my.json: \"{}\"\n")
    result = run_cli("validate", "--repo", repo)
    line = next(x for x in result.out.splitlines() if "crd-schema (" in x)
    assert line.lstrip().startswith("passed") and "added by you: ConfigMap/my-dashboard" in line, result.out


# --- 19.5: the HTTPRoute against the Gateway listener it names -----------------------------------------

from wizard.validate.gateway_route import hostname_matches  # noqa: E402

ENVOY_GATEWAY = """\
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: envoy-internal
  namespace: network
spec:
  gatewayClassName: envoy
  listeners:
    - name: http
      protocol: HTTP
      port: 80
      hostname: "*.${SECRET_DOMAIN}"
      allowedRoutes:
        namespaces:
          from: Same
    - name: https
      protocol: HTTPS
      port: 443
      hostname: "*.${SECRET_DOMAIN}"
      allowedRoutes:
        namespaces:
          from: All
"""


def envoy_repo(path: Path) -> Path:
    """The 2026 cluster-template: an envoy Gateway whose listeners take *.${SECRET_DOMAIN}, domain in SOPS."""
    sops_domain_repo(path)
    (path / "kubernetes/apps/kube-system/cilium/gateway/internal.yaml").unlink()
    write(path, "kubernetes/apps/network/envoy-gateway/app/envoy.yaml", ENVOY_GATEWAY)
    return path


GATEWAY_ANSWERS = "cluster:\n  node_count: 3\ngrafana:\n  gateway_name: envoy-internal\n  gateway_namespace: network\n"


def gate(repo: Path, tmp_path: Path, answers: str) -> tuple[object, list[str]]:
    path = tmp_path / "answers.yaml"
    path.write_text(answers)
    result = run_cli("validate", "--answers", path, "--repo", repo)
    return result, [x for x in result.out.splitlines() if "gateway-route" in x and x.startswith("  ")]


def test_hostname_matching_follows_the_gateway_api():
    assert hostname_matches("grafana.example.com", "*.example.com")
    assert hostname_matches("a.b.example.com", "*.example.com")
    assert not hostname_matches("example.com", "*.example.com")
    assert not hostname_matches("grafana.other.org", "*.example.com")
    assert hostname_matches("*.example.com", "grafana.example.com")
    assert hostname_matches("anything.org", None)


def test_the_route_on_the_variable_domain_attaches(tmp_path):
    repo = envoy_repo(tmp_path / "repo")
    result, lines = gate(repo, tmp_path, GATEWAY_ANSWERS + "  gateway_section: https\n")
    assert lines == ["  passed  gateway-route"], result


def test_a_hostname_the_listener_does_not_accept_fails(tmp_path):
    repo = envoy_repo(tmp_path / "repo")
    result, lines = gate(repo, tmp_path, GATEWAY_ANSWERS + "  hostname: grafana.other.org\n")
    assert result.code == 3, result
    assert (f"error: [gateway-route] {KPS_APP}/httproute.yaml: HTTPRoute/grafana (document 1): spec.hostnames: would not "
            "attach to the Gateway network/envoy-internal (kubernetes/apps/network/envoy-gateway/app/envoy.yaml): listener "
            "https: none of the route's hostnames (grafana.other.org) matches its hostname *.${SECRET_DOMAIN} (Flux substitutes") in result.out, result.out


def test_a_parent_ref_section_that_does_not_exist_fails(tmp_path):
    repo = envoy_repo(tmp_path / "repo")
    result = run_cli("--answers", EXAMPLE_ANSWERS, "--repo", flux_repo(tmp_path / "plain"), "--skip-secret-check")
    need(result.code == 0, f"the first write needs every tool: {result.err[-300:]}")
    path = tmp_path / "answers.yaml"
    path.write_text(GATEWAY_ANSWERS)
    assert run_cli("--answers", path, "--repo", repo, "--skip-secret-check").code == 0
    route = repo / KPS_APP / "httproute.yaml"
    route.write_text(route.read_text().replace("sectionName: https", "sectionName: websecure"))  # a hand edit
    result = run_cli("validate", "--repo", repo)
    assert result.code == 3, result
    assert ("HTTPRoute/grafana (document 1): spec.parentRefs[0].sectionName: sectionName 'websecure': the Gateway "
            "network/envoy-internal (kubernetes/apps/network/envoy-gateway/app/envoy.yaml) has no such listener "
            "(its listeners: http, https)") in result.out, result.out


def test_a_listener_that_admits_only_its_own_namespace_fails(tmp_path):
    repo = envoy_repo(tmp_path / "repo")
    result, lines = gate(repo, tmp_path, GATEWAY_ANSWERS + "  gateway_section: http\n")
    assert result.code == 3, result
    assert "listener http: its allowedRoutes admit routes from its own namespace network only (namespaces.from: Same), " \
           "not from observability" in result.out


# --- 19.6: true messages ----------------------------------------------------------------------------------

import json  # noqa: E402

from wizard.render import render  # noqa: E402
from wizard.validate import validate_files  # noqa: E402


def test_offline_each_missing_chart_default_names_its_own_source(monkeypatch, tmp_path):
    monkeypatch.delenv("OBS_WIZARD_STRICT_TOOLS", raising=False)  # a skip must stay a skip here (CI sets it)
    for name in ("OBS_WIZARD_CHARTS_DIR", "OBS_WIZARD_CHARTS_SRC"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    answers = answers_file.load(EXAMPLE_ANSWERS)
    report = validate_files(render.render(answers), repo=None, crd_dir=None, answers=answers)
    reasons = {f.document: f.message for f in report.skipped if f.check == "chart-values"}
    base = "http://127.0.0.1:9"  # the closed port conftest points downloads at
    for chart, version in (("kube-prometheus-stack", "88.5.3"), ("loki", "18.11.0"), ("alloy", "1.11.1")):
        reason = reasons[f"HelmRelease/{chart}"]
        assert f"could not download {base}/charts/{chart}-{version}/" in reason, reason
        assert "notification" not in reason and "crds/" not in reason  # never another file's failure
    crd = next(f.message for f in report.skipped if f.check == "crd-schema")
    assert f"{base}/crds/" in crd


def test_the_summary_names_the_skipped_checks_without_their_reasons(tmp_path, monkeypatch):
    monkeypatch.delenv("OBS_WIZARD_STRICT_TOOLS", raising=False)  # a skip must stay a skip here (CI sets it)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no kubectl, promtool, amtool
    result = run_cli("validate", "--answers", EXAMPLE_ANSWERS, "--repo", flux_repo(tmp_path / "repo"))
    assert result.code == 0, result
    summary = result.out.splitlines()[-1]
    assert summary.startswith("validation: ") and "skipped (" in summary and "promtool" in summary
    assert "remedy" not in summary and "not found" not in summary and len(summary) < 300
    assert "  skipped promtool: promtool not found" in result.out  # the reason, once, on its own line


def test_init_answers_points_at_the_schema_only_once_it_exists(tmp_path):
    repo = flux_repo(tmp_path / "repo")
    assert run_cli("--init-answers", "--repo", repo).code == 0
    text = (repo / ".obs-wizard/answers.yaml").read_text()
    assert not (repo / ".obs-wizard/answers.schema.json").exists()
    assert "$schema=" not in text and "The first write puts answers.schema.json beside this file" in text
    (repo / ".obs-wizard/answers.schema.json").write_text(run_cli("schema").out)
    assert run_cli("--init-answers", "--repo", repo, "--answers", repo / ".obs-wizard/other.yaml").code == 0
    assert (repo / ".obs-wizard/other.yaml").read_text().startswith("# yaml-language-server: $schema=./answers.schema.json\n")
    elsewhere = tmp_path / "elsewhere.yaml"
    assert run_cli("--init-answers", "--repo", repo, "--answers", elsewhere).code == 0
    assert "schema.json" not in elsewhere.read_text()


def test_a_dry_run_counts_what_the_write_then_does(tmp_path):
    repo = flux_repo(tmp_path / "repo")
    assert run_cli("--init-answers", "--repo", repo).code == 0  # .obs-wizard/ exists, its .gitignore not yet
    answers = repo / ".obs-wizard/answers.yaml"
    answers.write_text(answers.read_text().replace("cluster:\n", "cluster:\n  node_count: 3\n  domain: example.com\n", 1))
    dry = run_cli("--answers", answers, "--repo", repo, "--dry-run", "--skip-secret-check")
    assert dry.code in (0, 3), dry
    need(dry.code == 0, f"the write needs every tool: {dry.out[-300:]}")
    wet = run_cli("--answers", answers, "--repo", repo, "--skip-secret-check")
    assert wet.code == 0, wet

    def plan_line(out: str) -> str:
        return next(line for line in out.splitlines() if line.startswith("plan: "))

    assert plan_line(dry.out) == plan_line(wet.out) == "plan: 20 create"
    assert "wrote 20 file(s)" in wet.out
    assert "  create    .obs-wizard/.gitignore" in wet.out


def test_one_figure_for_one_disk_need(tmp_path):
    from wizard.render import sizing

    answers = answers_file.parse(MINIMAL_ANSWERS + "metrics:\n  pvc_size: 10Gi\n  retention: 90d\n", "a.yaml")
    disk = sizing.prometheus_disk(answers)
    summary, warning = sizing.summary(answers)[0], sizing.warnings(answers)[0]
    data = f"~{sizing.gib_text(disk.bytes_needed)}"
    assert f"Prometheus disk: {data} for 90d" in summary
    # the volume figure is said to be that same data plus the free space, not a second estimate of it
    assert f"estimated need of {sizing.gib_text(disk.pvc_recommended_bytes)} (the {data} of data for 90d plus 15% free space" in warning


def test_a_rerun_names_the_kept_edits_and_the_chart_version_on_disk(tmp_path, monkeypatch):
    monkeypatch.delenv("OBS_WIZARD_STRICT_TOOLS", raising=False)  # a skip must stay a skip here (CI sets it)
    repo = written_repo(tmp_path)
    release = repo / NS / "loki/app/helmrelease.yaml"
    release.write_text(release.read_text().replace("interval: 1h", "interval: 2h", 1))
    oci = repo / NS / "alloy/app/ocirepository.yaml"
    oci.write_text(oci.read_text().replace("tag: 1.11.1", "tag: 1.12.0"))  # Renovate
    again = run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check")
    assert again.code == 0, again
    assert f"{NS}/loki/app/helmrelease.yaml  (three-way merge; kept your edits: spec.interval)" in again.out, again.out
    assert (f"{NS}/alloy/app/ocirepository.yaml  (three-way merge; kept your edits: spec.ref.tag; keeps the chart version "
            "1.12.0 on disk (a Renovate bump?), not 1.11.1 that obs-wizard pins; set charts.alloy to choose one)") in again.out
    recorded = json.loads((repo / ".obs-wizard/state.json").read_text())
    assert recorded["charts_on_disk"] == {"alloy": "1.12.0"}  # what is on disk, beside the answers' own pin
    assert recorded["answers"].get("charts", {}).get("alloy") in (None, "1.11.1")
    assert "tag: 1.12.0" in oci.read_text()
    third = run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check", "--dry-run")
    assert third.code == 0, third
    assert "plan: " in third.out and "create" not in next(x for x in third.out.splitlines() if x.startswith("plan: "))
    assert "CONFLICT" not in third.out and "tag: 1.12.0" in oci.read_text()


# --- 19.7: the written JSON is what the repo's oxfmt leaves ----------------------------------------------

import shutil  # noqa: E402
import subprocess  # noqa: E402

from wizard.repo.state import State  # noqa: E402


def oxfmt_check(folder: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    oxfmt = shutil.which("oxfmt")
    need(oxfmt is not None, "oxfmt is not installed (npm install oxfmt@0.79.0)")
    config = cwd / ".oxfmtrc.json"
    config.write_text('{\n  "printWidth": 100\n}\n')  # cluster-template's setting
    return subprocess.run([oxfmt, "--check", "-c", str(config), str(folder)], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_oxfmt_leaves_the_written_json_unchanged(tmp_path):
    repo = written_repo(tmp_path)
    assert (repo / ".obs-wizard/answers.schema.json").is_file() and (repo / ".obs-wizard/state.json").is_file()
    proc = oxfmt_check(repo / ".obs-wizard", repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_oxfmt_leaves_a_state_with_lists_unchanged(tmp_path):
    """Lists short and long, as state.json holds them (components, files)."""
    state = State(answers={"flux": {"namespace_components": ["../../components/sops"],
                                    "long": [f"../../components/{'x' * 30}-{n}" for n in range(3)], "none": []}},
                  files={f"kubernetes/apps/observability/{'a' * 60}/app/{n}.yaml": "sha256:" + "0" * 64 for n in range(2)})
    (tmp_path / "json").mkdir()
    (tmp_path / "json/state.json").write_text(state.to_text())
    proc = oxfmt_check(tmp_path / "json", tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- 19.2: the pre-commit hooks pass as documented --------------------------------------------------------

import os  # noqa: E402
import sys  # noqa: E402
import tomllib  # noqa: E402

import pytest  # noqa: E402
import yaml  # noqa: E402

from tests.conftest import ROOT  # noqa: E402


def hooks() -> dict[str, dict]:
    return {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}


def test_the_python_hooks_bring_the_helm_extra():
    helm = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["helm"]
    for hook_id in ("obs-wizard-check", "obs-wizard-validate", "obs-wizard-validate-lenient"):
        hook = hooks()[hook_id]
        assert hook["language"] == "python" and hook["additional_dependencies"] == helm, hook_id
    assert hooks()["obs-wizard-validate-system"]["language"] == "system"
    readme = (ROOT / "README.md").read_text()
    for needed in ("`kubectl`", "`promtool`", "`amtool`", "obs-wizard-validate-lenient", "obs-wizard-validate-system",
                   "actions/cache", "~/.cache/obs-wizard", "validate --strict"):
        assert needed in readme, needed


def hook_repo(tmp_path: Path) -> Path:
    """A repo obs-wizard wrote, in git (pre-commit checks the files git tracks)."""
    repo = written_repo(tmp_path)
    git = ["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True, timeout=60)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True, timeout=60)
    return repo


def break_a_wire(repo: Path) -> None:
    """The HTTPRoute sends Grafana's traffic to a port its Service does not have."""
    route = repo / KPS_APP / "httproute.yaml"
    route.write_text(route.read_text().replace("port: 80\n", "port: 8080\n"))
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, timeout=60)


def try_repo(repo: Path, hook_id: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    pre_commit = shutil.which("pre-commit")
    need(pre_commit is not None, "pre-commit is not installed (pip install -e '.[test]')")
    return subprocess.run([pre_commit, "try-repo", str(ROOT), hook_id, "--all-files"], cwd=repo, capture_output=True,
                          text=True, timeout=900, env=env)


def test_the_system_hook_passes_on_a_written_repo_and_fails_on_a_broken_wire(tmp_path, all_tools, charts_src):
    """Offline: `language: system` runs the obs-wizard on PATH (here this checkout) and installs nothing."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "obs-wizard").write_text(f"#!/bin/sh\nexec {sys.executable} -m wizard \"$@\"\n")
    (bin_dir / "obs-wizard").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(ROOT),
           "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    repo = hook_repo(tmp_path)
    passed = try_repo(repo, "obs-wizard-validate-system", env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
    break_a_wire(repo)
    failed = try_repo(repo, "obs-wizard-validate-system", env)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Failed" in failed.stdout and "wiring-httproute" in failed.stdout and "8080" in failed.stdout


@pytest.mark.slow
def test_the_python_hook_builds_its_env_and_passes_then_fails_on_a_broken_wire(tmp_path, all_tools, charts_src):
    """`language: python`: pre-commit installs obs-wizard from this checkout with the Helm SDK; that needs a
    package index (the network), so without one this test says so instead of passing."""
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("PYTHONPATH", None)  # the hook's own environment, not this checkout's path
    repo = hook_repo(tmp_path)
    passed = try_repo(repo, "obs-wizard-validate", env)
    if passed.returncode != 0 and "An unexpected error has occurred" in passed.stdout + passed.stderr:
        need(False, f"pre-commit could not build the hook's environment (no package index?): {passed.stdout[-400:]}")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    break_a_wire(repo)
    failed = try_repo(repo, "obs-wizard-validate", env)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "wiring-httproute" in failed.stdout and "8080" in failed.stdout


def test_a_hand_added_sops_secret_is_checked_as_flux_applies_it(tmp_path, crd_dir):
    """Flux decrypts a *.sops.yaml before applying it: its sops metadata and encrypted values are not schema errors."""
    repo = written_repo(tmp_path)
    add_resource(repo, "secret.sops.yaml", "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: extra\ntype: Opaque\n"
                                           "stringData:\n  token: ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]\n"
                                           "sops:\n  lastmodified: \"2026-01-01T00:00:00Z\"\n  version: 3.10.2\n")
    result = run_cli("validate", "--repo", repo)
    line = next(x for x in result.out.splitlines() if "crd-schema (" in x)
    assert line.lstrip().startswith("passed") and "added by you: Secret/extra" in line, result.out
    add_resource(repo, "secret.sops.yaml", "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: extra\n"
                                           "stringdata:\n  token: ENC[AES256_GCM,data:abc,type:str]\nsops:\n  version: 3.10.2\n")
    bad = run_cli("validate", "--repo", repo)
    assert bad.code == 3 and "Secret/extra (document 1): (document): unknown field 'stringdata'" in bad.out, bad.out


def test_a_kept_renovate_bump_stays_over_reruns_when_the_answers_pin_the_same_version(tmp_path, monkeypatch):
    """The answers name alloy 1.11.1 as they always did: that is not a choice made now, so the bump stays."""
    monkeypatch.delenv("OBS_WIZARD_STRICT_TOOLS", raising=False)  # a skip must stay a skip here (CI sets it)
    repo = flux_repo(tmp_path / "repo")
    answers = tmp_path / "answers.yaml"
    answers.write_text(EXAMPLE_ANSWERS.read_text() + "charts:\n  alloy: 1.11.1\n")
    first = run_cli("--answers", answers, "--repo", repo, "--skip-secret-check")
    need(first.code == 0, f"the first write needs every tool: {first.err[-300:]}")
    oci = repo / NS / "alloy/app/ocirepository.yaml"
    oci.write_text(oci.read_text().replace("tag: 1.11.1", "tag: 1.12.0"))  # Renovate
    for _ in range(2):
        again = run_cli("--answers", answers, "--repo", repo, "--skip-secret-check")
        assert again.code == 0, again
        assert "tag: 1.12.0" in oci.read_text()
    answers.write_text(EXAMPLE_ANSWERS.read_text() + "charts:\n  alloy: 1.11.2\n")  # now chosen on purpose
    chosen = run_cli("--answers", answers, "--repo", repo, "--skip-secret-check")
    assert "tag: 1.11.2" in oci.read_text(), chosen
