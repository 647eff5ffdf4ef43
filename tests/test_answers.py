"""The answers model and answers file: defaults, rules, errors, and the refusal of secrets."""

from __future__ import annotations

import re

import pytest

from tests.conftest import EXAMPLE_ANSWERS, MINIMAL_ANSWERS, flux_repo, nothing_written, run_cli
from wizard.answers import answers_file
from wizard.answers.model import Answers
from wizard.base.errors import AnswersInvalid

MINIMAL = "cluster:\n  domain: example.com\n  node_count: 3\n  storage_class: local-path\n"


def parse(text: str) -> Answers:
    return answers_file.parse(text, "answers.yaml")


def problems(text: str) -> list[str]:
    with pytest.raises(AnswersInvalid) as info:
        parse(text)
    return info.value.problems


def test_partial_file_is_completed_from_defaults():
    answers = parse(MINIMAL)
    assert answers.metrics.scrape_interval == "30s"
    assert answers.metrics.retention == "30d"
    assert answers.logs.retention == "7d"
    assert answers.grafana_hostname == "grafana.example.com"
    assert answers.grafana.gateway_name == "internal"
    assert answers.flux.namespace == "observability"
    assert answers.charts.kube_prometheus_stack == "88.5.3"


@pytest.mark.parametrize(
    ("pvc", "expected"), [("30Gi", "25GB"), ("10Gi", "8704MB"), ("100Gi", "85GB"), ("500Mi", "425MB")]
)
def test_retention_size_is_derived_below_the_volume(pvc, expected):
    answers = parse(MINIMAL + f"metrics:\n  pvc_size: {pvc}\n")
    assert answers.metrics.effective_retention_size == expected


def test_retention_size_above_the_volume_is_refused():
    found = problems(MINIMAL + "metrics:\n  pvc_size: 20Gi\n  retention_size: 25GB\n")
    assert found == [
        "answers.yaml:5: metrics: retention_size 25GB is larger than pvc_size 20Gi; "
        "Prometheus would fill the volume before deleting old data"
    ]


def test_explicit_retention_size_is_kept():
    assert parse(MINIMAL + "metrics:\n  retention_size: 20GiB\n").metrics.effective_retention_size == "20GiB"


@pytest.mark.parametrize("retention", ["36h", "1d12h", "90m"])
def test_log_retention_must_be_whole_days(retention):
    (found,) = problems(MINIMAL + f"logs:\n  retention: {retention}\n")
    assert found.startswith("answers.yaml:6: logs.retention: ") and "whole number of days" in found


@pytest.mark.parametrize("retention", ["7d", "168h", "14d", "1w"])
def test_log_retention_whole_days_accepted(retention):
    assert parse(MINIMAL + f"logs:\n  retention: {retention}\n").logs.retention == retention


def test_every_problem_is_reported_at_once_with_file_line_and_field():
    text = (
        "cluster:\n"
        "  domain: Example..com\n"
        "  node_count: 0\n"
        "metrics:\n"
        "  scrape_interval: 30 seconds\n"
        "  retenshun: 3d\n"
        "secrets:\n"
        "  slack_webhook_field: 'Webhook URL'\n"
        "  grafana_item: 'my \"grafana\"'\n"
    )
    found = problems(text)
    assert len(found) == 7, found
    for line in found:
        assert re.match(r"^answers\.yaml:\d+: [a-z_.]+: .+", line), line
    joined = "\n".join(found)
    assert "answers.yaml:1: cluster.storage_class: is required" in joined
    assert "answers.yaml:2: cluster.domain: 'Example..com' is not a lower-case DNS name" in joined
    assert "answers.yaml:3: cluster.node_count: Input should be greater than or equal to 1" in joined
    assert "answers.yaml:5: metrics.scrape_interval: '30 seconds' is not a duration" in joined
    assert "answers.yaml:6: metrics.retenshun: is not a known setting" in joined
    assert "answers.yaml:8: secrets.slack_webhook_field: 'Webhook URL' cannot become a Kubernetes Secret key" in joined
    assert "answers.yaml:9: secrets.grafana_item: must not contain '\"'" in joined
    assert [int(line.split(":")[1]) for line in found] == sorted(int(line.split(":")[1]) for line in found)


FAKE_WEBHOOK = "https://hooks.slack.com/services/T0FAKE000/B0FAKE000/notARealSecretValue0000"


@pytest.mark.parametrize(
    ("snippet", "kind"),
    [
        (f"alerting:\n  slack_channel: {FAKE_WEBHOOK}\n", "Slack webhook URL"),
        ("secrets:\n  slack_item: eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ0ZXN0LWZha2UifQ.sig\n", "JWT"),
        ("secrets:\n  vault: ops_eyFAKEFAKEFAKEFAKEFAKEFAKE\n", "service-account token"),
        ("secrets:\n  slack_webhook_url: anything-at-all\n", "secrets never go"),
        ("grafana:\n  password: hunter2hunter2\n", "secrets never go"),
        ("secrets:\n  heartbeat_item: https://hc-ping.com/5f3c9a4e-8d1b-4f7a-9c2e-0a1b2c3d4e5f\n", "heartbeat push URL"),
        ("secrets:\n  heartbeat_url_field: https://kuma.example.com/api/push/Xy12Ab34\n", "heartbeat push URL"),
    ],
)
def test_values_that_look_like_secrets_are_refused_and_never_echoed(snippet, kind):
    found = problems(MINIMAL + snippet)
    secret_value = snippet.split(": ", 1)[1].strip()
    joined = "\n".join(found)
    assert kind in joined
    assert "1Password" in joined
    assert secret_value not in joined
    assert found[0].startswith("answers.yaml:6: ")


