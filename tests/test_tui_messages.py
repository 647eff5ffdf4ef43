"""Messages that are true and clear: a long value is called too long and not echoed at length; a message
that waits for valid answers names the field; the Next toast names its field; F1 speaks of the switch on
screen as the field does."""

from __future__ import annotations

from tests.conftest import flux_repo
from tests.test_tui import CLUSTER, fill, make_app
from wizard.answers import form
from wizard.tui.components.field_row import FieldRow


def rendered(widget) -> str:
    return str(widget.render())


def test_a_500_character_domain_is_too_long_and_not_echoed():
    draft = form.Draft({"cluster": {"domain": "a" * 500, "node_count": 3, "storage_class": "local-path"}})
    message = draft.errors()["cluster.domain"]
    assert "is too long for a DNS name: 500 characters (at most 253)" in message
    assert "a" * 41 not in message and len(message) < 120
    draft = form.Draft({"cluster": {"domain": "example.com", "node_count": 3, "storage_class": "local-path"},
                        "grafana": {"hostname": "g" * 70 + ".example.com"}})
    assert "has a label of 70 characters: each part between dots is at most 63" in draft.errors()["grafana.hostname"]
    draft = form.Draft({"cluster": {"domain": "Example..com", "node_count": 3, "storage_class": "local-path"}})
    assert draft.errors()["cluster.domain"] == "'Example..com' is not a lower-case DNS name such as example.com"


async def test_the_long_domain_message_fits_two_lines_at_80_columns(tmp_path):
    app = make_app(flux_repo(tmp_path / "home-ops"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        await fill(app, pilot, {**CLUSTER, "cluster.domain": "a" * 500})
        error = app.query_one("#row-cluster-domain", FieldRow).query_one(".field-error")
        assert "too long for a DNS name" in rendered(error) and "a" * 41 not in rendered(error)
        assert error.size.height <= 2


async def test_an_invalid_stored_logs_a_day_is_named_where_the_estimate_waits(tmp_path):
    app = make_app(flux_repo(tmp_path / "home-ops"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        await fill(app, pilot, CLUSTER)
        await pilot.press("ctrl+n")
        await pilot.pause()
        sizing = app.query_one("#sizing")
        assert "waits" not in rendered(sizing)
        await fill(app, pilot, {"logs.daily_volume": "lots"})
        text = rendered(sizing)
        assert 'the estimate waits for a valid "Stored logs a day"' in text
        assert "fill in the cluster and retention answers" not in text


async def test_next_refused_names_the_field(tmp_path):
    app = make_app(flux_repo(tmp_path / "home-ops"))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("ctrl+n")
        await fill(app, pilot, {"cluster.domain": "example.com", "cluster.node_count": "3", "cluster.storage_class": ""})
        await pilot.press("ctrl+n")
        assert app.index == 1
        (notification,) = app._notifications
        assert notification.title == "Next refused"
        title = form.title_of("cluster.storage_class")
        assert notification.message.startswith(f"Fix this step first: {title}: ")


async def test_f1_and_the_toast_say_what_the_field_says_about_a_storage_class_outside_the_repo(tmp_path):
    from wizard.tui.components.help_screen import HelpScreen

    app = make_app(flux_repo(tmp_path / "home-ops"))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("ctrl+n")
        await fill(app, pilot, {**CLUSTER, "cluster.storage_class": "ceph-block"})  # the repo defines local-path only
        await pilot.press("ctrl+n")
        assert app.index == 1
        row = app.query_one("#row-cluster-storage_class", FieldRow)
        on_field = rendered(row.query_one(".field-error"))
        assert "switch on" in on_field and "storage_class_outside_repo: true" not in on_field
        (notification,) = app._notifications
        assert "switch on" in notification.message and "storage_class_outside_repo: true" not in notification.message
        app.query_one("#input-cluster-storage_class").focus()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert "switch on" in app.screen.problem and "storage_class_outside_repo: true" not in app.screen.problem


async def test_a_result_is_shown_only_for_the_value_it_was_computed_from(tmp_path):
    """Under load an edit can still be queued when the screen refreshes: the error of the previous value is
    never shown beside the new text (it was "'grafan' is not a host name" beside grafana.${SECRET_DOMAIN})."""
    app = make_app(flux_repo(tmp_path / "home-ops"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        await fill(app, pilot, {**CLUSTER, "cluster.domain": "Example..com"})
        row = app.query_one("#row-cluster-domain", FieldRow)
        error = row.query_one(".field-error")
        assert "'Example..com' is not a lower-case DNS name" in rendered(error)
        app.query_one("#input-cluster-domain").value = "example.com"  # its Changed message is still queued
        app._refresh()  # a refresh before the edit is applied (the draft still holds Example..com)
        assert app.draft.values["cluster.domain"] == "Example..com"
        assert "Example..com" not in rendered(error) and not error.display
        await pilot.pause()
        assert app.draft.values["cluster.domain"] == "example.com" and not error.display
        app.query_one("#input-cluster-domain").value = "b" * 300  # now the other way: valid, then an invalid edit queued
        app._refresh()
        assert not error.display
        await pilot.pause()
        assert error.display and "too long for a DNS name" in rendered(error)
