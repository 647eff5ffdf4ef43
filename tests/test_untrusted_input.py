"""Issue 18: untrusted input (answers, Connect payloads, repo files) ends in one clear line with a
documented exit code, nothing written, never exit 70 or a traceback."""

from __future__ import annotations

import pytest

from tests.conftest import MINIMAL_ANSWERS, flux_repo, nothing_written, run_cli


def _dry_run(tmp_path, text: str, folder: str = "answers"):
    repo = flux_repo(tmp_path / "repo")
    answers = tmp_path / folder / "answers.yaml"
    answers.parent.mkdir(parents=True, exist_ok=True)
    answers.write_text(text, encoding="utf-8")
    result = run_cli("--answers", answers, "--repo", repo, "--skip-secret-check")
    assert nothing_written(repo), result
    assert "Traceback" not in result.err and "internal error" not in result.err, result
    return result, answers


def _one_line_each(result) -> list[str]:
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert lines and all(line.startswith("obs-wizard: ") for line in lines), result
    return lines


# --- item 7: answers errors ----------------------------------------------------------------------


def test_problems_in_a_file_whose_path_has_colons_are_sorted_by_line(tmp_path):
    text = MINIMAL_ANSWERS + "metrics:\n  retention: bogus\n  pvc_size: x\nlogs:\n  retention: 12\n"
    result, answers = _dry_run(tmp_path, text, folder="a:12:b")
    assert result.code == 2, result
    lines = _one_line_each(result)
    assert [line.split(f"{answers}:", 1)[1].split(":", 1)[0] for line in lines] == ["6", "7", "9"], result


def test_a_5000_digit_node_count_is_a_clear_error(tmp_path):
    result, answers = _dry_run(tmp_path, MINIMAL_ANSWERS.replace("node_count: 3", "node_count: " + "9" * 5000))
    assert result.code == 2, result
    (line,) = _one_line_each(result)
    assert line.startswith(f"obs-wizard: {answers}:3: cluster.node_count: a number 5000 characters long"), result
    assert "9" * 100 not in line


@pytest.mark.parametrize(("section", "field", "value"), [
    ("metrics", "pvc_size", "9" * 400 + "Gi"),
    ("metrics", "retention_size", "9" * 400 + "GB"),
    ("logs", "daily_volume", "9" * 400 + "Mi"),
    ("logs", "pvc_size", "9" * 400 + ".5"),
    ("metrics", "retention", "9" * 400 + "d"),
])
def test_a_400_digit_size_or_duration_is_a_clear_error(tmp_path, section, field, value):
    result, answers = _dry_run(tmp_path, MINIMAL_ANSWERS + f"{section}:\n  {field}: {value}\n")
    assert result.code == 2, result
    (line,) = _one_line_each(result)
    assert line.startswith(f"obs-wizard: {answers}:6: {section}.{field}: "), result
    assert f"{len(value)} characters" in line, line
    assert "9" * 50 not in line


def test_a_flux_variable_in_an_item_title_names_the_answers_line(tmp_path):
    result, answers = _dry_run(tmp_path, MINIMAL_ANSWERS + "secrets:\n  vault: V${X}\n  grafana_item: a${X}\n")
    assert result.code == 2, result
    (line,) = _one_line_each(result)  # the vault title is never written into a manifest: only the item is refused
    assert line.startswith(f"obs-wizard: {answers}:7: secrets.grafana_item: ${{X}} would be replaced by Flux"), result
    assert "externalsecret.yaml" not in result.err


# --- item 10: ASCII digits only --------------------------------------------------------------------


@pytest.mark.parametrize(("section", "field", "value"), [
    ("metrics", "pvc_size", "٣٠Gi"),  # Arabic-Indic digits
    ("metrics", "pvc_size", "１０Gi"),  # full-width digits
    ("metrics", "retention", "٣٠d"),
    ("metrics", "retention_size", "٢٥GB"),
    ("logs", "retention", "７d"),
    ("charts", "loki", "１.2.3"),
])
def test_non_ascii_digits_are_refused(tmp_path, section, field, value):
    result, answers = _dry_run(tmp_path, MINIMAL_ANSWERS + f"{section}:\n  {field}: {value}\n")
    assert result.code == 2, result
    (line,) = _one_line_each(result)
    assert line.startswith(f"obs-wizard: {answers}:6: {section}.{field}: "), result
