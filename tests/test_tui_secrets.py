"""The wizard's Secrets step and re-run notes at 80x24: what 1Password must hold (derived from the
render) with each entry's status, how to reach Connect, Skip remembered; "file says 45d" beside a
field; a pick list's "other" leads to the explicit outside-repo confirmation."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, Collapsible, Input, Select, Switch

from tests.conftest import EXAMPLE_ANSWERS, flux_repo, run_cli
from tests.test_tui import CLUSTER, LAST_FORM, NS, REVIEW, choose_write, fill, make_app
from wizard.answers.form import OTHER
from wizard.tui.components.field_row import FieldRow
from wizard.tui.components.secrets_guide import SecretsGuide

KPS = f"{NS}/kube-prometheus-stack/app/helmrelease.yaml"


def error_of(app, key: str) -> str:
    return str(app.query_one(f"#row-{key.replace('.', '-')}", FieldRow).query_one(".field-error").render())


OTHER_CASES = [  # (step, answer, a name the repo lacks, what the error names, the confirming answer)
    (1, "cluster.storage_class", "ceph-block", "the repo defines no StorageClass ceph-block", "StorageClass is outside the repo"),
    (3, "grafana.gateway_name", "envoy-internal", "the repo defines no Gateway kube-system/envoy-internal", "Gateway is outside the repo"),
    (4, "secrets.store", "onepassword-connect", "the repo defines no ClusterSecretStore backed by 1Password onepassword-connect",
     "ClusterSecretStore is outside the repo"),
]


@pytest.mark.parametrize(("step", "key", "name", "error", "option"), OTHER_CASES, ids=["storageclass", "gateway", "store"])
async def test_other_in_a_pick_list_needs_the_outside_repo_confirmation(tmp_path, step, key, name, error, option):
    repo = flux_repo(tmp_path / "home-ops")
    app = make_app(repo)
    dashed = key.replace(".", "-")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("ctrl+n")
        await fill(app, pilot, CLUSTER)
        for _ in range(step - 1):
            await pilot.press("ctrl+n")
            await pilot.pause()
        assert app.index == step
        pick = app.query_one(f"#pick-{dashed}", Select)
        pick.focus()
        await pilot.press("space")  # open the list: what the repo defines, then other (Enter goes to the next field)
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert pick.value == OTHER
        entry = app.query_one(f"#input-{dashed}", Input)
        assert not entry.has_class("-hidden")
        entry.focus()
        await pilot.press("ctrl+u", *name)
        await pilot.pause()
        assert entry.value == name
        await pilot.press("ctrl+n")  # refused: the repo defines no such object, and nothing said it lives outside
        await pilot.pause()
        assert app.index == step
        message = error_of(app, key)
        assert error in message and f'switch on "{option}" under Advanced options' in message
        app.query_one(f"#step-{step} Collapsible", Collapsible).collapsed = False
        await pilot.pause()
        outside = app.query_one(f"#row-{dashed}", FieldRow).question.outside_repo
        confirm = app.query_one(f"#input-{outside.replace('.', '-')}", Switch)
        confirm.focus()
        await pilot.press("space")  # the explicit confirmation
        await pilot.pause()
        assert confirm.value and error_of(app, key) == ""
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.index == step + 1
    data = app.draft.answers().model_dump()
    assert data[key.split(".")[0]][key.split(".")[1]] == name
    assert data[outside.split(".")[0]][outside.split(".")[1]] is True


# --- a re-run: the file's value beside the field, the changed answers first on Review ------------------


@pytest.fixture
def retention_edited(tmp_path) -> Path:
    """A repo written by obs-wizard from the example answers (retention 30d), then retention set to 45d by hand."""
    repo = flux_repo(tmp_path / "home-ops")
    assert run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check").code == 0
    path = repo / KPS
    assert "retention: 30d" in path.read_text()
    path.write_text(path.read_text().replace("retention: 30d", "retention: 45d"))
    return repo


def note_of(app, key: str) -> str:
    notes = app.query_one(f"#row-{key.replace('.', '-')}", FieldRow).query(".field-note")
    return str(notes.first().render()) if notes else ""


async def test_a_value_changed_on_disk_is_told_beside_its_field(retention_edited):
    app = make_app(retention_edited)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n", "ctrl+n")
        await pilot.pause()
        assert app.query_one("#input-metrics-retention", Input).value == "30d"  # the saved answer
        assert note_of(app, "metrics.retention") == "⚠ file says 45d"
        assert note_of(app, "metrics.pvc_size") == "" and note_of(app, "logs.retention") == ""
        row = app.query_one("#row-metrics-retention", FieldRow)
        note = row.query_one(".field-note")
        assert note.region.height >= 1 and row.region.contains_region(note.region)  # on screen, beside the field


@pytest.mark.parametrize(("side", "shown"), [("theirs", "30d -> 60d"), ("ours", "30d -> 45d")])
async def test_review_lists_the_changed_answers_first_and_follows_a_kept_value(retention_edited, side, shown):
    from tests.test_tui_review import pick
    from wizard.tui.components.conflict_picker import ConflictPicker

    app = make_app(retention_edited)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n", "ctrl+n")
        await fill(app, pilot, {"metrics.retention": "60d"})
        for _ in range(LAST_FORM - 1):
            await pilot.press("ctrl+n")
            await pilot.pause()
        assert app.index == REVIEW
        summary = app.query_one("#review-summary")
        assert str(summary.render()).splitlines()[:2] == ["Changed answers (1):", "  Metrics retention 30d -> 60d"]
        assert app.query_one("#review-conflicts").region.y < summary.region.y < app.query_one("#review-files").region.y
        pick(app.query_one(ConflictPicker), side)  # keep mine: the answers follow the value kept on disk
        await pilot.pause()
        assert str(summary.render()).splitlines()[1] == f"  Metrics retention {shown}"


# --- the Secrets step: what 1Password must hold, each status, how to reach Connect, Skip -----------------

WEBHOOK = "https://hooks.slack.com/services/T0FAKEFAK/B0FAKEFAK/abcdefghijklmnopqrstuvwx"
PASSWORD = "pw-never-shown-4711"
TOKEN = "tok-never-shown-0815"
SECRETS_STEP = 4


async def to_secrets(app, pilot, values: dict[str, str] | None = None, cluster: dict[str, str] | None = None) -> None:
    await pilot.press("ctrl+n")
    await fill(app, pilot, {**CLUSTER, **(cluster or {})})
    for _ in range(SECRETS_STEP - 1):
        await pilot.press("ctrl+n")
        await pilot.pause()
    assert app.index == SECRETS_STEP
    if values:
        await fill(app, pilot, values)


def rows(app) -> list[tuple[str, str]]:
    """(status, what) per row of the list, e.g. ("found", "label username")."""
    guide = app.query_one(SecretsGuide)
    out = []
    for need in guide.wanted:
        status = guide.status_of(need)
        out.append((status.word, f"{need.kind} {need.name}"))
    return out


def needs_text(app) -> str:
    return str(app.query_one("#secrets-needs").render())


async def test_the_list_is_what_the_rendered_external_secrets_read(tmp_path):
    app = make_app(flux_repo(tmp_path / "home-ops"))
    async with app.run_test(size=(80, 24)) as pilot:
        await to_secrets(app, pilot)
        assert rows(app) == [("not checked", "vault Kubernetes"), ("not checked", "item grafana"),
                             ("not checked", "field username"), ("not checked", "field password"),
                             ("not checked", "item alertmanager"), ("not checked", "field SLACK_WEBHOOK_URL")]
        text = needs_text(app)
        assert "item grafana  (fills grafana-admin)" in text and "label SLACK_WEBHOOK_URL" in text
        assert "HEARTBEAT" not in text  # no heartbeat answered: none rendered, none needed
        await fill(app, pilot, {"secrets.heartbeat_item": "uptime", "secrets.grafana_password_field": "GF_ADMIN_PASSWORD"})
        assert rows(app)[2:4] == [("not checked", "field username"), ("not checked", "field GF_ADMIN_PASSWORD")]
        assert rows(app)[-2:] == [("not checked", "item uptime"), ("not checked", "field HEARTBEAT_URL")]
        # exactly what the render's ExternalSecrets read: every item key and every label their templates index
        from wizard.render import render
        from wizard.render.extract import documents

        rendered = render.render(app.draft.answers())
        keys = [e["extract"]["key"] for _, doc in documents(rendered, "ExternalSecret") for e in doc["spec"]["dataFrom"]]
        assert [what.split(" ", 1)[1] for _, what in rows(app) if what.startswith("item ")] == keys
    # with kube-prometheus-stack off nothing renders an ExternalSecret: nothing is needed
    app = make_app(flux_repo(tmp_path / "kps-off"))
    async with app.run_test(size=(80, 24)) as pilot:
        await to_secrets(app, pilot, cluster={"apps.kube_prometheus_stack": "false"})
        assert rows(app) == [] and "no 1Password item is needed" in needs_text(app)


async def test_check_now_gives_each_entry_its_status(tmp_path):
    from tests.fake_connect import FakeConnect, Vault, login_item, secure_note

    vault = Vault("Kubernetes", [login_item("grafana", "admin", PASSWORD),  # found, both labels
                                 secure_note("uptime", HEARTBEAT_URL="https://hc-ping.com/abc"),
                                 secure_note("uptime", HEARTBEAT_URL="https://hc-ping.com/def")])  # duplicated
    # alertmanager (the Slack item) is missing
    with FakeConnect([vault], TOKEN) as server:
        app = make_app(flux_repo(tmp_path / "home-ops"))
        async with app.run_test(size=(80, 24)) as pilot:
            await to_secrets(app, pilot)
            await fill(app, pilot, {"secrets.heartbeat_item": "uptime"})
            app.query_one("#connect-host", Input).value = server.url
            app.query_one("#connect-token", Input).value = TOKEN
            app.query_one("#check-now", Button).press()
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert rows(app) == [("found", "vault Kubernetes"), ("found", "item grafana"), ("found", "field username"),
                                 ("found", "field password"), ("missing", "item alertmanager"),
                                 ("not checked", "field SLACK_WEBHOOK_URL"), ("duplicated", "item uptime"),
                                 ("not checked", "field HEARTBEAT_URL")]
            text = needs_text(app)
            assert "✗ missing     item alertmanager" in text and "no item titled 'alertmanager'" in text
            assert "✗ duplicated  item uptime" in text and "✓ found       item grafana" in text
            results = str(app.query_one("#check-results").render())
            assert "✓ Connect reachable" in results
            # the verdict names what failed, not only its row far above (issue 22.2)
            verdict = results.splitlines()[-1]
            assert verdict.startswith("✗ the items are not what the ExternalSecrets need: item alertmanager: "), verdict
            assert verdict.endswith("more, marked above)"), verdict
            screen = text + results + str(app.query_one("#connect-reach").render())
            assert PASSWORD not in screen and TOKEN not in screen and "hc-ping.com/abc" not in screen
            # a title typed since the check: that entry is not checked any more, the others keep theirs
            await fill(app, pilot, {"secrets.slack_item": "slack"})
            assert ("not checked", "item slack") in rows(app) and ("found", "item grafana") in rows(app)
            # Connect down: every entry is unreachable
            app.query_one("#connect-host", Input).value = "http://127.0.0.1:9"
            app.query_one("#check-now", Button).press()
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert {status for status, _ in rows(app)} == {"unreachable"}
            assert needs_text(app).count("cannot connect to 1Password Connect at http://127.0.0.1:9") == 1  # told once


async def test_a_rejected_typed_token_is_called_the_typed_token(tmp_path):
    from tests.fake_connect import FakeConnect, Vault

    with FakeConnect([Vault("Kubernetes", [])], TOKEN) as server:
        app = make_app(flux_repo(tmp_path / "home-ops"))
        async with app.run_test(size=(80, 24)) as pilot:
            await to_secrets(app, pilot)
            app.query_one("#connect-host", Input).value = server.url
            app.query_one("#connect-token", Input).value = "not-the-token"  # typed here; OP_CONNECT_TOKEN is unset
            app.query_one("#check-now", Button).press()
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            results = str(app.query_one("#check-results").render())
            assert "(401)" in results and "check the Connect token typed above" in results, results
            assert "OP_CONNECT_TOKEN" not in results and "not-the-token" not in results
            box = app.query_one("#check-results")
            pane = app.query_one(f"#step-{app.index}")
            assert box.region.y < pane.region.bottom  # the results were scrolled into view


CONNECT_STORE = """\
---
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata:
  name: onepassword-connect
