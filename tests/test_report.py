"""Honest reporting: every check ends passed, failed or skipped (with reason and remedy), the summary
counts them, --strict / OBS_WIZARD_STRICT=1 fail a skipped check, and every front end says the same."""

from __future__ import annotations

import io
import re
import subprocess

import pytest

from tests.conftest import EXAMPLE_ANSWERS, ROOT, flux_repo, nothing_written, run_cli, shared_data
from wizard.validate.findings import Finding, Report

NS = "kubernetes/apps/observability"


def report() -> Report:
    r = Report(checks_run=["alloy", "crd-schema", "promtool", "kustomize"], sources={"crd-schema": "CRDs: --crd-dir /c"})
    r.add(Finding("skipped", "promtool", "promtool not found", remedy="apt-get install prometheus"))
    r.add(Finding("error", "kustomize", "bad", file="a/kustomization.yaml"))
    return r


def test_each_check_ends_passed_failed_or_skipped_and_the_summary_counts_them():
    r = report()
    assert [(o.check, o.status) for o in r.outcomes()] == [
        ("alloy", "passed"), ("crd-schema", "passed"), ("promtool", "skipped"), ("kustomize", "failed")]
    # the summary names the checks; their reasons are on their own lines, never repeated
    assert r.summary() == "validation FAILED: 2 passed, 1 failed (kustomize), 1 skipped (promtool); reasons above"
    lines = r.lines()
    assert "  passed  crd-schema (CRDs: --crd-dir /c)" in lines
    assert "  skipped promtool: promtool not found; remedy: apt-get install prometheus" in lines
    assert "  error: [kustomize] a/kustomization.yaml: bad" in lines and lines[-1] == r.summary()


def test_a_skipped_check_is_never_passed_and_strict_fails_it():
    r = Report(checks_run=["alloy", "promtool"])
    r.add(Finding("skipped", "promtool", "promtool not found", remedy="apt-get install prometheus"))
    assert r.ok and r.summary() == "validation: 1 passed, 1 skipped (promtool); reasons above"
    strict = r.with_strict(True)
    assert not strict.ok and r.ok  # the original report is unchanged
    assert strict.summary() == "validation FAILED: 1 passed, 1 failed (promtool); reasons above"
    assert "  FAILED  promtool: not run, and --strict fails a skipped check: promtool not found" in strict.lines()[-2]
    everything = Report(checks_run=["alloy", "promtool"])
    assert everything.summary() == "validation: 2 passed (alloy, promtool)"


