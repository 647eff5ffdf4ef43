"""The plain prompts (questionary) driven through piped input, as a serial console would type."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from tests.conftest import (
    EXAMPLE_ANSWERS,
    MINIMAL_ANSWERS,
    ROOT,
    flux_repo,
    nothing_written,
    require_tool,
    run_cli,
    shared_data,
    snapshot_tree,
)
from wizard.answers import answers_file, form
from wizard.plain import prompts as plain
from wizard.plain import review as plain_review
from wizard.write import plan

CLUSTER = {"cluster.domain": "example.com", "cluster.node_count": "3", "cluster.storage_class": "local-path"}


#: "yes" to "write these files?", then "y" to "write without checking the 1Password items?".
WRITE = "yes\r" + "y"


def keystrokes(answers: dict[str, str], confirmations: str, after_step: dict[str, str] | None = None) -> str:
    """What an operator types: the ordinary questions (answers given, Enter for every default; after a
    step, what ``after_step`` gives for its title), then 'n' to the one "change the advanced options?"
    question, then ``confirmations``."""
    keys = [answers.get(q.key, "") + "\r" + ((after_step or {}).get(step.title, "") if q is last else "")
            for step in form.steps() for q in step.questions if not q.advanced
            for last in [[q for q in step.questions if not q.advanced][-1]]]
    return "".join(keys) + "n" + confirmations


def run_plain(repo: Path, typed: str) -> tuple[int, str]:
    out = io.StringIO()
    with create_pipe_input() as pipe:
        pipe.send_text(typed)
        pipe.close()  # typing ends here: a question left unanswered is end of input (cancelled), never a hang
        code = plain.run(repo, *shared_data(), input=pipe, output=DummyOutput(), out=out)
    return code, out.getvalue()


@pytest.fixture
def repo(tmp_path) -> Path:
    return flux_repo(tmp_path / "home-ops")


def test_a_full_plain_run_writes_the_expected_files(repo):
    code, out = run_plain(repo, keystrokes(CLUSTER, WRITE))  # write these files? write without checking?
    assert code == 0, out
    assert "== Cluster ==" in out and "== Review ==" in out and "done: 21 file(s)" in out
    from wizard.render.sizing import NO_HEARTBEAT

    assert f"warning: {NO_HEARTBEAT}" in out.split("== Review ==")[1]  # said before "write these files?"
    for golden in (ROOT / "kubernetes").rglob("*.yaml"):
        if golden.name != "flux-alerts.yaml":  # it also watches the repo's namespaces (tests/test_platform.py)
            assert (repo / golden.relative_to(ROOT)).read_text() == golden.read_text()
    from wizard.repo import app_namespaces

    assert answers_file.load(repo / ".obs-wizard/answers.yaml") == app_namespaces.with_found_namespaces(
        answers_file.load(EXAMPLE_ANSWERS), app_namespaces.discover(repo))


def test_a_refused_answer_stays_for_editing_and_the_fixed_value_is_used(repo):
    # "0" is refused (the model: >= 1) and stays in the buffer; backspace, "3", Enter.
    typed = keystrokes({**CLUSTER, "cluster.node_count": "0\r\x7f3"}, WRITE)
    code, out = run_plain(repo, typed)
    assert code == 0, out
    assert answers_file.load(repo / ".obs-wizard/answers.yaml").cluster.node_count == 3


def test_prompt_validation_uses_the_models_message():
    question = form.steps()[0].questions[0]
    with create_pipe_input() as pipe:
        pipe.send_text("Example..com\r" + "\x7f" * 12 + "example.com\r")
        prompts = plain._Prompts(pipe, DummyOutput())
        seen = []

        def validate(text: str) -> bool | str:
            trial = form.Draft()
            trial.set_text(question, text)
            result = trial.errors().get(question.key) or True
            seen.append(result)
            return result

        assert prompts.text(question.title, "", "", validate) == "example.com"
    assert "'Example..com' is not a lower-case DNS name such as example.com" in seen


@pytest.mark.parametrize("key", ["\x03", "\x04"], ids=["ctrl-c", "ctrl-d"])
def test_ctrl_c_or_ctrl_d_cancels_with_nothing_written(repo, key):
    code, out = run_plain(repo, "example.com\r" + key)
    assert code == 130
    assert "cancelled; nothing was written" in out
    assert nothing_written(repo)


def test_declining_to_write_leaves_the_repo_untouched(repo):
    code, out = run_plain(repo, keystrokes(CLUSTER, "no\r"))
    assert code == 130 and "nothing was written" in out
    assert nothing_written(repo)


def test_without_connect_the_operator_must_confirm(repo):
    code, out = run_plain(repo, keystrokes(CLUSTER, "yes\r" + "n"))
    assert code == 7 and "nothing was written" in out
    assert nothing_written(repo)


def test_plain_prompts_save_the_same_answers_file_as_headless(repo, tmp_path):
    code, out = run_plain(repo, keystrokes(CLUSTER, WRITE))
    assert code == 0, out
    other = flux_repo(tmp_path / "headless")
    answers = tmp_path / "minimal.yaml"
    answers.write_text(MINIMAL_ANSWERS)
    assert run_cli("--answers", answers, "--repo", other, "--skip-secret-check").code == 0
    saved = (repo / ".obs-wizard/answers.yaml").read_text()
    headless = (other / ".obs-wizard/answers.yaml").read_text()
    assert "{}" not in saved and "{}" not in headless  # no empty sections
    # The same answers (headless also records the values discovery filled in, which the prompts offered as defaults).
    assert answers_file.parse(saved, "plain") == answers_file.parse(headless, "headless")


# --- ordinary questions first, one "advanced options?" question, then the advanced ones --------------

DOWN = "\x1b[B"
CLEAR = "\x15"  # Ctrl+U: clear the pre-filled text


class RecordingPrompts(plain._Prompts):
    """The real questionary prompts on the pipe, recording each question asked."""

    asked: list[str] = []

    def text(self, message, default, instruction, validate):
        self.asked.append(message)
        return super().text(message, default, instruction, validate)

    def confirm(self, message, default):
        self.asked.append(message)
        return super().confirm(message, default)

    def select(self, message, choices, default):
        self.asked.append(message)
        return super().select(message, choices, default)


@pytest.fixture
def asked(monkeypatch) -> list[str]:
    RecordingPrompts.asked = []
    monkeypatch.setattr(plain, "_Prompts", RecordingPrompts)
    return RecordingPrompts.asked


def titles(advanced: bool) -> list[str]:
    """The model's titles of the ordinary (or advanced) questions, in order; confirmations excluded."""
    return [q.title for step in form.steps() for q in step.questions if q.advanced == advanced and not q.confirms]


