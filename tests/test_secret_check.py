"""The 1Password check: the real onepasswordconnectsdk over real HTTP against a local Connect."""

from __future__ import annotations

import json
import logging
import socket
import time

import pytest

from tests.conftest import EXAMPLE_ANSWERS, MINIMAL_ANSWERS, flux_repo, nothing_written, run_cli, snapshot_tree
from tests.fake_connect import FakeConnect, Field, Forced, Item, Vault, go_parse_query, login_item, secure_note
from wizard.answers import answers_file
from wizard.onepassword.check import field_outcomes, run_checks, webhook_outcome
from wizard.onepassword.gateway import ConnectGateway, ItemField

TOKEN = "eyJhbGciOiJFUzI1NiJ9.test-connect-token-do-not-print"
WEBHOOK = "https://hooks.slack.com/services/T0FAKEFAK/B0FAKEFAK/abcdefghijklmnopqrstuvwx"
PASSWORD = "correct-horse-battery-staple-7"


def standard_vault(**overrides) -> Vault:
    grafana = overrides.get("grafana") or login_item("grafana", "admin", PASSWORD)
    slack = overrides.get("slack") or secure_note("alertmanager", SLACK_WEBHOOK_URL=WEBHOOK)
    return Vault("Kubernetes", [grafana, slack, *overrides.get("extra", [])])


@pytest.fixture
def connect(monkeypatch):
    """Start a fake Connect with the given vaults and point OP_CONNECT_* at it."""
    servers = []

    def start(vaults: list[Vault], token: str = TOKEN, **kwargs) -> FakeConnect:
        server = FakeConnect(vaults, token, **kwargs).__enter__()
        servers.append(server)
        monkeypatch.setenv("OP_CONNECT_HOST", server.url)
        monkeypatch.setenv("OP_CONNECT_TOKEN", TOKEN)
        monkeypatch.setenv("OBS_WIZARD_CONNECT_TIMEOUT", "2")
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)


def check(answers_text: str = MINIMAL_ANSWERS, tmp_path=None):
    path = tmp_path / "answers.yaml"
    path.write_text(answers_text)
    return run_cli("check-secrets", "--answers", path)


def assert_nothing_secret(*texts: str) -> None:
    joined = "\n".join(texts)
    for secret in (TOKEN, WEBHOOK, PASSWORD, "abcdefghijklmnopqrstuvwx"):
        assert secret not in joined


def test_all_checks_pass_and_nothing_secret_is_printed(connect, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    server = connect([standard_vault()])
    result = check(tmp_path=tmp_path)
    assert result.code == 0, result
    for expected in (
        "OK      Connect reachable", "OK      token accepted", "OK      vault Kubernetes: exactly one vault",
        "OK      item grafana", "OK      field grafana/username: present once, not empty",
        "OK      field grafana/password", "OK      field alertmanager/SLACK_WEBHOOK_URL: a Slack incoming webhook URL",
        "OK      labels of alertmanager", "secret check: passed",
    ):
        assert expected in result.out
    assert_nothing_secret(result.out, result.err, caplog.text)
    # The SDK talked to the server with the token, as a real client does.
    assert all(h.get("Authorization") == f"Bearer {TOKEN}" for _, p, h in server.log if p.startswith("/v1/"))


def test_a_run_with_connect_checks_then_writes(connect, tmp_path):
    connect([standard_vault()])
    repo = tmp_path / "repo"
    flux_repo(repo)
    result = run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo)
    assert result.code == 0, result
    assert "secret check: passed" in result.out
    assert (repo / "kubernetes/apps/observability/loki/ks.yaml").exists()
    assert_nothing_secret(result.out, result.err, *(p.read_text() for p in repo.rglob("*") if p.is_file()))


def test_not_configured_is_said_plainly_and_nothing_is_written(tmp_path):
    repo = tmp_path / "repo"
    flux_repo(repo)
    result = run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo)
    assert result.code == 7
    assert "1Password Connect is not configured (OP_CONNECT_HOST and OP_CONNECT_TOKEN not set)" in result.err
    assert "--skip-secret-check" in result.err
    assert nothing_written(repo)
    assert check(tmp_path=tmp_path).code == 7
    dry = run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--dry-run")
    assert dry.code == 0 and "secret check: skipped (1Password Connect is not configured" in dry.out
    skipped = run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check")
    assert skipped.code == 0 and "secret check: skipped (--skip-secret-check)" in skipped.out