def test_secret_in_answers_file_cli_exits_2_without_echo(tmp_path):
    path = tmp_path / "answers.yaml"
    path.write_text(MINIMAL + f"secrets:\n  slack_webhook_field: {FAKE_WEBHOOK}\n")
    repo = flux_repo(tmp_path / "repo")
    result = run_cli("--answers", path, "--repo", repo)
    assert result.code == 2
    assert FAKE_WEBHOOK not in result.out + result.err
    assert f"{path}:6: secrets.slack_webhook_field: this looks like a Slack webhook URL" in result.err
    assert sorted(tmp_path.iterdir()) == [path, repo] and nothing_written(repo)


def test_yaml_syntax_error_names_the_line():
    (found,) = problems(MINIMAL + "metrics:\n  retention: [30d\n")
    assert found.startswith("answers.yaml:7: YAML syntax error")


def test_duplicate_keys_are_an_error():
    (found,) = problems(MINIMAL + "logs:\n  retention: 7d\n  retention: 14d\n")
    assert "answers.yaml:" in found and "YAML" in found


def test_top_level_must_be_a_mapping():
    assert problems("- a\n- b\n") == [
        "answers.yaml:1: (top): the answers file must be a mapping of sections such as cluster:, metrics:"
    ]


def test_empty_file_asks_for_the_required_section():
    assert problems("") == ["answers.yaml:1: cluster: is required and has no default; add it"]


def test_substitution_needs_a_substitution_secret():
    found = problems(MINIMAL + "grafana:\n  hostname: grafana.${SECRET_DOMAIN}\n")
    assert len(found) == 1 and "flux.substitute_from" in found[0]
    answers = parse(MINIMAL + "grafana:\n  hostname: grafana.${SECRET_DOMAIN}\nflux:\n  substitute_from: cluster-secrets\n")
    assert answers.grafana_hostname == "grafana.${SECRET_DOMAIN}"


def test_unknown_flux_variable_is_refused():
    (found,) = problems(MINIMAL + "grafana:\n  hostname: grafana.${DOMAIN}\nflux:\n  substitute_from: cluster-secrets\n")
    assert "${DOMAIN} is not a Flux variable" in found


def test_same_field_for_user_and_password_is_refused():
    (found,) = problems(MINIMAL + "secrets:\n  grafana_username_field: login\n  grafana_password_field: login\n")
    assert "must be different" in found


def test_awkward_but_valid_item_titles_are_accepted():
    answers = parse(MINIMAL + "secrets:\n  grafana_item: 'Grafana + Loki & Co #1 (100%)'\n")
    assert answers.secrets.grafana_item == "Grafana + Loki & Co #1 (100%)"


def test_missing_answers_file_is_a_clear_error(tmp_path):
    result = run_cli("--answers", tmp_path / "nope.yaml", "--repo", flux_repo(tmp_path / "repo"))
    assert result.code == 2
    assert result.err.strip() == f"obs-wizard: {tmp_path / 'nope.yaml'}: answers file not found; pass an existing file to --answers"


def test_dump_round_trips_and_keeps_only_what_was_set():
    answers = answers_file.load(EXAMPLE_ANSWERS)
    text = answers_file.dump(answers)
    assert text.startswith("# yaml-language-server: $schema=./answers.schema.json\n")
    again = answers_file.parse(text, "dumped.yaml")
    assert again == answers
    assert "scrape_interval" not in text  # a default, not set in the example


def test_schema_command_prints_the_model_schema():
    import json

    result = run_cli("schema")
    assert result.code == 0
    schema = json.loads(result.out)
    assert schema["required"] == ["cluster"]
    cluster = schema["$defs"]["Cluster"]
    assert set(cluster["required"]) == {"node_count", "storage_class"}  # domain may be ${SECRET_DOMAIN} or omitted
    assert schema["$defs"]["Cluster"]["properties"]["node_count"]["minimum"] == 1
    assert schema["$defs"]["Charts"]["properties"]["loki"]["advanced"] is True


def test_the_interactive_front_ends_save_the_same_minimal_file_as_headless():
    """The wizard and the plain prompts save what their Draft holds; no empty sections like `logs: {}`."""
    from wizard.answers import form

    headless = answers_file.dump(answers_file.parse(MINIMAL_ANSWERS, "answers.yaml"))
    draft = form.Draft({"cluster": {"domain": "example.com", "node_count": 3, "storage_class": "local-path"}})
    assert answers_file.dump(draft.answers()) == headless
    assert "{}" not in headless and headless.endswith("cluster:\n  domain: example.com\n  node_count: 3\n  storage_class: local-path\n")
