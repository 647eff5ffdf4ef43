"""The wizard's fields at 80x24: literal text everywhere (random typing never crashes), focus, when
errors appear, human messages, the keyboard (Enter, F1, Ctrl+C), the title and the folding sidebar."""

from __future__ import annotations

import asyncio
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual.widgets import Input

from tests.conftest import SHARED, flux_repo
from tests.test_tui import CLUSTER, LAST_FORM, fill, make_app
from wizard.session import Session
from wizard.tui.app import WizardApp
from wizard.tui.components.field_row import FieldRow

PRINTABLE = string.printable.replace("\r", "").replace("\x0b", "").replace("\x0c", "") + "[]/\\"


def error_of(app, key: str) -> str:
    row = app.query_one(f"#row-{key.replace('.', '-')}", FieldRow)
    return str(row.query_one(".field-error").render())


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.text(alphabet=PRINTABLE, min_size=0, max_size=24), min_size=40, max_size=40),
       st.text(alphabet="[]/ab", min_size=1, max_size=6))
def test_random_printable_text_in_every_field_never_crashes(tmp_path_factory, texts, typed):
    repo = flux_repo(tmp_path_factory.mktemp("repo"))

    async def scenario() -> None:
        app = WizardApp(Session.open(repo, SHARED / "crds", SHARED / "charts"), repo_label="[red]~/home-ops")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("ctrl+n")
            pool = iter(texts)
            for step in range(1, LAST_FORM + 1):
                await app._go(step)
                await pilot.pause()
                for widget in app.query(f"#step-{step} Input"):
                    widget.value = next(pool, "[/")
                await pilot.pause()
                first = app.query(f"#step-{step} Input").first()
                first.focus()
                await pilot.press(*typed, "enter", "f1")  # typed key by key, then Enter and help
                await pilot.pause()
                if app.screen is not app.screen_stack[0]:
                    await pilot.press("escape")
            await app._go(LAST_FORM + 1)  # Review with whatever the answers are
            await pilot.pause()
            assert app.is_running

    asyncio.run(scenario())