def test_failed_check_blocks_the_write(connect, tmp_path):
    connect([Vault("Kubernetes", [login_item("grafana", "admin", PASSWORD)])])
    repo = tmp_path / "repo"
    flux_repo(repo)
    result = run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo)
    assert result.code == 6
    assert "FAIL    item alertmanager: no item titled 'alertmanager' in vault 'Kubernetes'" in result.out
    assert "nothing was written" in result.err
    assert nothing_written(repo)


def test_closed_port_is_unreachable(monkeypatch, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("OP_CONNECT_HOST", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("OP_CONNECT_TOKEN", TOKEN)
    result = check(tmp_path=tmp_path)
    assert result.code == 6
    assert f"FAIL    Connect reachable: cannot connect to 1Password Connect at http://127.0.0.1:{port}" in result.out
    assert "SKIPPED token and items: Connect is not reachable" in result.out
    assert_nothing_secret(result.out, result.err)


def test_slow_server_times_out_within_the_bound(connect, tmp_path, monkeypatch):
    server = connect([standard_vault()])
    server.delay = 1.5
    monkeypatch.setenv("OBS_WIZARD_CONNECT_TIMEOUT", "0.3")
    started = time.monotonic()
    result = check(tmp_path=tmp_path)
    assert time.monotonic() - started < 1.5  # bounded by the timeout, not by the server
    assert result.code == 6
    assert "did not answer within 0.3s" in result.out


def test_wrong_token_is_told_apart_from_not_found(connect, tmp_path, monkeypatch):
    connect([standard_vault()], token="the-right-token")
    result = check(tmp_path=tmp_path)
    assert result.code == 6
    assert "FAIL    token accepted: 1Password Connect rejected the token (401); check OP_CONNECT_TOKEN" in result.out
    assert "not found" not in result.out and "no vault" not in result.out


def test_forbidden_vault_is_told_apart_from_missing(connect, tmp_path):
    vault = standard_vault()
    server = connect([vault])
    server.forced[f"/v1/vaults/{vault.id}/items"] = Forced(403, json.dumps({"status": 403, "message": f"Authorization: token does not have access to vault {vault.id}"}))
    result = check(tmp_path=tmp_path)
    assert result.code == 6
    assert "FAIL    item grafana: the Connect token has no access looking up item 'grafana' in vault 'Kubernetes' (403)" in result.out


@pytest.mark.parametrize(
    ("vaults", "expected"),
    [
        ([Vault("Other")], "FAIL    vault Kubernetes: no vault titled 'Kubernetes' is visible to the token"),
        ([Vault("Kubernetes"), Vault("Kubernetes")], "FAIL    vault Kubernetes: 2 vaults are titled 'Kubernetes'; External Secrets needs exactly one"),
    ],
    ids=["missing", "duplicate"],
)
def test_vault_must_resolve_to_exactly_one(connect, tmp_path, vaults, expected):
    connect(vaults)
    result = check(tmp_path=tmp_path)
    assert result.code == 6 and expected in result.out


def test_out_of_scope_vault_looks_missing(connect, tmp_path):
    vault = standard_vault()
    connect([vault], scope=set())
    assert "no vault titled 'Kubernetes' is visible to the token" in check(tmp_path=tmp_path).out


def test_duplicate_item_titles_fail(connect, tmp_path):
    connect([standard_vault(extra=[login_item("grafana", "other", "x")])])
    result = check(tmp_path=tmp_path)
    assert result.code == 6
    assert "FAIL    item grafana: 2 items are titled 'grafana' in vault 'Kubernetes'; External Secrets needs exactly one" in result.out


@pytest.mark.parametrize("title", ["Grafana + Loki", "ops & monitoring", "grafana #1", "100% grafana", "grafana (prod)/admin"])
def test_awkward_titles_find_the_right_item(connect, tmp_path, title):
    # The decoy is what a naive (SDK-built) query string would match instead.
    decoy_title = title.replace("+", " ").split("#")[0].split("&")[0].strip()
    decoy = Item(decoy_title, [Field("notesPlain", "")])
    extra = [decoy] if decoy_title != title else []
    server = connect([standard_vault(grafana=login_item(title, "admin", PASSWORD), extra=extra)])
    answers = MINIMAL_ANSWERS + f"secrets:\n  grafana_item: {json.dumps(title)}\n"
    result = check(answers, tmp_path=tmp_path)
    assert result.code == 0, result
    assert f"OK      item {title}: found once" in result.out
    item_queries = [p for p in server.requests_to("/v1/vaults/") if "filter=" in p and "alertmanager" not in p]
    (query,) = item_queries
    assert go_parse_query(query.split("?", 1)[1]) == {"filter": [f'title eq "{title}"']}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ([Field("username", "admin")], "FAIL    field grafana/password: no field labelled 'password' (labels present: 'username')"),
        ([Field("username", "admin"), Field("password", "a"), Field("password", "b")], "FAIL    field grafana/password: 2 fields are labelled 'password'"),
        ([Field("username", "admin"), Field("password", "  ")], "FAIL    field grafana/password: is empty; fill it in 1Password"),
        ([Field("username", "admin"), Field("password", "x"), Field("Admin Password", "y")], "FAIL    labels of grafana: 'Admin Password' cannot become Secret keys"),
        ([Field("username", "admin"), Field("password", "x"), Field("note", "a"), Field("note", "b")], "FAIL    labels of grafana: 'note' appear more than once"),
        ([Field("username", "admin"), Field("password", "x"), Field("", "a"), Field("", "b")], "FAIL    labels of grafana: an empty label appear more than once"),
    ],
    ids=["missing", "duplicate", "empty", "invalid-key", "duplicate-other", "duplicate-empty"],
)
def test_field_rules_match_external_secrets(connect, tmp_path, fields, expected):
    connect([standard_vault(grafana=Item("grafana", fields))])
    result = check(tmp_path=tmp_path)
    assert result.code == 6
    assert expected in result.out
    assert_nothing_secret(result.out)