@pytest.mark.parametrize("open_advanced", [False, True], ids=["advanced-no", "advanced-yes"])
def test_ordinary_questions_come_first_then_one_advanced_question(repo, asked, open_advanced):
    ordinary, advanced = titles(False), titles(True)
    assert ordinary and advanced  # the model marks some fields advanced
    keys = [CLUSTER.get(q.key, "") + "\r" for step in form.steps() for q in step.questions if not q.advanced]
    typed = "".join(keys) + ("y" + "\r" * len(advanced) if open_advanced else "n") + "no\r"
    code, out = run_plain(repo, typed)
    assert code == 130 and nothing_written(repo), out
    gate = next(i for i, message in enumerate(asked) if message.startswith("Change the advanced options"))
    assert [m.removesuffix(" *") for m in asked[:gate]] == ordinary  # every ordinary question, none advanced
    assert f"({len(advanced)}: " in asked[gate]
    after = [m.removesuffix(" *") for m in asked[gate + 1:-1]]
    assert after == (advanced if open_advanced else [])
    assert asked[-1].startswith("Write these")


def test_the_advanced_question_defaults_to_no(repo, asked):
    keys = [CLUSTER.get(q.key, "") + "\r" for step in form.steps() for q in step.questions if not q.advanced]
    code, out = run_plain(repo, "".join(keys) + "\r" + "no\r")  # Enter at "change the advanced options?"
    assert code == 130, out
    assert asked[-1].startswith("Write these") and asked[-2].startswith("Change the advanced options")


# --- the final question: a stray Enter never writes ---------------------------------------------------


def test_enter_alone_at_write_these_files_writes_nothing(repo, asked):
    code, out = run_plain(repo, keystrokes(CLUSTER, "\r" + "\r" + "y\r" + "\x03"))  # Enter, Enter, "y": asked again; Ctrl+C
    assert code == 130 and "cancelled; nothing was written" in out
    assert nothing_written(repo)
    assert asked[-1].startswith("Write these") and "Write without checking" not in " ".join(asked)