spec:
  provider:
    onepassword:
      connectHost: http://onepassword-connect.security.svc.cluster.local:8080
      vaults:
        Homelab: 1
      auth:
        secretRef:
          connectTokenSecretRef:
            name: onepassword-connect-token
            key: OP_CONNECT_TOKEN
            namespace: security
"""


async def test_how_to_reach_connect_names_the_service_discovery_found(tmp_path, monkeypatch):
    repo = flux_repo(tmp_path / "home-ops")
    store = repo / "kubernetes/apps/security/onepassword-connect/app/clustersecretstore.yaml"
    store.parent.mkdir(parents=True)
    store.write_text(CONNECT_STORE)
    monkeypatch.setenv("OP_CONNECT_TOKEN", TOKEN)
    app = make_app(repo)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_secrets(app, pilot, {"secrets.store": "onepassword-connect", "secrets.vault": "Homelab"})
        reach = str(app.query_one("#connect-reach").render())
        assert "the Service security/onepassword-connect, port 8080 (its connectHost)" in reach
        assert "  kubectl port-forward -n security svc/onepassword-connect 8080:8080" in reach
        assert "  export OP_CONNECT_HOST=http://127.0.0.1:8080" in reach
        assert ("  export OP_CONNECT_TOKEN=\"$(kubectl get secret -n security onepassword-connect-token "
                "-o jsonpath='{.data.OP_CONNECT_TOKEN}' | base64 -d)\"") in reach
        assert "OP_CONNECT_TOKEN (not shown)" in reach and TOKEN not in reach
        assert rows(app)[0] == ("not checked", "vault Homelab")
        # the other store (connectHost without a port): port 80
        await fill(app, pilot, {"secrets.store": "onepassword", "secrets.vault": "Kubernetes"})
        assert "kubectl port-forward -n external-secrets svc/onepassword 8080:80" in str(app.query_one("#connect-reach").render())
        # a store outside the repo: no Service known, the variables to export
        await fill(app, pilot, {"secrets.store": "elsewhere", "secrets.store_outside_repo": "true"})
        reach = str(app.query_one("#connect-reach").render())
        assert "No Connect Service found in the repo" in reach and "port-forward" not in reach
        assert "export OP_CONNECT_HOST=<" in reach and "export OP_CONNECT_TOKEN=<your Connect token>" in reach


def test_discovery_reads_the_connect_service_from_the_connect_host(tmp_path):
    from wizard.repo.discovery import ConnectService, discover

    repo = flux_repo(tmp_path / "home-ops")
    base = repo / "kubernetes/apps/external-secrets"
    hosts = {"short": "http://onepassword-connect:8080", "ns": "http://connect.vault-ns", "svc": "https://op.ns2.svc",
             "lan": "http://192.168.1.10:8080", "outside": "https://connect.example.com"}
    for name, host in hosts.items():
        (base / name).mkdir(parents=True)
        (base / name / "store.yaml").write_text(CONNECT_STORE.replace("onepassword-connect\nspec", f"{name}\nspec")
                                                 .replace("http://onepassword-connect.security.svc.cluster.local:8080", host))
    found = discover(repo)
    assert found.connect_service("short") == ConnectService("security", "onepassword-connect", 8080, "short")  # the token's ns
    assert found.connect_service("ns") == ConnectService("vault-ns", "connect", 80, "ns")
    assert found.connect_service("svc") == ConnectService("ns2", "op", 443, "svc")
    assert found.connect_service("onepassword") == ConnectService("external-secrets", "onepassword", 80, "onepassword")
    assert found.connect_service("lan") is None and found.connect_service("outside") is None
    assert found.connect_service("absent") is None


async def test_skip_on_the_secrets_step_is_remembered_on_review_and_done(tmp_path):
    from tests.test_tui import DONE
    from wizard.tui.app import SECRETS_SKIP

    repo = flux_repo(tmp_path / "home-ops")
    app = make_app(repo)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_secrets(app, pilot)
        app.query_one("#skip-secrets", Button).press()
        await pilot.pause()
        assert SECRETS_SKIP in str(app.query_one("#check-results").render())
        assert {status for status, _ in rows(app)} == {"not checked"}
        for _ in range(LAST_FORM - SECRETS_STEP + 1):
            await pilot.press("ctrl+n")
            await pilot.pause()
        assert app.index == REVIEW
        assert SECRETS_SKIP in str(app.query_one("#review-summary").render())
        await choose_write(app, pilot)  # no "write without checking?" question, the skip is the answer
        await pilot.pause()
        assert app.screen.__class__.__name__ != "Confirm"
        await app.workers.wait_for_complete()
        await pilot.pause()
        log = "\n".join(app.report_lines)
        assert "1Password check skipped (you chose so)" in log and "Checking the 1Password items" not in log
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.index == DONE
        done = "\n".join(app.done_text)
        assert "Skipped checks (not passed" in done and SECRETS_SKIP in done
    assert (repo / NS / "kube-prometheus-stack/app/externalsecret.yaml").is_file()


# --- the check asks for what the render needs (headless too) ---------------------------------------------


def test_the_check_asks_only_for_what_the_render_reads(tmp_path):
    from tests.conftest import MINIMAL_ANSWERS
    from tests.fake_connect import FakeConnect, Vault, login_item, secure_note
    from wizard.answers import answers_file
    from wizard.onepassword.check import NOTHING_TO_CHECK, check_connect

    vault = Vault("Kubernetes", [login_item("grafana", "admin", PASSWORD), secure_note("alertmanager", SLACK_WEBHOOK_URL=WEBHOOK)])
    off = answers_file.parse(MINIMAL_ANSWERS + "apps:\n  kube_prometheus_stack: false\n", "a.yaml")
    with FakeConnect([vault], TOKEN) as server:
        report = check_connect(off, server.url, TOKEN)
        assert report.ok and not [o for o in report.outcomes if o.check.startswith(("item ", "field "))]
        assert [o.message for o in report.outcomes] == [NOTHING_TO_CHECK]
        assert server.requests_to("/v1/") == []  # Connect is not even asked
        on = answers_file.parse(MINIMAL_ANSWERS, "a.yaml")
        checks = [o.check for o in check_connect(on, server.url, TOKEN).outcomes]
        assert {"item grafana", "field grafana/username", "field grafana/password", "item alertmanager",
                "field alertmanager/SLACK_WEBHOOK_URL"} <= set(checks)


def test_needed_items_reads_every_external_secret_shape():
    from wizard.onepassword.needs import needed_items

    manifest = """\
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: grafana
spec:
  secretStoreRef: {kind: ClusterSecretStore, name: onepassword-connect}
  target:
    name: grafana-secret
    template:
      data:
        GF_SECURITY_ADMIN_PASSWORD: "{{ .GRAFANA_ADMIN_PASSWORD }}"
        admin-user: '{{ index . "admin user" }}'
  dataFrom:
    - extract: {key: grafana}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: alertmanager
