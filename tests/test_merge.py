"""The structural three-way merge: the realistic re-run cases, and properties (hypothesis)."""

from __future__ import annotations

import difflib

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import EXAMPLE_ANSWERS, ROOT, flux_repo, run_cli, snapshot_tree
from wizard.answers import answers_file
from wizard.render import render
from wizard.repo.merge import UNKNOWN, Conflict, merge_texts

NS = "kubernetes/apps/observability"


def rendered(extra_replace: tuple[str, str] | None = None) -> dict[str, str]:
    text = EXAMPLE_ANSWERS.read_text()
    if extra_replace:
        text = text.replace(*extra_replace)
    return render.render(answers_file.parse(text, "answers.yaml"))


def changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


LOKI = f"{NS}/loki/app/helmrelease.yaml"


def test_hand_added_key_beside_a_changed_setting_merges_cleanly():
    base, theirs = rendered()[LOKI], rendered(("pvc_size: 10Gi", "pvc_size: 20Gi"))[LOKI]
    ours = base.replace("        size: 10Gi\n", "        size: 10Gi\n        annotations: {backup: daily}  # mine\n")
    result = merge_texts(base, ours, theirs)
    assert result.conflicts == []
    assert changed_lines(ours, result.text) == ["-        size: 10Gi", "+        size: 20Gi"]


def test_renovate_bump_and_an_unrelated_setting_are_both_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("OBS_WIZARD_STRICT_TOOLS", raising=False)  # ../shared has no defaults for the bumped chart
    repo = tmp_path / "repo"
    flux_repo(repo)
    assert run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check").code == 0
    oci = repo / NS / "loki/app/ocirepository.yaml"
    oci.write_text(oci.read_text().replace("tag: 18.11.0", "tag: 18.12.1"))  # Renovate
    changed = tmp_path / "answers.yaml"
    changed.write_text(EXAMPLE_ANSWERS.read_text().replace("retention: 7d", "retention: 14d"))
    result = run_cli("--answers", changed, "--repo", repo, "--skip-secret-check")
    assert result.code == 0, result
    assert "tag: 18.12.1" in oci.read_text()
    assert "retention_period: 336h" in (repo / LOKI).read_text()
    # The same holds when a newer obs-wizard pins a newer default: the repo's (Renovate's) value stays.
    assert run_cli("--check", "--answers", changed, "--repo", repo).code == 0


def test_a_chart_version_the_operator_sets_on_purpose_wins_over_renovate(tmp_path):
    repo = tmp_path / "repo"
    flux_repo(repo)
    assert run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check").code == 0
    oci = repo / NS / "loki/app/ocirepository.yaml"
    oci.write_text(oci.read_text().replace("tag: 18.11.0", "tag: 18.12.1"))
    pinned = tmp_path / "answers.yaml"
    pinned.write_text(EXAMPLE_ANSWERS.read_text() + "charts:\n  loki: 18.11.2\n")
    # The plan is what matters (no chart defaults exist for 18.11.2, so validation may pass or fail).
    dry = run_cli("--answers", pinned, "--repo", repo, "--dry-run", "--skip-secret-check")
    assert "+    tag: 18.11.2" in dry.out and "-    tag: 18.12.1" in dry.out


def test_comments_and_reordered_keys_are_kept():
    base, theirs = rendered()[LOKI], rendered(("retention: 7d", "retention: 14d"))[LOKI]
    ours = base.replace("    lokiCanary:\n      enabled: false\n    test:\n      enabled: false\n",
                        "    # canary and helm test off together (validate.yaml)\n    test:\n      enabled: false\n    lokiCanary:\n      enabled: false  # no canary\n")
    result = merge_texts(base, ours, theirs)
    assert result.conflicts == []
    assert changed_lines(ours, result.text) == ["-        retention_period: 168h", "+        retention_period: 336h"]


def test_the_same_value_changed_on_both_sides_is_a_conflict_with_three_values():
    base, theirs = rendered()[LOKI], rendered(("pvc_size: 10Gi", "pvc_size: 20Gi"))[LOKI]
    ours = base.replace("size: 10Gi", "size: 15Gi")
    result = merge_texts(base, ours, theirs)
    assert result.conflicts == [Conflict("spec.values.singleBinary.persistence.size", "10Gi", "15Gi", "20Gi")]
    assert result.text == ours
    assert merge_texts(base, ours, theirs, choose="theirs").text == theirs
    assert merge_texts(base, ours, theirs, choose={"spec.values.singleBinary.persistence.size": "ours"}).text == ours