async def test_brackets_are_shown_literally(tmp_path):
    app = make_app(flux_repo(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        await pilot.press(*"[/")  # the crash of issue 13: a Rich MarkupError
        await pilot.pause()
        await fill(app, pilot, {"cluster.storage_class": "fast[/ssd]"})
        app.query_one("#input-cluster-domain", Input).value = "[red]oops"
        await pilot.pause()
        assert "'[red]oops' is not" in error_of(app, "cluster.domain")
        assert "fast[/ssd]" in error_of(app, "cluster.storage_class")


async def test_entering_a_step_focuses_its_first_field_and_errors_wait_for_typing(tmp_path):
    app = make_app(flux_repo(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.focused.id == "input-cluster-domain"
        await pilot.press("tab")  # the domain may be omitted (Flux substitutes it); node count is required
        await pilot.pause()
        assert app.focused.id == "input-cluster-node_count"
        assert error_of(app, "cluster.node_count") == ""  # required, but nothing typed yet: no error
        assert not str(app.query_one("#steps").get_option("nav-1").prompt).startswith("✗")
        await pilot.press("tab")  # leaving the field earns its error
        await pilot.pause()
        assert error_of(app, "cluster.node_count") == "✗ required"
        await fill(app, pilot, CLUSTER)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.focused.id == "input-metrics-scrape_interval"


async def test_letters_in_a_number_field_get_a_word_and_zero_a_human_message(tmp_path):
    app = make_app(flux_repo(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        app.query_one("#input-cluster-node_count", Input).focus()
        await pilot.press("ctrl+u", "t", "h", "r", "e", "e")
        await pilot.pause()
        assert app.query_one("#input-cluster-node_count", Input).value == "three"  # not swallowed
        assert "must be a whole number" in error_of(app, "cluster.node_count")
        await fill(app, pilot, {"cluster.node_count": "0"})
        assert error_of(app, "cluster.node_count") == "✗ must be at least 1"


async def test_a_webhook_url_in_a_label_field_is_not_echoed_and_the_vault_message_fits(tmp_path):
    webhook = "https://hooks.slack.com/services/T0FAKEFAK/B0FAKEFAK/abcdefghijklmnopqrstuvwx"
    app = make_app(flux_repo(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        await fill(app, pilot, CLUSTER)
        for _ in range(3):
            await pilot.press("ctrl+n")
            await pilot.pause()
        await fill(app, pilot, {"secrets.slack_webhook_field": webhook, "secrets.vault": 'Kube"rnetes'})
        message = error_of(app, "secrets.slack_webhook_field")
        assert "not its label" in message and webhook not in message and "hooks.slack" not in message
        assert "item" not in error_of(app, "secrets.vault") and "rename it in 1Password" in error_of(app, "secrets.vault")


async def test_enter_moves_to_the_next_field_and_from_the_last_to_the_next_step(tmp_path):
    app = make_app(flux_repo(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        await pilot.press(*"example.com", "enter")
        assert app.focused.id == "input-cluster-node_count"
        await pilot.press("3", "enter")
        assert app.focused.id == "pick-cluster-storage_class"  # the discovered classes, as a pick list
        assert app.index == 1
        await fill(app, pilot, CLUSTER)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.index == 2 and app.focused.id == "input-metrics-scrape_interval"
        app.query_one("#input-logs-pvc_size", Input).focus()  # the last field of the Retention step
        await pilot.press("enter")
        await pilot.pause()
        assert app.index == 3 and app.sub_title.startswith("Step 3 of ")


async def test_f1_shows_help_for_the_focused_field(tmp_path):
    from wizard.tui.components.help_screen import HelpScreen

    app = make_app(flux_repo(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n", "f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.field_title == "Cluster domain" and "DNS domain" in app.screen.help_text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_ctrl_c_opens_the_quit_dialog(tmp_path):
    app = make_app(flux_repo(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n", "ctrl+c")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "Confirm"
        await pilot.press("ctrl+c")  # a second Ctrl+C does not stack another dialog
        assert len(app.screen_stack) == 2
        await pilot.press("y")
        await pilot.pause()
    assert app.return_value == 130


async def test_the_sidebar_folds_below_90_columns(tmp_path):
    app = make_app(flux_repo(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        assert not app.query_one("#steps").display or app.query_one("#steps").region.width == 0
        await pilot.resize_terminal(120, 30)
        await pilot.pause()
        assert app.query_one("#steps").region.width > 0


async def test_keys_typed_before_the_step_settles_keep_their_field(tmp_path):
    """A fast typist (or a loaded machine) moves into the step before its first-field focus runs:
    that late focus must not yank the cursor back to the first field."""
    app = make_app(flux_repo(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await app._go(1)  # schedules the first-field focus for after the next refresh
        app.query_one("#input-cluster-node_count", Input).focus()  # the operator already tabbed on
        await pilot.pause()
        await pilot.pause()
        assert app.focused.id == "input-cluster-node_count"
        await app._go(2)  # entering another step still starts at its first field
        await pilot.pause()
        assert app.focused.id == "input-metrics-scrape_interval"


@pytest.mark.parametrize("theme", ["dark", "light", "no_color"])
def test_snapshot_help_for_the_focused_field(snap_compare, tmp_path, monkeypatch, theme):
    from tests.test_tui import _quiet_cursor, snapshot_app

    if theme == "no_color":
        monkeypatch.setenv("NO_COLOR", "1")
    app = snapshot_app(tmp_path)
    if theme == "light":
        app.theme = "textual-light"

    async def run_before(pilot) -> None:
        await pilot.press("ctrl+n")
        await pilot.pause()
        _quiet_cursor(pilot.app)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=(80, 24))


def test_every_model_section_has_its_step_so_the_first_frame_names_every_step():
    """The step list is drawn before the model is loaded, from form.STEP_SECTIONS: a model section that is
    not listed there would get a step of its own that the first frame did not name (the app refuses that)."""
    from wizard.answers import form
    from wizard.answers.model import SECTIONS

    listed = [name for _, names in form.STEP_SECTIONS for name in names]
    assert sorted(listed) == sorted(name for name, _ in SECTIONS) and len(set(listed)) == len(listed)
    assert [step.title for step in form.steps()] == [title for title, _ in form.STEP_SECTIONS]


async def test_welcome_is_drawn_before_the_model_loads_and_keys_pressed_at_once_still_work(tmp_path, monkeypatch):
    """Enter pressed on the first frame, before the answers are loaded, starts step 1 as usual: the first handler
    that needs the answers loads them. (The load after the first frame is held back here, so the key comes first.)"""
    monkeypatch.setattr(WizardApp, "_answers_loaded", lambda self: None)
    app = make_app(flux_repo(tmp_path / "home-ops"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app._draft is None and app._form_steps is None  # Welcome is up; nothing of the model yet
        assert "a first run" in str(app.query_one("#welcome-text").render())
        await pilot.press("enter")
        await pilot.pause()
        assert app.index == 1 and app.focused.id == "input-cluster-domain"
        await fill(app, pilot, CLUSTER)
        await pilot.press("ctrl+n")
        assert app.index == 2


async def test_a_refresh_while_a_step_is_being_mounted_shows_its_errors_once_its_fields_exist(tmp_path, monkeypatch):
    """Next pressed the moment the wizard opens: the first full refresh, due right after the first frame, can run
    while the step's fields are being mounted. That ended the wizard in CI ("internal error (NoMatches)", exit 70):
    a field row was asked to show its error before its input existed. Here every step's mount is interleaved
    with a refresh; each row, and the Secrets step's guide, shows what the answers say once it exists."""
    from wizard.tui.components.step_pane import StepPane

    real_mount_all = StepPane.mount_all

    def mount_all(self, widgets, **kwargs):
        mounting = real_mount_all(self, widgets, **kwargs)
        self.app._refresh()  # the rows are in the DOM now, their fields not yet
        return mounting

    monkeypatch.setattr(StepPane, "mount_all", mount_all)
    app = make_app(flux_repo(tmp_path))  # a first run: node count is empty, so step 1 has an error to show
    async with app.run_test(size=(80, 24)) as pilot:
        app.attempted.update(range(1, LAST_FORM + 1))  # every step's errors are shown
        await pilot.press("ctrl+n")
        for step in range(1, LAST_FORM + 1):
            if step > 1:
                await app._go(step)
            await pilot.pause()
            assert app.crash is None and app.index == step
            visible = app._visible_errors(app._errors())
            for row in app.query_one(f"#step-{step}").query(FieldRow):
                shown = str(row.query_one(".field-error").render())
                assert bool(shown) == (row.question.key in visible), (row.question.key, shown, visible)
        assert "✗ required" in error_of(app, "cluster.node_count")
        guide = app.query_one("SecretsGuide")
        told = [str(guide.query_one(part).render()) for part in ("#secrets-needs", "#connect-reach")]
        assert told[0].strip()  # what 1Password must hold, not blank
        app._refresh()  # a refresh now, with every widget in place, changes nothing
        await pilot.pause()
        assert [str(guide.query_one(part).render()) for part in ("#secrets-needs", "#connect-reach")] == told