@pytest.fixture
def bare_path(monkeypatch, tmp_path):
    """Nothing on PATH: no kubectl, promtool or amtool."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("OBS_WIZARD_STRICT_TOOLS", raising=False)
    monkeypatch.delenv("OBS_WIZARD_STRICT", raising=False)


def summary_line(out: str) -> str:
    (line,) = [line for line in out.splitlines() if line.startswith("validation")]
    return line


def test_without_tools_the_summary_counts_skips_with_their_remedies(tmp_path, bare_path, crd_dir, charts_dir):
    result = run_cli("validate", "--answers", EXAMPLE_ANSWERS, "--repo", flux_repo(tmp_path / "repo"))
    assert result.code == 0, result
    line = summary_line(result.out)
    assert re.fullmatch(r"validation: \d+ passed, 3 skipped \(promtool, amtool, kustomize\); reasons above", line), line
    assert "  skipped promtool: promtool not found" in result.out and "; remedy: apt-get install prometheus" in result.out
    assert "; remedy: apt-get install prometheus-alertmanager" in result.out
    assert "  skipped kustomize: kubectl not found, so `kubectl kustomize` did not run" in result.out
    assert " passed (" not in line
    assert "  skipped amtool: amtool not found" in result.out


@pytest.mark.parametrize("how", [["--strict", "validate"], ["validate", "--strict"], ["env"]])
def test_strict_turns_a_skipped_check_into_exit_3(tmp_path, bare_path, crd_dir, charts_dir, monkeypatch, how):
    args = ["validate", "--answers", EXAMPLE_ANSWERS, "--repo", flux_repo(tmp_path / "repo")]
    if how == ["env"]:
        monkeypatch.setenv("OBS_WIZARD_STRICT", "1")
    else:
        args = [*how, "--answers", EXAMPLE_ANSWERS, "--repo", flux_repo(tmp_path / "repo")]
    result = run_cli(*args)
    assert result.code == 3, result
    assert re.fullmatch(r"validation FAILED: \d+ passed, 3 failed \(promtool, amtool, kustomize\); reasons above", summary_line(result.out))
    assert "  FAILED  promtool: not run, and --strict fails a skipped check" in result.out
    assert "3 check(s) were skipped (above) and --strict (or OBS_WIZARD_STRICT=1) makes a skipped check a failure" in result.err


def test_strict_headless_write_writes_nothing(tmp_path, bare_path, crd_dir, charts_dir):
    repo = flux_repo(tmp_path / "home-ops")
    result = run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check", "--strict")
    assert result.code == 3, result
    assert nothing_written(repo)
    relaxed = run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check")
    assert relaxed.code == 0 and (repo / NS / "loki/ks.yaml").is_file()


def test_help_documents_strict_and_exit_3():
    text = run_cli("--help").out
    assert "--strict" in text and "OBS_WIZARD_STRICT" in text and "--strict and a check was skipped" in text
    readme = (ROOT / "README.md").read_text()
    assert "--strict" in readme and "OBS_WIZARD_STRICT" in readme


def test_hints_never_name_a_file_the_wheel_does_not_ship():
    """The wheel carries wizard/ only; nothing the program prints may point into examples/ or tests/."""
    listed = subprocess.run(["git", "grep", "-n", "-E", r"examples/|tests/", "--", "wizard"], cwd=ROOT,
                            capture_output=True, text=True, timeout=30)
    assert listed.stdout == "", listed.stdout
    result = run_cli("validate", "--repo", ROOT / "wizard")  # no saved answers there
    assert result.code == 2 and "`obs-wizard --init-answers`" in result.err and "`obs-wizard schema`" in result.err
    assert "examples/" not in result.err


def test_plain_prompts_print_the_same_report(tmp_path, bare_path):
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from tests.test_plain import CLUSTER, WRITE, keystrokes
    from wizard.plain import prompts as plain

    repo = flux_repo(tmp_path / "home-ops")
    out = io.StringIO()
    with create_pipe_input() as pipe:
        pipe.send_text(keystrokes(CLUSTER, WRITE))
        code = plain.run(repo, *shared_data(), input=pipe, output=DummyOutput(), out=out, strict=True)
    assert code == 3, out.getvalue()
    assert re.match(r"validation FAILED: \d+ passed, 3 failed", summary_line(out.getvalue()))
    assert "were not fully checked (--strict fails a skipped check); nothing was written" in out.getvalue()
    assert nothing_written(repo)


async def test_the_write_step_keeps_its_log_and_shows_skipped_checks_as_warnings(tmp_path, bare_path):
    from tests.test_tui import DONE, WRITE, choose_write, goto_review, make_app, write_ended

    repo = flux_repo(tmp_path / "home-ops")
    app = make_app(repo)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_review(app, pilot)
        await choose_write(app, pilot)  # Next never writes: Enter on Write files
        await pilot.press("y")
        await write_ended(app, pilot)  # the write starts once the dialog has closed
        assert app.index == WRITE and app.write_done
        shown = app.query_one("#write-log").render()
        text = str(shown)
        assert re.search(r"^⚠ validation: \d+ passed, 3 skipped \(promtool, ", text, re.M), text
        warnings = {text[span.start:span.end].split("\n")[0] for span in shown.spans if "yellow" in str(span.style)}
        assert any(w.startswith("  ⚠ skipped promtool: promtool not found") for w in warnings), warnings
        assert app.report_lines == text.splitlines()
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.index == DONE


def test_the_tui_prints_its_report_after_it_exits(tmp_path, monkeypatch, capsys):
    from wizard.tui import app as tui

    def fake_run(self):
        self.report_lines = ["validation: 1 passed, 1 skipped: promtool (x)", "✓ wrote 20 file(s), all at once"]
        return 0

    monkeypatch.setattr(tui.WizardApp, "run", fake_run)
    assert tui.run(flux_repo(tmp_path), None, None) == 0
    assert capsys.readouterr().out == "validation: 1 passed, 1 skipped: promtool (x)\n✓ wrote 20 file(s), all at once\n"

