"""``obs-wizard verify`` against tests/fake_kube.py's API server, through the real kubectl, with the real
Prometheus, Alertmanager and node-exporter behind its service proxy (tests/verify_cluster.py).

One platform is started for the module; each scenario gives the API server a healthy install with one thing
changed (a failing HelmRelease, a Pending PVC, a target down, a broken rule, Slack answering 500) and checks
that verify names it, with the object's own message, and exits 9; the healthy install exits 0 with both
targets measured; a cluster that cannot be reached is one line and exit 10.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import flux_repo
from tests.fake_kube import FakeKube, kubeconfig
from tests.test_alert_pipeline import stop_all, wait_for
from tests.verify_cluster import FAST_ANSWERS, NS, SHA, Platform, _ready, git_repo, healthy_objects, pvc, warning
from wizard import cli
from wizard.answers import answers_file
from wizard.validate import tools
from wizard.verify import gitref, run


def _need_tools():
    import shutil

    for tool in ("kubectl", "prometheus", "prometheus-alertmanager", "prometheus-node-exporter"):
        if shutil.which(tool) is None:
            if tools.strict():
                pytest.fail(f"OBS_WIZARD_STRICT_TOOLS=1 and {tool} is not on PATH")
            pytest.skip(f"{tool} is not on PATH (apt-get install prometheus prometheus-alertmanager prometheus-node-exporter)")


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    _need_tools()
    tmp = tmp_path_factory.mktemp("platform")
    answers = answers_file.parse(FAST_ANSWERS, "answers.yaml")
    processes: list[subprocess.Popen] = []
    started = None
    try:
        started = Platform(tmp, answers, processes)
        yield started
    finally:
        if started is not None:
            started.close()
        stop_all(processes)


@pytest.fixture
def repo(tmp_path):
    path = git_repo(flux_repo(tmp_path / "repo"))
    (path / ".obs-wizard").mkdir()
    (path / ".obs-wizard/answers.yaml").write_text(FAST_ANSWERS)
    return path


@pytest.fixture
def cluster(platform, repo, monkeypatch, tmp_path):
    platform.ship_node_logs()  # what Alloy does on each node
    with FakeKube(objects=healthy_objects(platform.answers), services=platform.services()) as kube:
        monkeypatch.setenv("KUBECONFIG", str(kubeconfig(tmp_path / "kubeconfig", kube.url, "home")))
        yield kube


def verify(repo: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["verify", "--repo", str(repo), *args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def outcomes(text: str) -> dict[str, dict]:
    return {c["check"]: c for c in json.loads(text)["checks"]}


@pytest.mark.slow
def test_all_healthy_passes_and_measures_both_targets(platform, cluster, repo):
    sent_before = len(platform.slack.payloads())
    code, out, err = verify(repo)
    print(out, err)
    assert code == 0, out + err
    for check in ("flux-kustomizations", "flux-helmreleases", "flux-revision", "volumes", "pods", "node-count",
                  "alloy-daemonset", "prometheus-ready", "scrape-targets", "rule-groups", "alertmanager-discovered",
                  "alertmanager-config", "test-alert", "loki-ready", "node-logs", "log-search", "grafana", "heartbeat",
                  "alloy-writes"):
        assert any(line.startswith(f"  passed  {check}") for line in out.splitlines()), f"{check} not passed:\n{out}"
    assert "FAILED" not in out and "skipped" not in out
    assert f"applied main@sha1:{SHA[:12]}, the repo's HEAD" in out
    assert "node-exporter 2/2" in out and "kubelet 2/2" in out and "alloy 2/2" in out
    assert "alert -> Slack:" in out and "measured delivery" in out and "the plan's target 3m: within" in out
    assert "targeted log search:" in out and "the plan's target 30s: within" in out
    assert "datasources answering: Prometheus, Loki" in out
    assert "no entry dropped and no push refused in the last 10m (2 Alloy targets)" in out
    assert "receivers slack, heartbeat loaded" in out and "Watchdog firing; " in out
    # The test alert reached "Slack", labelled as a test, severity info; the admin password never printed.
    new = platform.slack.payloads()[sent_before:]
    titles = [a["title"] for p in new for a in p["attachments"]]
    assert any("ObsWizardVerifyTest" in t for t in titles), titles
    assert any("*info* obs-wizard verify test alert" in a["text"] for p in new for a in p["attachments"])
    assert "s3cret-grafana-pw" not in out + err
    # The canary line is in the Loki stand-in, under its own job label.
    assert any(dict(key).get("job") == "obs-wizard-verify" for key in platform.loki.streams)
    # Read-only: the only POSTs through the API server were the test alert, the canary line and Grafana's login.
    posts = sorted({path.split("/proxy")[1].split("?")[0] for method, path in cluster.methods if method == "POST"})
    assert posts == ["/api/v2/alerts", "/login", "/loki/api/v1/push"]


@pytest.mark.slow
def test_json_report(platform, cluster, repo):
    code, out, _ = verify(repo, "--json", "--no-test-alert")
    assert code == 0
    report = json.loads(out)
    assert report["ok"] is True and report["context"] == "home" and report["namespace"] == NS
    checks = outcomes(out)
    assert checks["test-alert"]["status"] == "skipped" and "--no-test-alert" in checks["test-alert"]["reasons"][0]
    targets = {t["name"]: t for t in report["targets"]}
    assert "measured_delivery_seconds" not in targets["alert -> Slack"] and targets["alert -> Slack"]["target_seconds"] == 180
    assert targets["targeted log search"]["within"] is True


@pytest.mark.slow
def test_a_failing_helmrelease_is_shown_with_its_message_and_events(cluster, repo):
    message = "Helm install failed for release observability/loki with chart loki@18.11.0: context deadline exceeded"
    hr = cluster.get("HelmRelease", "loki", NS)
    hr["status"]["conditions"] = _ready("False", message, "InstallFailed")
    cluster.put(hr)
    cluster.put(warning("loki", "HelmRelease", "InstallFailed", "timed out waiting for the condition"))
    code, out, _ = verify(repo, "--no-test-alert")
    assert code == run.EXIT_FAILURES == 9, out
    line = next(line for line in out.splitlines() if "HelmRelease observability/loki" in line)
    assert message in line and "last Warning events: InstallFailed: timed out waiting for the condition" in line
    assert "flux reconcile helmrelease loki -n observability --force" in line
    assert "  FAILED  flux-helmreleases" in out and "verify FAILED: " in out


@pytest.mark.slow
def test_a_pending_pvc_fails(cluster, repo, platform):
    cluster.put(pvc("storage-loki-0", platform.answers.logs.pvc_size, "local-path", phase="Pending"))
    cluster.put(warning("storage-loki-0", "PersistentVolumeClaim", "ProvisioningFailed", 'storageclass.storage.k8s.io "local-path" not found'))
    code, out, _ = verify(repo, "--no-test-alert")
    assert code == 9
    line = next(line for line in out.splitlines() if "PersistentVolumeClaim observability/storage-loki-0" in line)
    assert "is Pending, not Bound" in line and "ProvisioningFailed" in line


@pytest.mark.slow
def test_a_revision_behind_head_fails(cluster, repo):
    git_repo(repo, "a" * 40)
    code, out, _ = verify(repo, "--no-test-alert")
    assert code == 9
    assert f"applied revision main@sha1:{SHA} is not the repo's HEAD main@sha1:aaaaaaaaaaaa" in out


@pytest.mark.slow
def test_a_scrape_target_down_fails(cluster, repo, platform):
    platform.ksm.status = 500
    try:
        platform.wait_scraped("kube-state-metrics", "down")
        code, out, _ = verify(repo, "--no-test-alert")
    finally:
        platform.ksm.status = 200
        platform.wait_scraped("kube-state-metrics", "up")
    assert code == 9
    line = next(line for line in out.splitlines() if "[scrape-targets]" in line)
    assert "job kube-state-metrics target" in line and "is down" in line and "500" in line


@pytest.mark.slow
def test_an_unhealthy_rule_fails(cluster, repo, platform):
    platform.ksm.text += 'verify_fixture_dup{copy="b"} 1\n'
    try:
        wait_for(lambda: platform.rule_health("verify.fixture") == "err", 30, "the rule to fail")
        code, out, _ = verify(repo, "--no-test-alert")
    finally:
        platform.ksm.text = platform.ksm.text.replace('verify_fixture_dup{copy="b"} 1\n', "")
        wait_for(lambda: platform.rule_health("verify.fixture") == "ok", 30, "the rule to heal")
    assert code == 9
    line = next(line for line in out.splitlines() if "[rule-groups]" in line)
    assert "rule verify:fixture in group verify.fixture is err:" in line and "many-to-many" in line or "duplicate" in line


@pytest.mark.slow
def test_a_node_without_log_lines_fails(cluster, repo, platform):
    platform.forget_node_logs("node-b")
    code, out, _ = verify(repo, "--no-test-alert")
    assert code == 9
    line = next(line for line in out.splitlines() if "[node-logs]" in line)
    assert "Node node-b: no log line from node node-b in the last 5 minutes" in line
    assert "node-a" not in line


@pytest.mark.slow
def test_slack_answering_500_reports_the_test_alert_undelivered(cluster, repo, platform):
    platform.slack.status = 500
    try:
        code, out, _ = verify(repo, "--json")
    finally:
        platform.slack.status = 200
    assert code == 9
    test = outcomes(out)["test-alert"]
    assert test["status"] == "failed"
    finding = next(f for f in json.loads(out)["findings"] if f["check"] == "test-alert")
    assert "NOT delivered: Slack refused" in finding["message"]
    alert = {t["name"]: t for t in json.loads(out)["targets"]}["alert -> Slack"]
    assert "measured_delivery_seconds" not in alert  # nothing measured is claimed


@pytest.mark.slow
def test_a_failing_heartbeat_fails(cluster, repo, platform):
    platform.heartbeat.status = 500
    try:
        failed_before = len(platform.heartbeat.stub.requests)
        wait_for(lambda: len(platform.heartbeat.stub.requests) > failed_before, 30, "a refused ping")
        code, out, _ = verify(repo, "--no-test-alert")
    finally:
        platform.heartbeat.status = 200
        seen = len(platform.heartbeat.stub.requests)
        wait_for(lambda: len(platform.heartbeat.stub.requests) > seen, 60, "a ping after the heartbeat service is back")
    assert code == 9
    line = next(line for line in out.splitlines() if "[heartbeat]" in line)
    assert "the heartbeat webhook failed" in line and "during this run's" in line


@pytest.mark.slow
def test_wait_polls_until_flux_is_ready(cluster, repo, monkeypatch):
    monkeypatch.setattr(run, "POLL_SECONDS", 1.0)
    hr = cluster.get("HelmRelease", "alloy", NS)
    healthy = json.loads(json.dumps(hr))
    hr["status"]["conditions"] = _ready("False", "Running 'install' action with timeout of 10m0s", "Progressing")
    cluster.put(hr)
    path = f"/apis/helm.toolkit.fluxcd.io/v2/namespaces/{NS}/helmreleases?"

    def heal():  # once verify has seen it failing: Flux finishes the install
        wait_for(lambda: any(r.startswith(path) for r in cluster.requests), 60, "verify to read the HelmRelease", step=0.1)
        cluster.put(healthy)

    threading.Thread(target=heal, daemon=True).start()
    code, out, err = verify(repo, "--wait", "1m", "--no-test-alert")
    assert code == 0, out + err
    assert "verify: waiting (1): " in err and "failing: flux-helmreleases" in err and "s of --wait left" in err


def test_an_unreachable_cluster_is_one_line_and_exit_10(repo, monkeypatch, tmp_path):
    _need_tools()
    from tests.test_alert_pipeline import free_port

    monkeypatch.setenv("KUBECONFIG", str(kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{free_port()}", "gone")))
    code, out, err = verify(repo)
    assert code == 10
    assert out == "" and len(err.splitlines()) == 1
    assert err.startswith("obs-wizard: the cluster of kubectl context gone cannot be reached: ")


def test_no_context_is_one_line_and_exit_10(repo):
    _need_tools()
    code, out, err = verify(repo)  # conftest's KUBECONFIG names no file
    assert code == 10 and len(err.splitlines()) == 1 and "no current context" in err


def test_a_bad_wait_is_bad_input(repo):
    code, _, err = verify(repo, "--wait", "soon")
    assert code == 2 and "--wait soon" in err


def test_head_is_read_from_git_files_only(tmp_path):
    repo = git_repo(tmp_path)
    assert gitref.head(repo) == ("main", SHA)
    (repo / ".git/refs/heads/main").unlink()
    (repo / ".git/packed-refs").write_text(f"# pack-refs with: peeled\n{'b' * 40} refs/heads/main\n")
    assert gitref.head(repo) == ("main", "b" * 40)
    (repo / ".git/HEAD").write_text("ref: refs/heads/../../../etc/passwd\n")
    assert gitref.head(repo) == (None, None)
    assert gitref.head(tmp_path / "nowhere") == (None, None)


def test_the_command_line_documents_verify_and_its_exit_codes():
    assert "obs-wizard verify" in cli.EPILOG
    assert "  9  verify: a check on the cluster failed" in cli.EPILOG and "  10 verify: the cluster cannot be reached" in cli.EPILOG
    done = subprocess.run([sys.executable, "-m", "wizard", "verify", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "--no-test-alert" in done.stdout and "--context NAME" in done.stdout


def test_the_plain_prompts_end_with_the_verify_command(tmp_path):
    """After the write, the plain front end prints the command that checks it on the cluster."""
    from tests.test_plain import CLUSTER, WRITE, keystrokes, run_plain

    home = flux_repo(tmp_path / "home ops")
    code, out = run_plain(home, keystrokes(CLUSTER, WRITE))
    assert code == 0, out
    done = out.split("done: ", 1)[1]
    assert f"obs-wizard verify --repo '{home}' --wait 10m" in done


def test_a_cluster_that_never_answers_times_out_per_request(repo, monkeypatch, tmp_path):
    """A black hole behind the API server's address: the per-request timeout ends it, one line, exit 10."""
    _need_tools()
    from tests.fake_kube import Silent

    monkeypatch.setenv("OBS_WIZARD_KUBECTL_TIMEOUT", "1")
    with Silent() as hole:
        monkeypatch.setenv("KUBECONFIG", str(kubeconfig(tmp_path / "kubeconfig", hole.url, "hole")))
        code, out, err = verify(repo)
    assert code == 10 and out == "" and len(err.splitlines()) == 1
    assert "the cluster of kubectl context hole cannot be reached" in err


@pytest.mark.slow
def test_context_picks_the_cluster(cluster, repo, monkeypatch, tmp_path):
    """--context NAME reaches that context's cluster though the current context is another, dead one."""
    import yaml

    from tests.test_alert_pipeline import free_port

    config = yaml.safe_load(kubeconfig(tmp_path / "two", cluster.url, "home").read_text())
    config["clusters"].append({"name": "old", "cluster": {"server": f"http://127.0.0.1:{free_port()}"}})
    config["contexts"].append({"name": "old", "context": {"cluster": "old", "user": "home"}})
    config["current-context"] = "old"
    (tmp_path / "two").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "two"))
    code, _, err = verify(repo, "--no-test-alert")
    assert code == 10 and "context old cannot be reached" in err
    code, out, _ = verify(repo, "--no-test-alert", "--context", "home", "--json")
    assert code == 0 and json.loads(out)["context"] == "home"
