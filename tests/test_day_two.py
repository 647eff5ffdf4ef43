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