@pytest.mark.parametrize(
    ("value", "status", "fragment"),
    [
        (WEBHOOK, "ok", "a Slack incoming webhook URL"),
        ("https://hooks.slack.com/services/T0FAKE/B0FAKE/short", "warn", "unusual lengths"),
        ("https://hooks.slack.com/workflows/T0FAKEFAK/A0FAKE/123/abc", "fail", "Workflow Builder"),
        ("https://example.com/webhook", "warn", "not a known Slack or Slack-compatible webhook"),
        ("https://chat.example.com/hooks/xkcd7q3wqf8zmbz1t4sqe3wnhy", "ok", "Slack-compatible webhook (Mattermost or Rocket.Chat"),
        ("https://rocket.example.com/hooks/AbCdEf123/GhIjKl456", "ok", "Slack-compatible webhook"),
        ("https://discord.com/api/webhooks/123456789/AbCdEf-token/slack", "ok", "Discord webhook's Slack-compatible endpoint"),
        ("https://discord.com/api/webhooks/123456789/AbCdEf-token", "warn", "append /slack"),
        ("http://chat.example.com/hooks/xkcd7q3wqf8zmbz1t4sqe3wnhy", "fail", "cannot be a Slack-style webhook"),
        ("https://chat.example.com", "fail", "cannot be a Slack-style webhook"),
        ("not a url at all", "fail", "cannot be a Slack-style webhook"),
        ("https://hooks.slack.com/other", "fail", "does not look like a Slack incoming webhook"),
        ("  " + WEBHOOK + "\n", "ok", "a Slack incoming webhook URL"),
    ],
)
def test_webhook_shape(value, status, fragment):
    outcome = webhook_outcome("field x/y", value)
    assert outcome.status == status and fragment in outcome.message
    assert value.strip() not in outcome.message