def test_an_added_list_entry_beside_a_changed_list_entry():
    path = f"{NS}/kube-prometheus-stack/app/helmrelease.yaml"
    base, theirs = rendered()[path], rendered(("secrets:\n", "alerting:\n  rule_for: 2m\nsecrets:\n"))[path]
    extra = ("              - alert: CertificateExpiringSoon  # mine\n"
             "                expr: certmanager_certificate_expiration_timestamp_seconds - time() < 86400 * 7\n"
             "                labels:\n                  severity: warning\n")
    ours = base.replace("    alertmanager:\n", extra + "    alertmanager:\n", 1)
    result = merge_texts(base, ours, theirs)
    assert result.conflicts == []
    assert "CertificateExpiringSoon  # mine" in result.text
    rules = yaml.safe_load(result.text)["spec"]["values"]["additionalPrometheusRulesMap"]["self-monitoring"]["groups"][0]["rules"]
    assert rules[-1]["alert"] == "CertificateExpiringSoon"
    assert {r["alert"]: r.get("for") for r in rules}["PrometheusDown"] == "2m"


def test_named_list_items_match_by_key_not_by_index():
    base = "---\nenv:\n  - name: A\n    value: '1'\n  - name: B\n    value: '2'\n"
    ours = "---\nenv:\n  - name: X\n    value: mine\n  - name: A\n    value: '1'\n  - name: B\n    value: '2'\n"
    theirs = "---\nenv:\n  - name: A\n    value: '1'\n  - name: B\n    value: '3'\n"
    result = merge_texts(base, ours, theirs)
    assert yaml.safe_load(result.text)["env"] == [{"name": "X", "value": "mine"}, {"name": "A", "value": "1"}, {"name": "B", "value": "3"}]


def test_removed_entries_follow_the_side_that_removed_them():
    base = "---\nresources:\n  - ./a.yaml\n  - ./b.yaml\n"
    ours = "---\nresources:\n  - ./a.yaml\n  - ./b.yaml\n  - ./mine.yaml\n"
    theirs = "---\nresources:\n  - ./a.yaml\n  - ./c.yaml\n"
    assert yaml.safe_load(merge_texts(base, ours, theirs).text)["resources"] == ["./a.yaml", "./mine.yaml", "./c.yaml"]


def test_multi_document_files_merge_per_document():
    path = f"{NS}/kube-prometheus-stack/app/externalsecret.yaml"
    base, theirs = rendered()[path], rendered(("store: onepassword", "store: onepassword-connect"))[path]
    head, tail = base.split("name: alertmanager-slack\n", 1)
    ours = head + "name: alertmanager-slack\n" + tail.replace("refreshInterval: 1h", "refreshInterval: 5m  # faster")
    result = merge_texts(base, ours, theirs)
    assert result.conflicts == []
    docs = list(yaml.safe_load_all(result.text))
    assert [d["spec"]["secretStoreRef"]["name"] for d in docs] == ["onepassword-connect", "onepassword-connect"]
    assert [d["spec"]["refreshInterval"] for d in docs] == ["1h", "5m"]
    conflicting = ours.replace("refreshInterval: 5m  # faster", "refreshInterval: 5m").replace("name: onepassword\n", "name: vault\n", 1)
    (conflict,) = merge_texts(base, conflicting, theirs).conflicts
    assert conflict.path == "ExternalSecret/grafana-admin: spec.secretStoreRef.name"


def test_two_way_merge_asks_about_every_difference_and_keeps_one_sided_keys():
    ours = "---\na: 1\nb: mine\nc: {x: 1}\n"
    theirs = "---\na: 2\nb: mine\nd: new\n"
    result = merge_texts(None, ours, theirs)
    assert [c.path for c in result.conflicts] == ["a"]
    assert result.conflicts[0].base is UNKNOWN
    assert yaml.safe_load(merge_texts(None, ours, theirs, choose="theirs").text) == {"a": 2, "b": "mine", "c": {"x": 1}, "d": "new"}