spec:
  secretStoreRef: {kind: ClusterSecretStore, name: onepassword-connect}
  target: {name: alertmanager-secret}
  data:
    - secretKey: pushover
      remoteRef: {key: pushover, property: PUSHOVER_TOKEN}
    - secretKey: pass
      remoteRef: {key: smtp}
  dataFrom:
    - extract: {key: alertmanager, property: SLACK_URL}
"""
    items = {i.title: (i.labels, i.secrets, i.stores) for i in needed_items({"x/externalsecret.yaml": manifest})}
    assert items == {
        "grafana": (["GRAFANA_ADMIN_PASSWORD", "admin user"], ["grafana"], ["onepassword-connect"]),
        "alertmanager": (["SLACK_URL"], ["alertmanager"], ["onepassword-connect"]),
        "pushover": (["PUSHOVER_TOKEN"], ["alertmanager"], ["onepassword-connect"]),
        "smtp": (["password"], ["alertmanager"], ["onepassword-connect"]),  # ESO's default property
    }


# --- snapshots of the Secrets step's guidance at 80x24 ---------------------------------------------------


def _secrets_snapshot_app(tmp_path: Path):
    from tests.test_tui import snapshot_app

    return snapshot_app(tmp_path)


async def _show_guide(pilot, check_unreachable: bool = False) -> None:
    from tests.test_tui import _quiet_cursor

    app = pilot.app
    await to_secrets(app, pilot)
    if check_unreachable:  # nothing listens on port 9: every entry "unreachable", deterministic
        app.query_one("#connect-host", Input).value = "http://127.0.0.1:9"
        app.query_one("#connect-token", Input).value = "x"
        app.query_one("#check-now", Button).press()
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()
    app.query_one(f"#step-{SECRETS_STEP}").scroll_to_widget(app.query_one(SecretsGuide), top=True, animate=False)
    _quiet_cursor(app)
    await pilot.pause()


def test_snapshot_secrets_guidance(snap_compare, tmp_path):
    assert snap_compare(_secrets_snapshot_app(tmp_path), run_before=_show_guide, terminal_size=(80, 24))


def test_snapshot_secrets_guidance_unreachable_no_color(snap_compare, tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")

    async def run_before(pilot) -> None:
        await _show_guide(pilot, check_unreachable=True)

    assert snap_compare(_secrets_snapshot_app(tmp_path), run_before=run_before, terminal_size=(80, 24))


def test_snapshot_secrets_guidance_light_theme(snap_compare, tmp_path):
    app = _secrets_snapshot_app(tmp_path)
    app.theme = "textual-light"
    assert snap_compare(app, run_before=_show_guide, terminal_size=(80, 24))


def test_snapshot_check_now_with_a_failing_field(snap_compare, tmp_path):
    """Check now at 80x24 with the Slack item lacking its field: the verdict naming that field is on screen
    beside the results (issue 22 item 2), not below the buttons out of sight."""
    from tests.fake_connect import FakeConnect, Vault, login_item, secure_note
    from tests.test_tui import _quiet_cursor

    vault = Vault("Kubernetes", [login_item("grafana", "admin", PASSWORD), secure_note("alertmanager", WEBHOOK="x")])
    # The URL is on screen: a fixed port (no other test uses it), below the ephemeral range the other servers' come from
    with FakeConnect([vault], TOKEN, port=18080) as server:
        async def run_before(pilot) -> None:
            app = pilot.app
            await to_secrets(app, pilot)
            app.query_one("#connect-host", Input).value = server.url
            app.query_one("#connect-token", Input).value = TOKEN
            app.query_one("#check-now", Button).press()
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.wait_for_scheduled_animations()
            app.query_one("#check-results").scroll_visible(animate=False, top=False)
            _quiet_cursor(app)
            await pilot.pause()
            verdict = str(app.query_one("#check-results").render()).splitlines()[-1]
            assert "SLACK_WEBHOOK_URL" in verdict, verdict

        assert snap_compare(_secrets_snapshot_app(tmp_path), run_before=run_before, terminal_size=(80, 24))