def test_odd_webhook_only_warns(connect, tmp_path):
    connect([standard_vault(slack=secure_note("alertmanager", SLACK_WEBHOOK_URL="https://hooks.slack.com/services/T1/B1/x"))])
    result = check(tmp_path=tmp_path)
    assert result.code == 0
    assert "WARN    field alertmanager/SLACK_WEBHOOK_URL" in result.out


@pytest.mark.parametrize(
    ("forced", "expected"),
    [
        (Forced(500, json.dumps({"status": 500, "message": "Something went wrong"})), "answered 500 (Something went wrong)"),
        (Forced(502, "<html><body>Bad Gateway</body></html>", "text/html"), "(502, not JSON) looking up vault 'Kubernetes'; is a proxy in front of it?"),
        (Forced(200, "<html>login</html>", "text/html"), "(200, not JSON)"),
    ],
    ids=["500-json", "502-html", "200-html"],
)
def test_server_errors_become_clear_outcomes(connect, tmp_path, forced, expected):
    server = connect([standard_vault()])
    server.forced["/v1/vaults"] = forced
    result = check(tmp_path=tmp_path)
    assert result.code == 6
    assert expected in result.out
    assert "Traceback" not in result.out + result.err


def test_html_from_a_proxy_on_the_item_read_is_caught(connect, tmp_path):
    vault = standard_vault()
    server = connect([vault])
    server.forced[f"/v1/vaults/{vault.id}/items/{vault.items[0].id}"] = Forced(502, "<html>Bad Gateway</html>", "text/html")
    result = check(tmp_path=tmp_path)
    assert result.code == 6
    assert "FAIL    item grafana: unexpected answer from 1Password Connect reading item 'grafana'" in result.out


def test_host_without_scheme_is_a_config_error(monkeypatch, tmp_path):
    monkeypatch.setenv("OP_CONNECT_HOST", "onepassword-connect:8080")
    monkeypatch.setenv("OP_CONNECT_TOKEN", TOKEN)
    result = check(tmp_path=tmp_path)
    assert result.code == 6
    assert "OP_CONNECT_HOST must start with http:// or https://" in result.err
    assert_nothing_secret(result.out, result.err)


def test_independent_requests_run_concurrently(connect):
    server = connect([standard_vault()])
    server.delay = 0.2
    gateway = ConnectGateway(server.url, TOKEN, timeout=5)
    try:
        report = run_checks(answers_file.parse(MINIMAL_ANSWERS, "a.yaml"), gateway)
    finally:
        gateway.close()
    assert report.ok
    assert server.max_in_flight >= 2  # heartbeat with the vault lookup, then both items together
    paths = [p for _, p, _ in server.log]
    assert len(paths) == 6  # heartbeat, vault, 2 x (item list, item by id): nothing retried or doubled


def test_field_outcomes_never_carry_values():
    fields = [ItemField("username", "admin"), ItemField("password", PASSWORD), ItemField("Bad Label", PASSWORD)]
    outcomes = field_outcomes("grafana", fields, ["username", "password"], None)
    assert_nothing_secret(*(o.message for o in outcomes))
    assert [o.status for o in outcomes] == ["ok", "ok", "fail"]


def test_check_secrets_reads_the_repo_answers_by_default(connect, tmp_path):
    connect([standard_vault()])
    repo = tmp_path / "repo"
    (repo / ".obs-wizard").mkdir(parents=True)
    (repo / ".obs-wizard/answers.yaml").write_text(MINIMAL_ANSWERS)
    before = snapshot_tree(repo)
    result = run_cli("check-secrets", "--repo", repo)
    assert result.code == 0, result
    assert snapshot_tree(repo) == before


def test_item_that_vanishes_between_list_and_read_is_reported(connect, tmp_path):
    vault = standard_vault()
    server = connect([vault])
    server.forced[f"/v1/vaults/{vault.id}/items/{vault.items[0].id}"] = Forced(404, json.dumps({"status": 404, "message": "item not found"}))
    result = check(tmp_path=tmp_path)
    assert result.code == 6
    assert "FAIL    item grafana: item 'grafana' vanished or is not readable (404)" in result.out