def test_a_base_from_another_version_falls_back_to_two_way(tmp_path):
    repo = tmp_path / "repo"
    flux_repo(repo)
    assert run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check").code == 0
    state_file = repo / ".obs-wizard/state.json"
    import json

    state = json.loads(state_file.read_text())
    state["files"][LOKI] = "sha256:" + "0" * 64  # rendered by a version whose output cannot be rebuilt
    state_file.write_text(json.dumps(state))
    (repo / LOKI).write_text((repo / LOKI).read_text().replace("size: 10Gi", "size: 15Gi"))
    changed = tmp_path / "answers.yaml"
    changed.write_text(EXAMPLE_ANSWERS.read_text().replace("pvc_size: 10Gi", "pvc_size: 20Gi"))
    result = run_cli("--answers", changed, "--repo", repo, "--skip-secret-check")
    assert result.code == 4
    assert "two-way merge (no base to compare with)" in result.err
    assert 'size: previous render (unknown), on disk "15Gi", new render "20Gi"' in result.err


def test_adopting_hand_written_apps(tmp_path):
    repo = flux_repo(tmp_path / "repo")
    app = repo / NS / "loki"
    (app / "app").mkdir(parents=True)
    golden = ROOT / NS / "loki"
    (app / "ks.yaml").write_text((golden / "ks.yaml").read_text().replace("interval: 1h", "interval: 30m"))
    for name in ("kustomization.yaml", "ocirepository.yaml"):
        (app / "app" / name).write_text((golden / "app" / name).read_text())
    (app / "app/helmrelease.yaml").write_text((golden / "app/helmrelease.yaml").read_text().replace(
        "      replicas: 1\n", "      replicas: 1\n      podLabels: {team: sre}\n"))
    before = snapshot_tree(repo)
    stopped = run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check")
    assert stopped.code == 4
    assert "repo: observability apps not written by obs-wizard (merge them with --adopt, or move them away): loki" in stopped.out
    assert snapshot_tree(repo) == before
    adopt = run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check", "--adopt")
    assert adopt.code == 4  # ks.yaml interval differs and there is no base: a question, not a guess
    assert f"{NS}/loki/ks.yaml: spec.interval: previous render (unknown), on disk \"30m\", new render \"1h\"" in adopt.err
    merged = run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check", "--adopt", "--conflicts", "ours")
    assert merged.code == 0, merged
    assert "interval: 30m" in (app / "ks.yaml").read_text()
    assert "podLabels: {team: sre}" in (app / "app/helmrelease.yaml").read_text()
    assert run_cli("--check", "--answers", EXAMPLE_ANSWERS, "--repo", repo).code == 0


# --- properties --------------------------------------------------------------------------------

scalars = st.one_of(st.integers(-5, 5), st.sampled_from(["a", "b", "c", "x y"]), st.booleans(), st.none())
keys = st.sampled_from(["alpha", "beta", "gamma", "delta", "name"])
trees = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.dictionaries(keys, children, max_size=4),
        st.lists(st.fixed_dictionaries({"name": st.sampled_from(["p", "q", "r"]), "v": children}), max_size=3,
                 unique_by=lambda d: d["name"]),
        st.lists(st.sampled_from(["s1", "s2", "s3"]), max_size=3, unique=True),
    ),
    max_leaves=12,
)
documents = st.dictionaries(keys, trees, min_size=1, max_size=4)


def dump(doc) -> str:
    return yaml.safe_dump(doc, sort_keys=False, explicit_start=True)


@settings(max_examples=150, deadline=None)
@given(documents, documents)
def test_no_change_on_disk_gives_the_new_render(base, theirs):
    result = merge_texts(dump(base), dump(base), dump(theirs))
    assert result.conflicts == []
    assert yaml.safe_load(result.text) == theirs


@settings(max_examples=150, deadline=None)
@given(documents, documents)
def test_no_change_in_the_answers_keeps_the_file_exactly(base, ours):
    text = dump(ours)
    result = merge_texts(dump(base), text, dump(base))
    assert result.conflicts == []
    assert result.text == text


@settings(max_examples=100, deadline=None)
@given(documents, documents)
def test_identical_sides_never_conflict(base, both):
    result = merge_texts(dump(base), dump(both), dump(both))
    assert result.conflicts == [] and yaml.safe_load(result.text) == both
