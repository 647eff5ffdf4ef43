"""The plain prompts (questionary) driven through piped input, as a serial console would type."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from tests.conftest import EXAMPLE_ANSWERS, MINIMAL_ANSWERS, ROOT, flux_repo, nothing_written, run_cli, shared_data
from wizard import answers_file, form, plain

CLUSTER = {"cluster.domain": "example.com", "cluster.node_count": "3", "cluster.storage_class": "local-path"}


def keystrokes(answers: dict[str, str], confirmations: str) -> str:
    """What an operator types: required answers, Enter for every default, 'n' to the advanced options."""
    keys = []
    for step in form.steps():
        if any(q.advanced for q in step.questions):
            keys.append("n")
        for question in step.questions:
            if question.advanced:
                continue
            keys.append(answers.get(question.key, "") + "\r")
    return "".join(keys) + confirmations


def run_plain(repo: Path, typed: str) -> tuple[int, str]:
    out = io.StringIO()
    with create_pipe_input() as pipe:
        pipe.send_text(typed)
        code = plain.run(repo, *shared_data(), input=pipe, output=DummyOutput(), out=out)
    return code, out.getvalue()


@pytest.fixture
def repo(tmp_path) -> Path:
    return flux_repo(tmp_path / "home-ops")


def test_a_full_plain_run_writes_the_expected_files(repo):
    code, out = run_plain(repo, keystrokes(CLUSTER, "y" + "y"))  # write these files? write without checking?
    assert code == 0, out
    assert "== Cluster ==" in out and "== Review ==" in out and "done: 21 file(s)" in out
    from wizard.sizing import NO_HEARTBEAT

    assert f"warning: {NO_HEARTBEAT}" in out.split("== Review ==")[1]  # said before "write these files?"
    for golden in (ROOT / "kubernetes").rglob("*.yaml"):
        assert (repo / golden.relative_to(ROOT)).read_text() == golden.read_text()
    assert answers_file.load(repo / ".obs-wizard/answers.yaml") == answers_file.load(EXAMPLE_ANSWERS)


def test_a_refused_answer_stays_for_editing_and_the_fixed_value_is_used(repo):
    # "0" is refused (the model: >= 1) and stays in the buffer; backspace, "3", Enter.
    typed = keystrokes({**CLUSTER, "cluster.node_count": "0\r\x7f3"}, "y" + "y")
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
    code, out = run_plain(repo, keystrokes(CLUSTER, "n"))
    assert code == 130 and "nothing was written" in out
    assert nothing_written(repo)


def test_without_connect_the_operator_must_confirm(repo):
    code, out = run_plain(repo, keystrokes(CLUSTER, "y" + "n"))
    assert code == 7 and "nothing was written" in out
    assert nothing_written(repo)


def test_plain_prompts_save_the_same_answers_file_as_headless(repo, tmp_path):
    code, out = run_plain(repo, keystrokes(CLUSTER, "y" + "y"))
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


def test_review_with_kube_prometheus_stack_off_prints_no_prometheus_lines(repo):
    from wizard.sizing import NO_HEARTBEAT, NO_METRICS

    keys = []  # as keystrokes(), but the switch is a yes/no answered by "n" alone
    for step in form.steps():
        if any(q.advanced for q in step.questions):
            keys.append("n")
        for question in step.questions:
            if question.advanced:
                continue
            keys.append("n" if question.key == "apps.kube_prometheus_stack" else CLUSTER.get(question.key, "") + "\r")
    code, out = run_plain(repo, "".join(keys) + "n")  # "Write these files?" no
    assert code == 130 and nothing_written(repo)
    review = out.split("== Review ==")[1]
    assert NO_METRICS in review and "Loki: logs kept 7d" in review
    assert "Prometheus disk" not in review and "Alert -> Slack" not in review and NO_HEARTBEAT not in review
    assert "kube-prometheus-stack/" not in review


def test_with_kube_prometheus_stack_off_no_connect_is_asked_for(repo):
    from wizard.onepassword.check import NOTHING_TO_CHECK

    keys = []
    for step in form.steps():
        if any(q.advanced for q in step.questions):
            keys.append("n")
        for question in step.questions:
            if question.advanced:
                continue
            keys.append("n" if question.key == "apps.kube_prometheus_stack" else CLUSTER.get(question.key, "") + "\r")
    code, out = run_plain(repo, "".join(keys) + "y")  # "Write these files?" yes; nothing else is asked
    assert code == 0, out
    assert f"1Password check: {NOTHING_TO_CHECK}" in out and "Connect is not configured" not in out
    assert (repo / "kubernetes/apps/observability/loki/ks.yaml").is_file()
    assert not (repo / "kubernetes/apps/observability/kube-prometheus-stack").exists()
