"""The `obs-wizard` command line. Headless paths never import Textual or the 1Password SDK."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TextIO

# obs-wizard uses no pydantic plugins; skipping their discovery saves an entry-point scan at start.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from wizard import __version__  # noqa: E402
from wizard.base.errors import BadInput, Exit, WizardError  # noqa: E402

EPILOG = """\
modes:
  obs-wizard [--repo DIR]                    the interactive wizard (Textual) in a terminal
  obs-wizard --plain [--repo DIR]            the same questions as plain prompts
  obs-wizard --init-answers [--repo DIR]     write DIR/.obs-wizard/answers.yaml pre-filled from the repo
  obs-wizard --answers FILE --repo DIR       headless: render, validate and write
  obs-wizard --answers FILE --dry-run        show the plan and diffs, write nothing
  obs-wizard --check                         exit 1 when the repo differs from the answers (CI, pre-commit)
  obs-wizard validate [--answers FILE]       render and validate only
  obs-wizard check-secrets [--answers FILE]  check the 1Password items through 1Password Connect
  obs-wizard fetch-charts [--repo DIR]       pull the charts the repo's OCIRepositories name into the cache
  obs-wizard schema                          print the answers-file JSON Schema
  obs-wizard verify [--context NAME] [--wait 10m] [--json] [--no-test-alert]
                                             check on the live cluster (through kubectl) that the platform
                                             runs, send a test alert, and measure the plan's targets

Without --answers, --check, --dry-run, validate and check-secrets read DIR/.obs-wizard/answers.yaml.
Before writing, the 1Password items are checked through Connect (OP_CONNECT_HOST, OP_CONNECT_TOKEN).

exit codes:
  0  success (or in sync for --check)
  1  --check: the repo differs from what the answers render
  2  bad input: answers file, option or path, or no terminal for the interactive wizard; or a journal
     in .obs-wizard/ this machine's obs-wizard did not write (committed, copied): left alone
  3  the rendered manifests failed validation, or --strict and a check was skipped; nothing was written;
     fetch-charts: a chart could not be fetched or was refused
  4  conflicts: a value changed both by hand and by the answers, a file deleted by hand, or a file
     obs-wizard did not write; every one is listed and nothing was written (see --conflicts, --adopt)
  5  writing failed; every file was restored, or the message names each file to restore by hand
  6  the 1Password check failed (an item or field is missing, duplicated or invalid); nothing was written
  7  1Password Connect is not configured (OP_CONNECT_HOST, OP_CONNECT_TOKEN) and --skip-secret-check
     was not given; nothing was written
  8  another obs-wizard run is writing to the repo (it holds .obs-wizard/lock); nothing was written.
     A read-only command (--check, --dry-run, validate, check-secrets) also exits 8 when an earlier
     write was interrupted: it changes nothing; a writing run undoes that write first
  9  verify: a check on the cluster failed (each one is listed with its object, message and remedy)
  10 verify: the cluster cannot be reached through kubectl (no context, refused, timed out); nothing was checked
  70 internal error (a bug; please report it); nothing was written
  130 cancelled (Ctrl+C, SIGINT or SIGTERM); nothing was written, or, when the files were already
     being put in place, the write was completed first (the message says which)