def test_enter_is_asked_again_and_typed_yes_writes(repo):
    code, out = run_plain(repo, keystrokes(CLUSTER, "\r" + WRITE))
    assert code == 0, out
    assert (repo / ".obs-wizard/answers.yaml").is_file()


# --- Review: conflicts settled in plain, the diff after each choice is the bytes written ---------------

NS = "kubernetes/apps/observability"
LOKI = f"{NS}/loki/app/helmrelease.yaml"
SAVED = ".obs-wizard/answers.yaml"
DIFFS = "The diffs of the files that exist: exactly what will be written.\n"


def rerun_keys(confirmations: str) -> str:
    """A re-run: Enter keeps every saved answer; 'n' to the advanced options."""
    return keystrokes({}, confirmations)


@pytest.fixture
def conflicted(repo, tmp_path) -> Path:
    """A written repo whose Loki retention and volume were changed by hand and in the saved answers."""
    assert run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check").code == 0
    loki = repo / LOKI
    loki.write_text(loki.read_text().replace("retention_period: 168h", "retention_period: 240h")
                    .replace("size: 10Gi", "size: 15Gi").replace("    test:\n", "    # tuned by hand\n    test:\n"))
    saved = repo / SAVED
    saved.write_text(saved.read_text().replace("retention: 7d", "retention: 14d").replace("pvc_size: 10Gi", "pvc_size: 20Gi"))
    shutil.copytree(repo, tmp_path / "before")
    return repo


def shown_after_choices(out: str, path: str) -> list[str]:
    """The diff of ``path`` printed after each choice (each begins with the line ``-- path: action``)."""
    chunks = out.split(f"\n-- {path}: ")[1:]
    return [chunk.split("\n", 1)[1].split("\nconflict in ")[0].split("\n== Review, with your choices ==")[0] for chunk in chunks]


def _section(out: str, header: str) -> str:
    lines = out.split(header, 1)[1].splitlines(keepends=True)
    end = next(i for i, line in enumerate(lines) if line.startswith(("secret check:", "answers: ", "obs-wizard:", plain_review.OTHER_DIFFS)))
    return "".join(lines[:end])


def review_diffs(out: str) -> str:
    """The diffs printed at the end of Review, before "write these files?", and those the pager showed
    ("diff" typed at that question): together, every change written (the schema's aside)."""
    return _section(out, DIFFS) + (_section(out, plain_review.OTHER_DIFFS + "\n") if plain_review.OTHER_DIFFS in out else "")


