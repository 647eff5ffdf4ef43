"""The wizard's Secrets step and re-run notes at 80x24: what 1Password must hold (derived from the
render) with each entry's status, how to reach Connect, Skip remembered; "file says 45d" beside a
field; a pick list's "other" leads to the explicit outside-repo confirmation."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Collapsible, Input, Select, Switch

from tests.conftest import EXAMPLE_ANSWERS, flux_repo, run_cli
from tests.test_tui import CLUSTER, LAST_FORM, NS, REVIEW, fill, make_app
from wizard.form import OTHER
from wizard.tui.components.field_row import FieldRow

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
        await pilot.press("enter")  # open the list: what the repo defines, then other
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