class TestFakeConnectFidelity:
    """The fake answers as a real Connect server does (onepassword.md §1, §5)."""

    def get(self, server, path, token=TOKEN):
        import httpx

        return httpx.get(server.url + path, headers={"Authorization": f"Bearer {token}"} if token else {})

    def test_auth_filters_and_shapes(self):
        vault = standard_vault()
        with FakeConnect([vault], TOKEN) as server:
            assert self.get(server, "/heartbeat", token=None).text == "."
            unauthorized = self.get(server, "/v1/vaults", token=None)
            assert (unauthorized.status_code, unauthorized.json()) == (401, {"status": 401, "message": "Invalid bearer token"})
            # Python SDK form and ESO (Go) form of the same vault lookup.
            assert [v["name"] for v in self.get(server, '/v1/vaults?filter=name%20eq%20%22Kubernetes%22').json()] == ["Kubernetes"]
            assert [v["name"] for v in self.get(server, "/v1/vaults?filter=title+eq+%22Kubernetes%22").json()] == ["Kubernetes"]
            assert self.get(server, "/v1/vaults?filter=name+eq+%22kubernetes%22").json() == []  # exact match
            assert self.get(server, "/v1/vaults?filter=name+eq+%22a%zz%22").status_code == 400  # bad escape
            assert self.get(server, '/v1/vaults?filter=title eq "a"&b"').status_code == 400  # & splits the filter
            summaries = self.get(server, f"/v1/vaults/{vault.id}/items").json()
            assert {s["title"] for s in summaries} == {"grafana", "alertmanager"}
            assert all("fields" not in s and "sections" not in s for s in summaries)
            full = self.get(server, f"/v1/vaults/{vault.id}/items/{vault.items[0].id}").json()
            assert [f["label"] for f in full["fields"]] == ["username", "password", "notesPlain"]
            assert self.get(server, "/v1/vaults/not-an-id/items").json() == {"status": 400, "message": "Invalid Vault UUID"}
            assert self.get(server, f"/v1/vaults/{vault.id}/items/short").status_code == 400
            missing = self.get(server, f"/v1/vaults/{vault.id}/items/{'a' * 26}")
            assert (missing.status_code, missing.json()["message"]) == (404, f"item {'a' * 26} not found")
            assert self.get(server, f"/v1/vaults/{'b' * 26}").status_code == 403

    def test_plus_decodes_as_space_like_a_go_server(self):
        assert go_parse_query("filter=title+eq+%22a%2Bb%22") == {"filter": ['title eq "a+b"']}
        assert go_parse_query('filter=title eq "a+b"') == {"filter": ['title eq "a b"']}
        with pytest.raises(ValueError):
            go_parse_query("filter=50%")

    def test_the_sdk_title_helper_really_has_the_bug_we_guard_against(self):
        from onepasswordconnectsdk.client import new_client

        vault = standard_vault(grafana=login_item("a+b", "admin", PASSWORD), extra=[Item("a b", [Field("notesPlain", "")])])
        with FakeConnect([vault], TOKEN) as server:
            client = new_client(server.url, TOKEN)
            wrong = client.get_item_by_title("a+b", vault.id)
            assert wrong.title == "a b"  # the SDK's own helper silently finds the wrong item
            gateway = ConnectGateway(server.url, TOKEN)
            (found,) = gateway.items_titled(gateway.vaults_named("Kubernetes")[0], "a+b")
            assert found.title == "a+b"
            gateway.close()


def test_outcomes_are_reported_as_they_become_known(connect):
    server = connect([standard_vault()])
    seen = []
    gateway = ConnectGateway(server.url, TOKEN, timeout=5)
    try:
        report = run_checks(answers_file.parse(MINIMAL_ANSWERS, "a.yaml"), gateway, on_outcome=seen.append)
    finally:
        gateway.close()
    assert seen == report.outcomes and len(seen) == 10
    assert [o.check for o in seen[:3]] == ["Connect reachable", "token accepted", "vault Kubernetes"]


# --- the heartbeat URL ------------------------------------------------------------------------------