"""


def _common(defaults: bool) -> argparse.ArgumentParser:
    """Options accepted before and after a subcommand; after it, only what is given overrides."""
    def default(value):
        return value if defaults else argparse.SUPPRESS

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--answers", metavar="FILE", type=Path, default=default(None), help="answers file (YAML); see `obs-wizard schema`")
    common.add_argument("--repo", metavar="DIR", type=Path, default=default(Path(".")), help="root of the GitOps repo (default: .)")
    common.add_argument(
        "--crd-dir", metavar="DIR", type=Path, default=default(None),
        help="folder of CRD YAML files to check custom resources against (default: $OBS_WIZARD_CRD_DIR)",
    )
    common.add_argument(
        "--charts-dir", metavar="DIR", type=Path, default=default(None),
        help="folder of <chart>-<version>/values.yaml chart defaults to check HelmRelease values against "
             "(default: $OBS_WIZARD_CHARTS_DIR)",
    )
    common.add_argument(
        "--charts-src", metavar="DIR", type=Path, default=default(None),
        help="folder of unpacked <chart>-<version>/ charts to render the HelmReleases from (needs the helm extra; "
             "default: $OBS_WIZARD_CHARTS_SRC, else the user cache, else pulled from the chart's OCI URL)",
    )
    common.add_argument(
        "--strict", action="store_true", default=default(False),
        help="a skipped check (missing tool or data) fails validation with exit 3 (default: $OBS_WIZARD_STRICT)",
    )
    return common


def _parser() -> argparse.ArgumentParser:
    common = _common(defaults=True)
    after = _common(defaults=False)

    parser = argparse.ArgumentParser(
        prog="obs-wizard",
        description="Bootstrap kube-prometheus-stack, Loki and Alloy into a Flux GitOps repo.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"obs-wizard {__version__}")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="print the plan with unified diffs; write nothing")
    mode.add_argument("--check", action="store_true", help="exit 1 with the diff when the repo is out of sync")
    mode.add_argument("--plain", action="store_true", help="ask with plain prompts instead of the full-screen wizard")
    mode.add_argument("--init-answers", action="store_true",
                      help="write an answers file pre-filled from the repo (--answers FILE, default "
                           "DIR/.obs-wizard/answers.yaml); never overwrites")
    parser.add_argument("--conflicts", choices=("ours", "theirs"), default=None,
                        help="settle every conflict: ours keeps the value on disk, theirs takes the new render")
    parser.add_argument("--force", action="store_true", help="the same as --conflicts theirs")
    parser.add_argument("--adopt", action="store_true",
                        help="merge observability files that exist but were not written by obs-wizard")
    parser.add_argument("--skip-secret-check", action="store_true", help="write without checking the 1Password items")
    parser.add_argument("--init-layout", action="store_true",
                        help="in a repo without a Flux Kustomization applying kubernetes/apps, create one "
                             "(kubernetes/flux/cluster/ks.yaml) instead of refusing")

    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("validate", parents=[after], help="render and validate; write nothing")
    sub.add_parser("check-secrets", parents=[after], help="check the 1Password items through 1Password Connect")
    sub.add_parser("schema", help="print the answers-file JSON Schema")
    fetch = sub.add_parser("fetch-charts", help="pull the charts the repo's OCIRepositories name into the cache",
                           description="Fill ~/.cache/obs-wizard/charts with the chart each OCIRepository under kubernetes/ "
                                       "names (as on disk: tag, digest or semver), so validate can check them offline later. "
                                       "Exit 3 when a chart could not be fetched or was refused.")
    fetch.add_argument("--repo", metavar="DIR", type=Path, default=argparse.SUPPRESS, help="root of the GitOps repo (default: .)")
    fetch.add_argument("--charts-src", metavar="DIR", type=Path, default=argparse.SUPPRESS,
                       help="unpacked <chart>-<version>/ charts that count as at hand (default: $OBS_WIZARD_CHARTS_SRC)")
    verify = sub.add_parser("verify", parents=[after], help="check the platform on the live cluster through kubectl",
                            description="Check on the live cluster, through kubectl, that what the answers describe runs: "
                                        "Flux, volumes, pods, Prometheus, Alertmanager (with a test alert), Loki (with a "
                                        "canary line), Grafana; and measure the plan's targets. Exit 9 when a check "
                                        "fails, 10 when the cluster cannot be reached.")
    verify.add_argument("--context", metavar="NAME", default=None, help="kubectl context (default: the current one)")
    verify.add_argument("--wait", metavar="DURATION", default=None,
                        help="poll until every check passes or DURATION (e.g. 10m) is over; for right after a push")
    verify.add_argument("--json", action="store_true", help="print the report as JSON (for CI)")
    verify.add_argument("--no-test-alert", action="store_true",
                        help="send no test alert (the alert -> Slack delivery is then not measured)")
    return parser


class _PipeSafe:
    """A text stream whose reader may go away (`obs-wizard --check | head -1`): once the pipe is
    broken, output is dropped and the run goes on to its own exit code."""

    def __init__(self, stream: TextIO):
        self._stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                self._stream.write(text)
            except BrokenPipeError:
                self._broke()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._broke()

    def _broke(self) -> None:
        self.broken = True
        with contextlib.suppress(OSError, ValueError):  # the interpreter's own flush at exit must not fail
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


_COLLECT = {"resume": True}  # whether the collector ran when main() was called; the exit hook registered


def _loaded() -> None:
    """A command that runs long (the wizards, verify --wait) has loaded its modules: they live as long as
    the process, so they are frozen out of the collector's passes, and collection resumes.

    main() stops the collector first: while modules load, its passes (some 80 in a headless run, over an
    ever larger heap) free nothing and took 28 to 62 ms of a headless run (three runs on the 2-core bench
    machine). A headless command is short and makes little cyclic garbage (a full validation with a cold
    cache peaked at 152 MiB without it, 148 MiB with it): it runs to the end without, and main() restores
    the collector on return."""
    gc.freeze()
    if _COLLECT["resume"]:
        gc.enable()


def _terminate(signum, frame):  # SIGTERM (CI cancelling, `timeout`) ends a run like Ctrl+C
    raise KeyboardInterrupt


def main(argv: list[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    out = stdout or _PipeSafe(sys.stdout)
    err = stderr or _PipeSafe(sys.stderr)
    previous_term = None
    if threading.current_thread() is threading.main_thread():
        previous_term = signal.signal(signal.SIGTERM, _terminate)
    _COLLECT["resume"] = collecting = gc.isenabled()
    gc.disable()  # until the command's modules are loaded (_loaded)
    if not _COLLECT.get("at_exit"):
        # The interpreter's last collection passes over every object for nothing (the process ends): none.
        atexit.register(gc.freeze)
        _COLLECT["at_exit"] = True
    try:
        return _main(argv, out, err)
    finally:
        # What this run allocated joins the oldest generation uncollected (re-enabling must not start a pass
        # over the whole heap), and what it froze can be collected again (main() called again in one process).
        gc.freeze()
        gc.unfreeze()
        if collecting:
            gc.enable()
        if previous_term is not None:
            signal.signal(signal.SIGTERM, previous_term)
        for stream in (out, err):
            with contextlib.suppress(Exception):
                stream.flush()


def _main(argv: list[str] | None, out: TextIO, err: TextIO) -> int:
    parser = _parser()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse printed usage (exit 2) or --help/--version (exit 0)
        return int(exc.code or 0)
    apply = sys.modules.get("wizard.write.apply")
    if apply is not None:  # main() called again in one process (tests): this run has written nothing yet
        apply.forget_completed_writes()
    try:
        return _dispatch(args, out, err)
    except WizardError as exc:
        for line in exc.lines():
            print(f"obs-wizard: {line}", file=err)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print(f"obs-wizard: {_cancelled()}", file=err)
        return int(Exit.CANCELLED)
    except Exception as exc:  # noqa: BLE001 - the promise is: never a traceback
        print(f"obs-wizard: internal error ({exc.__class__.__name__}); nothing was written. Please report this.", file=err)
        if os.environ.get("OBS_WIZARD_DEBUG"):
            raise
        return int(Exit.INTERNAL)


def _cancelled() -> str:
    """The truth about an interrupt: a write this run completed (the wizard writes, then an interrupt that
    waited for the commit lands) is said, never "nothing was written"."""
    apply = sys.modules.get("wizard.write.apply")
    written = apply.completed_writes() if apply is not None else []
    if written:
        return (f"cancelled after the write had completed: all {len(written)} file(s) of the plan were written "
                "(review them with `git diff`)")
    return "cancelled; nothing was written"


def _dispatch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.command == "schema":
        from wizard.answers.schema import answers_schema_text

        out.write(answers_schema_text())
        return Exit.OK

    from wizard.repo import repo_paths
    from wizard.write import apply

    repo = _repo(args.repo)
    repo_paths.refuse_outside_links(repo)  # by name, before anything in the repo is read
    if args.command == "verify":  # read-only: it writes nothing and undoes no interrupted write
        from wizard import headless
        from wizard.verify.run import verify

        _loaded()
        return verify(repo, headless.answers_path(args.answers, repo), args.context, args.wait, args.json,
                      not args.no_test_alert, out, err)
    if args.command == "fetch-charts":  # fills the user cache only; the repo is read, never written
        from wizard.validate.fetch_charts import run as fetch_charts

        charts_src = _data_dir(args.charts_src, "OBS_WIZARD_CHARTS_SRC", "--charts-src", "a folder of unpacked <chart>-<version>/ charts")
        return fetch_charts(repo, charts_src, out)
    if args.command in ("validate", "check-secrets") or args.check or args.dry_run:
        apply.refuse_pending(repo, err)  # read-only: never writes or deletes; an unfinished write is exit 8
    else:
        apply.recover(repo, err)  # a writing run undoes an interrupted earlier write before anything else
    from wizard.session import Sources  # the interactive front ends load the session (and the model) anyway

    sources = Sources(
        crd_dir=_data_dir(args.crd_dir, "OBS_WIZARD_CRD_DIR", "--crd-dir", "a folder of CRD YAML files"),
        charts_dir=_data_dir(args.charts_dir, "OBS_WIZARD_CHARTS_DIR", "--charts-dir", "a folder of <chart>-<version>/ chart defaults"),
        charts_src=_data_dir(args.charts_src, "OBS_WIZARD_CHARTS_SRC", "--charts-src", "a folder of unpacked <chart>-<version>/ charts"),
        strict=True if args.strict else None,  # None: OBS_WIZARD_STRICT decides, read where the checks run
    )
    if sources.charts_src is not None:
        # Every chart lookup (the render, the operator CRDs inside the kube-prometheus-stack chart, the chart
        # defaults) in every front end reads $OBS_WIZARD_CHARTS_SRC: the flag sets it for this process.
        os.environ["OBS_WIZARD_CHARTS_SRC"] = str(sources.charts_src)

    if args.answers is None and not (args.check or args.dry_run) and args.command is None and not args.init_answers:
        headless_only = [flag for flag, given in (("--conflicts", args.conflicts), ("--force", args.force), ("--adopt", args.adopt)) if given]
        return _interactive(repo, sources, args.plain, args.init_layout, skip_secret_check=args.skip_secret_check,
                            headless_only=headless_only)
    from wizard import headless  # every other command: the answers file's run (never the TUI's first frame)

    if args.command == "validate":
        return headless.validate(headless.answers_path(args.answers, repo), repo, sources, out, err)
    if args.init_answers:
        from wizard import init_answers

        return init_answers.run(repo, args.answers, out, args.init_layout)
    if args.command == "check-secrets":
        return headless.check_secrets(headless.answers_path(args.answers, repo), repo, out)
    return headless.run(
        headless.answers_path(args.answers, repo), repo, sources, out, err,
        dry_run=args.dry_run, check=args.check, choose=args.conflicts or ("theirs" if args.force else None),
        adopt=args.adopt, skip_secret_check=args.skip_secret_check, init_layout=args.init_layout,
    )


def _data_dir(given: Path | None, env: str, option: str, what: str) -> Path | None:
    path = given or (Path(os.environ[env]) if os.environ.get(env) else None)
    if path is not None and not path.is_dir():
        raise BadInput(f"{path}: {option} is not a directory; point it at {what}")
    return path


def _repo(path: Path) -> Path:
    if not path.exists():
        raise BadInput(f"{path}: --repo does not exist; pass the root of your GitOps repository")
    if not path.is_dir():
        raise BadInput(f"{path}: --repo is not a directory; pass the root of your GitOps repository")
    return path


def _interactive(repo: Path, sources, plain: bool, init_layout: bool = False, *, skip_secret_check: bool = False,
                 headless_only: list[str] = ()) -> int:
    if headless_only:  # the interactive modes settle conflicts and adoption one by one on Review: refused, never ignored
        raise BadInput(f"{' and '.join(headless_only)} settle conflicts without asking, for headless runs (--answers FILE); "
                       "the interactive wizard asks about each one on Review")
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise BadInput(
            "no terminal for the interactive wizard; run headless with --answers FILE "
            "(`obs-wizard --init-answers` writes one pre-filled from the repo; `obs-wizard schema` describes every field)"
        )
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the front ends handle their own interrupts
    if plain:
        from wizard.plain.prompts import run as run_plain

        _loaded()
        return run_plain(repo, sources.crd_dir, sources.charts_dir, strict=bool(sources.strict), init_layout=init_layout,
                         skip_secret_check=skip_secret_check)
    from wizard.tui.app import run as run_tui
    from wizard.write.apply import signals_held_for_writers

    _loaded()
    with signals_held_for_writers():  # the wizard writes in a worker thread: SIGINT/SIGTERM wait for the commit
        return run_tui(repo, sources.crd_dir, sources.charts_dir, strict=bool(sources.strict), init_layout=init_layout,
                       skip_secret_check=skip_secret_check)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