def patch_tree(before: Path, diff_text: str, where: Path) -> dict[str, bytes]:
    patch = require_tool("patch")
    shutil.copytree(before, where)
    done = subprocess.run([patch, "-p1", "--batch", "--silent", "-d", str(where)], input=diff_text, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return snapshot_tree(where)


def patch_file(old: str, diff_text: str, tmp_path: Path) -> str:
    work = tmp_path / f"one-{len(list(tmp_path.glob('one-*')))}"
    (work / LOKI).parent.mkdir(parents=True)
    (work / LOKI).write_text(old)
    body = "".join(line for line in diff_text.splitlines(keepends=True) if not line.startswith("# CONFLICT"))
    if not body:
        return old  # no diff: the file is left as it is
    done = subprocess.run([require_tool("patch"), "-p1", "--batch", "--silent", "-d", str(work)], input=body,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return (work / LOKI).read_text()


def test_conflicts_are_settled_value_by_value_and_each_diff_shown_is_what_is_written(conflicted, tmp_path):
    before = tmp_path / "before"
    # retention: take new (336h); volume: keep mine (15Gi), which updates the saved answer.
    code, out = run_plain(conflicted, rerun_keys(DOWN + "\r" + "\r" + "diff\r" + WRITE))
    assert code == 0, out
    assert "2 value(s) still to settle" in out and "1 value(s) still to settle" in out
    assert "  value:          spec.values.loki.limits_config.retention_period" in out
    assert '  previous render "168h"\n  on disk (mine)  "240h"\n  new render      "336h"' in out
    written = (conflicted / LOKI).read_text()
    assert "retention_period: 336h" in written and "size: 15Gi" in written and "# tuned by hand" in written
    old = (before / LOKI).read_text()
    first, second = shown_after_choices(out, LOKI)
    assert first.startswith(f"# CONFLICT {LOKI}: 1 value(s) not settled")
    # Each diff shown, applied to the file as it was, gives exactly the bytes written (the open value as on disk).
    assert patch_file(old, first, tmp_path) == written
    assert patch_file(old, second, tmp_path) == written
    # The kept volume updates the saved answer, and the whole Review diff is the whole write.
    assert 'answers: logs.pvc_size: "20Gi" -> "15Gi"' in out
    assert answers_file.load(conflicted / SAVED).logs.pvc_size == "15Gi"
    assert patch_tree(before, review_diffs(out), tmp_path / "patched") == snapshot_tree(conflicted)
    assert run_cli("--check", "--repo", conflicted).code == 0


@pytest.mark.parametrize("pick", ["keep all mine", "take all new"])
def test_keep_all_mine_and_take_all_new_settle_every_value(conflicted, tmp_path, pick):
    keys = DOWN * 2 + "\r" if pick == "keep all mine" else DOWN * 3 + "\r"
    code, out = run_plain(conflicted, rerun_keys(keys + "diff\r" + WRITE))
    assert code == 0, out
    assert "1 value(s) still to settle" not in out  # one choice settled both
    written = (conflicted / LOKI).read_text()
    saved = answers_file.load(conflicted / SAVED)
    if pick == "keep all mine":
        assert "retention_period: 240h" in written and "size: 15Gi" in written
        assert saved.logs.pvc_size == "15Gi" and saved.logs.retention in ("10d", "240h")
        assert "answers: logs.pvc_size" in out and "answers: logs.retention" in out
    else:
        assert "retention_period: 336h" in written and "size: 20Gi" in written
        assert saved.logs.pvc_size == "20Gi" and saved.logs.retention == "14d" and "answers: " not in out
    assert "# tuned by hand" in written
    (shown,) = shown_after_choices(out, LOKI)
    assert patch_file((tmp_path / "before" / LOKI).read_text(), shown, tmp_path) == written
    assert patch_tree(tmp_path / "before", review_diffs(out), tmp_path / "patched") == snapshot_tree(conflicted)
    assert run_cli("--check", "--repo", conflicted).code == 0


def test_a_kept_value_no_answer_renders_stops_with_nothing_written(repo, tmp_path):
    assert run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check").code == 0
    loki = repo / LOKI
    loki.write_text(loki.read_text().replace("retention_period: 168h", "retention_period: 250h"))  # not whole days
    saved = repo / SAVED
    saved.write_text(saved.read_text().replace("retention: 7d", "retention: 14d"))
    before = snapshot_tree(repo)
    code, out = run_plain(repo, rerun_keys("\r"))  # keep mine
    assert code == 4, out
    assert '✗ logs.retention is "14d" in the answers, but ' in out and 'keeps "250h"' in out
    assert "nothing was written" in out and snapshot_tree(repo) == before


def test_a_file_deleted_by_hand_is_kept_deleted_or_recreated_as_chosen(repo, tmp_path):
    assert run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check").code == 0
    route = repo / NS / "kube-prometheus-stack/app/httproute.yaml"
    text = route.read_text()
    route.unlink()
    code, out = run_plain(repo, rerun_keys("\r"))  # Enter: keep it deleted (and nothing else to write)
    assert code == 0 and not route.exists(), out
    assert f"# CONFLICT {NS}/kube-prometheus-stack/app/httproute.yaml: deleted by you" in out
    assert "nothing to do" in out
    code, out = run_plain(repo, rerun_keys(DOWN + "\r" + WRITE))  # recreate it
    assert code == 0, out
    assert route.read_text() == text
    (shown,) = shown_after_choices(out, f"{NS}/kube-prometheus-stack/app/httproute.yaml")
    assert shown == plan.unified_diff(None, text, f"{NS}/kube-prometheus-stack/app/httproute.yaml")


def test_a_file_obs_wizard_did_not_write_is_adopted_only_when_chosen(repo, tmp_path):
    app_dir = repo / NS / "loki"
    (app_dir / "app").mkdir(parents=True)
    for rel in ("ks.yaml", "app/kustomization.yaml", "app/ocirepository.yaml", "app/helmrelease.yaml"):
        (app_dir / rel).write_text((ROOT / NS / "loki" / rel).read_text())
    ks = app_dir / "ks.yaml"
    ks.write_text(ks.read_text().replace("interval: 1h", "interval: 30m"))
    before = snapshot_tree(repo)
    code, out = run_plain(repo, keystrokes(CLUSTER, "\r"))  # Enter: stop here
    assert code == 4 and "nothing was written" in out, out
    assert snapshot_tree(repo) == before
    code, out = run_plain(repo, keystrokes(CLUSTER, "\x1b[A" + "\r" + "\r" + WRITE))  # adopt it; keep mine (30m)
    assert code == 0, out
    assert "interval: 30m" in ks.read_text()
    assert "value:          spec.interval" in out


# --- pick lists (issue 12): "other" leads to the explicit "lives outside the repo" confirmation -------


def test_other_on_a_pick_list_needs_the_outside_repo_confirmation(repo, asked):
    # The list offers local-path (defined in the repo) and "other": Down, Enter; yes, it is outside; type it.
    code, out = run_plain(repo, keystrokes({**CLUSTER, "cluster.storage_class": DOWN + "\r" + "y" + CLEAR + "fast-ssd"},
                                           WRITE))
    assert code == 0, out
    assert any(m.startswith("Storage class: this repo defines only local-path. Is the one you mean created outside") for m in asked)
    saved = answers_file.load(repo / SAVED)
    assert saved.cluster.storage_class == "fast-ssd" and saved.cluster.storage_class_outside_repo is True
    assert "storageClass: fast-ssd" in (repo / LOKI).read_text()


def test_declining_the_outside_repo_confirmation_returns_to_the_list(repo, asked):
    # "other", then No: the list again; Enter picks local-path (the repo's own).
    code, out = run_plain(repo, keystrokes({**CLUSTER, "cluster.storage_class": DOWN + "\r" + "n"}, WRITE))
    assert code == 0, out
    assert [m for m in asked if m.startswith("Storage class")][:3] == ["Storage class", "Storage class: this repo defines only "
                                                                       "local-path. Is the one you mean created outside the repo "
                                                                       "(at bootstrap or by hand)?", "Storage class"]
    saved = answers_file.load(repo / SAVED)
    assert saved.cluster.storage_class == "local-path" and not saved.cluster.storage_class_outside_repo


def test_a_value_the_repo_does_not_define_is_asked_about_when_there_is_no_list(repo, asked):
    (repo / "kubernetes/apps/kube-system/local-path/app/storageclass.yaml").unlink()  # discovery finds none
    # After the Cluster step: local-path is not defined, not outside (n), asked again: openebs, outside (y).
    code, out = run_plain(repo, keystrokes(CLUSTER, WRITE,
                                           after_step={"Cluster": "n" + CLEAR + "openebs\r" + "y"}))
    assert code == 0, out
    assert "✗ Storage class: the repo defines no StorageClass local-path (it defines no StorageClass)" in out
    assert [m for m in asked if m.startswith("Storage class")] == [
        "Storage class *", "Storage class local-path: is it created outside the repo (at bootstrap or by hand)?",
        "Storage class *", "Storage class openebs: is it created outside the repo (at bootstrap or by hand)?"]
    saved = answers_file.load(repo / SAVED)
    assert saved.cluster.storage_class == "openebs" and saved.cluster.storage_class_outside_repo is True


# --- the same warnings and reporting as the other front ends ---------------------------------------------


def test_no_heartbeat_and_skipped_checks_are_said_not_passed(repo, monkeypatch, tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no kubectl, promtool, amtool: those checks are skipped
    monkeypatch.delenv("OBS_WIZARD_STRICT_TOOLS", raising=False)
    monkeypatch.delenv("OBS_WIZARD_STRICT", raising=False)
    from wizard.render.sizing import NO_HEARTBEAT

    code, out = run_plain(repo, keystrokes(CLUSTER, WRITE))
    assert code == 0, out
    assert "secret check: skipped (you confirmed" in out
    assert "  skipped promtool: promtool not found" in out
    assert "validation: " in out and " 3 skipped (" in out and "validation: 0 passed" not in out
    done = out.split("done: ", 1)[1]
    assert "not checked: the 1Password check (Connect is not configured); validation: " in done
    assert "promtool" in done and "(skipped, not passed)" in done
    assert f"warning: {NO_HEARTBEAT}" in done  # said again after the write, as the wizard's Done step does


# --- rules across fields: the questions they name are asked again -------------------------------------


def test_a_rule_across_fields_asks_again_only_the_fields_it_names(repo, asked):
    same = {"secrets.grafana_username_field": CLEAR + "login", "secrets.grafana_password_field": CLEAR + "login"}
    code, out = run_plain(repo, keystrokes({**CLUSTER, **same}, WRITE,
                                           after_step={"Secrets": CLEAR + "user\r" + "\r"}))  # user, then keep login
    assert code == 0, out
    assert "✗ Grafana username field, Grafana password field: grafana_username_field and grafana_password_field must be" in out
    secrets = answers_file.load(repo / SAVED).secrets
    assert (secrets.grafana_username_field, secrets.grafana_password_field) == ("user", "login")
    again = [i for i, m in enumerate(asked) if m == "Grafana username field"][1]
    assert asked[again:again + 2] == ["Grafana username field", "Grafana password field"]
    assert asked.count("Slack webhook item") == 1 and asked.count("1Password vault") == 1  # not the whole step


def test_a_rule_across_sections_is_settled_after_the_advanced_question(repo, asked):
    # No domain (the repo names none) and no substitution Secret: asked again after the advanced question.
    typed = keystrokes({**CLUSTER, "cluster.domain": ""}, "example.com\r" + "\r" + WRITE)
    code, out = run_plain(repo, typed)
    assert code == 0, out
    assert "✗ Cluster domain, Substitution Secret: cluster.domain is required" in out
    gate = next(i for i, m in enumerate(asked) if m.startswith("Change the advanced options"))
    assert asked[gate + 1:gate + 3] == ["Cluster domain", "Substitution Secret"]
    assert answers_file.load(repo / SAVED).cluster.domain == "example.com"


def test_review_with_kube_prometheus_stack_off_prints_no_prometheus_lines(repo):
    from wizard.render.sizing import NO_HEARTBEAT, NO_METRICS

    code, out = run_plain(repo, off_keys())  # "Write these files?" no
    assert code == 130 and nothing_written(repo)
    review = out.split("== Review ==")[1]
    assert NO_METRICS in review and "Loki: logs kept 7d" in review
    assert "Prometheus disk" not in review and "Alert -> Slack" not in review and NO_HEARTBEAT not in review
    assert "kube-prometheus-stack/" not in review


def test_with_kube_prometheus_stack_off_no_connect_is_asked_for(repo):
    from wizard.onepassword.check import NOTHING_TO_CHECK

    code, out = run_plain(repo, off_keys(WRITE.removesuffix("y")))  # "Write these files?" yes; nothing else is asked
    assert code == 0, out
    assert f"1Password check: {NOTHING_TO_CHECK}" in out and "Connect is not configured" not in out
    assert (repo / "kubernetes/apps/observability/loki/ks.yaml").is_file()
    assert not (repo / "kubernetes/apps/observability/kube-prometheus-stack").exists()


def off_keys(confirmations: str = "no\r") -> str:
    """keystrokes(), but the kube-prometheus-stack switch is a yes/no answered by "n" alone (no Enter)."""
    keys = ["n" if q.key == "apps.kube_prometheus_stack" else CLUSTER.get(q.key, "") + "\r"
            for step in form.steps() for q in step.questions if not q.advanced]
    return "".join(keys) + "n" + confirmations


# --- the plain Review's size: the summary and the answer-driven diffs; the rest through a pager ----------


def test_a_first_run_review_is_short_and_the_rest_is_offered_through_a_pager(repo):
    code, out = run_plain(repo, keystrokes(CLUSTER, WRITE))
    assert code == 0, out
    before_question = out.split("done: ")[0]
    # Measured: 1,808 lines when every diff (the 535-line schema's included) was printed before "Type yes".
    assert len(before_question.splitlines()) < 150, len(before_question.splitlines())
    assert "create    kubernetes/apps/observability/loki/app/helmrelease.yaml" in out  # the plan lists every file
    assert "Not shown here: the diffs of 19 new file(s)" in out  # 21 created: the answers shown, the schema never and "type diff at the question below" in out
    assert '"$schema"' not in out and "+++ b/.obs-wizard/answers.schema.json" not in out
    assert "+++ b/.obs-wizard/answers.yaml" in out  # the answers themselves are shown


def test_diff_at_the_question_pages_every_other_diff_but_never_the_schema(repo):
    code, out = run_plain(repo, keystrokes(CLUSTER, "diff\r" + WRITE))
    assert code == 0, out
    paged = _section(out, plain_review.OTHER_DIFFS + "\n")
    assert "+++ b/kubernetes/apps/observability/loki/app/helmrelease.yaml" in paged
    assert "+++ b/.obs-wizard/state.json" in paged and "answers.schema.json" not in paged
    assert "+++ b/.obs-wizard/answers.yaml" not in paged  # shown already, not twice