HEARTBEAT_URL = "https://hc-ping.com/5f3c9a4e-8d1b-4f7a-9c2e-0a1b2c3d4e5f"
HEARTBEAT_ANSWERS = MINIMAL_ANSWERS + "secrets:\n  heartbeat_item: heartbeat\n"


def test_heartbeat_item_is_checked_and_its_url_never_printed(connect, tmp_path):
    server = connect([standard_vault(extra=[secure_note("heartbeat", HEARTBEAT_URL=HEARTBEAT_URL)])])
    result = check(HEARTBEAT_ANSWERS, tmp_path=tmp_path)
    assert result.code == 0, result
    assert "OK      item heartbeat: found once in vault 'Kubernetes'" in result.out
    assert "OK      field heartbeat/HEARTBEAT_URL: an https URL on hc-ping.com" in result.out
    assert_nothing_secret(result.out, result.err)
    assert HEARTBEAT_URL not in result.out + result.err and "5f3c9a4e" not in result.out
    assert any("heartbeat" in p for p in server.requests_to("/v1/vaults/"))  # the item was looked up


def test_heartbeat_in_the_slack_item_is_one_item_read(connect, tmp_path):
    slack = secure_note("alertmanager", SLACK_WEBHOOK_URL=WEBHOOK, HEARTBEAT_URL=HEARTBEAT_URL)
    connect([standard_vault(slack=slack)])
    result = check(MINIMAL_ANSWERS + "secrets:\n  heartbeat_item: alertmanager\n", tmp_path=tmp_path)
    assert result.code == 0, result
    assert result.out.count("item alertmanager: found once") == 1
    assert "OK      field alertmanager/SLACK_WEBHOOK_URL" in result.out and "OK      field alertmanager/HEARTBEAT_URL" in result.out


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, "FAIL    field heartbeat/HEARTBEAT_URL: no field labelled 'HEARTBEAT_URL'"),
        ({"HEARTBEAT_URL": ""}, "FAIL    field heartbeat/HEARTBEAT_URL: is empty"),
        ({"HEARTBEAT_URL": "http://hc-ping.com/5f3c9a4e"}, "FAIL    field heartbeat/HEARTBEAT_URL: is not an https URL"),
        ({"HEARTBEAT_URL": "hc-ping.com/5f3c9a4e"}, "FAIL    field heartbeat/HEARTBEAT_URL: is not an https URL"),
        ({"HEARTBEAT_URL": WEBHOOK}, "FAIL    field heartbeat/HEARTBEAT_URL: is a Slack webhook"),
        ({"PING_URL": HEARTBEAT_URL}, "labels present: 'PING_URL', 'notesPlain'"),
        ({"HEARTBEAT_URL": "https://status.example.com/api/v1/endpoints/core_5f3c9a4e/external?success=true"},
         "FAIL    field heartbeat/HEARTBEAT_URL: is a gatus external-endpoint URL; gatus accepts the push only with its token "
         "as 'Authorization: Bearer': put the token in a field of the same item and set secrets.heartbeat_token_field to its label"),
    ],
    ids=["missing", "empty", "http", "no-scheme", "slack-url", "other-label", "gatus"],
)
def test_heartbeat_field_faults(connect, tmp_path, fields, expected):
    connect([standard_vault(extra=[secure_note("heartbeat", **fields)])])
    result = check(HEARTBEAT_ANSWERS, tmp_path=tmp_path)
    assert result.code == 6, result
    assert expected in result.out
    assert_nothing_secret(result.out, result.err)
    assert "5f3c9a4e" not in result.out + result.err


GATUS_URL = "https://status.example.com/api/v1/endpoints/core_5f3c9a4e/external?success=true"
GATUS_ANSWERS = HEARTBEAT_ANSWERS + "  heartbeat_token_field: HEARTBEAT_TOKEN\n"


def test_a_gatus_heartbeat_with_its_token_field_passes_and_neither_value_is_printed(connect, tmp_path):
    connect([standard_vault(extra=[secure_note("heartbeat", HEARTBEAT_URL=GATUS_URL, HEARTBEAT_TOKEN="gatus-t0ken-5f3c9a4e")])])
    result = check(GATUS_ANSWERS, tmp_path=tmp_path)
    assert result.code == 0, result
    assert ("OK      field heartbeat/HEARTBEAT_URL: a gatus external-endpoint URL on status.example.com, "
            "sent with the bearer token from 'HEARTBEAT_TOKEN'") in result.out
    assert "OK      field heartbeat/HEARTBEAT_TOKEN" in result.out
    assert "5f3c9a4e" not in result.out + result.err and "t0ken" not in result.out + result.err


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"HEARTBEAT_URL": GATUS_URL}, "FAIL    field heartbeat/HEARTBEAT_TOKEN: no field labelled 'HEARTBEAT_TOKEN'"),
        ({"HEARTBEAT_URL": GATUS_URL, "HEARTBEAT_TOKEN": ""}, "FAIL    field heartbeat/HEARTBEAT_TOKEN: is empty"),
        ({"HEARTBEAT_URL": GATUS_URL.removesuffix("?success=true"), "HEARTBEAT_TOKEN": "gatus-t0ken"},
         "FAIL    field heartbeat/HEARTBEAT_URL: is a gatus external-endpoint URL without ?success=true"),
    ],
    ids=["no-token-field", "empty-token", "no-success"],
)
def test_gatus_heartbeat_faults(connect, tmp_path, fields, expected):
    connect([standard_vault(extra=[secure_note("heartbeat", **fields)])])
    result = check(GATUS_ANSWERS, tmp_path=tmp_path)
    assert result.code == 6, result
    assert expected in result.out
    assert "5f3c9a4e" not in result.out + result.err and "t0ken" not in result.out + result.err


def test_missing_heartbeat_item_fails_but_no_heartbeat_answer_asks_for_none(connect, tmp_path):
    server = connect([standard_vault()])
    assert check(tmp_path=tmp_path).code == 0
    assert not any("heartbeat" in p for p in server.requests_to("/v1/"))
    result = check(HEARTBEAT_ANSWERS, tmp_path=tmp_path)
    assert result.code == 6
    assert "FAIL    item heartbeat: no item titled 'heartbeat' in vault 'Kubernetes'" in result.out


def test_check_secrets_writes_nothing_so_it_does_not_say_so(connect, tmp_path):
    connect([Vault("Kubernetes", [login_item("grafana", "admin", PASSWORD)])])
    failed = check(tmp_path=tmp_path)
    assert failed.code == 6 and "the 1Password items are not what the ExternalSecrets need" in failed.err
    assert "nothing was written" not in failed.out + failed.err


def test_check_secrets_without_connect_does_not_say_nothing_was_written(tmp_path):
    result = check(tmp_path=tmp_path)
    assert result.code == 7 and "OP_CONNECT_HOST" in result.err
    assert "nothing was written" not in result.err and "--skip-secret-check" not in result.err


# --- kube-prometheus-stack off: no ExternalSecret is written, so no item is needed ----------------------

KPS_OFF = MINIMAL_ANSWERS + "apps:\n  kube_prometheus_stack: false\n"


def test_no_item_is_asked_for_when_kube_prometheus_stack_is_off(connect, tmp_path, monkeypatch):
    from wizard.onepassword.check import NOTHING_TO_CHECK

    server = connect([Vault("Kubernetes", [])])  # none of the items exists
    result = check(KPS_OFF, tmp_path=tmp_path)
    assert result.code == 0, result
    assert f"secret check: {NOTHING_TO_CHECK}" in result.out and server.requests_to("/v1/") == []
    monkeypatch.delenv("OP_CONNECT_HOST")
    monkeypatch.delenv("OP_CONNECT_TOKEN")
    assert check(KPS_OFF, tmp_path=tmp_path).code == 0  # Connect is not needed either
    repo = flux_repo(tmp_path / "repo")
    written = run_cli("--answers", tmp_path / "answers.yaml", "--repo", repo)  # no --skip-secret-check
    assert written.code == 0, written
    assert f"secret check: {NOTHING_TO_CHECK}" in written.out
    assert not (repo / "kubernetes/apps/observability/kube-prometheus-stack").exists()
