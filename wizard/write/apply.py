"""Apply a plan atomically: every file is written, or none is, at every instant.

- A lock, ``.obs-wizard/lock`` (``flock``; the holder's pid inside), keeps a second run out: it waits
  up to ``OBS_WIZARD_LOCK_WAIT`` seconds (default 5), then exits 8 naming the holder. The kernel drops
  the lock when its holder dies, however it dies, so a lock file left behind is stale by construction.
- Each new content is staged under ``.obs-wizard/tmp/`` (``.obs-wizard/.gitignore`` keeps it, the lock
  and the journal out of git) and fsynced; each file about to be replaced gets a backup there (a hard
  link, so its mode and bytes are kept exactly).
- Once all is staged, a journal ``.obs-wizard/journal.json`` lists every rename and how to undo it;
  then the files are renamed into place and the journal is removed.
- SIGINT and SIGTERM are deferred while a write runs (in the main thread): before the renames start
  the write is abandoned and cleaned up; once they started, it is completed first.
- Every run starts with ``recover``: an interrupted write found in the journal (SIGKILL, power loss)
  is undone, and the staging area is removed, before anything else is read.
- A file changed on disk since the plan was made (another run, an editor) stops the write: nothing
  is written and the operator re-runs to see the new plan.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from wizard.base.errors import BadInput, Busy, Cancelled, ConflictError, WriteFailed
from wizard.repo.state import GITIGNORE_PATH, GITIGNORE_TEXT
from wizard.write.plan import FileChange

TOOL_DIR = ".obs-wizard"
LOCK = f"{TOOL_DIR}/lock"
JOURNAL = f"{TOOL_DIR}/journal.json"
SCRATCH = f"{TOOL_DIR}/tmp"
GITIGNORE = GITIGNORE_PATH  # written first by the lock when missing; also a planned tool file
_LEGACY_TEMP_SUFFIXES = (".obs-wizard-tmp", ".obs-wizard-restore")  # left beside targets by older versions


def safe_target(repo: Path, rel: str) -> Path:
    """The absolute path for ``rel`` inside ``repo``; refuses anything that would land outside it."""
    root = repo.resolve()
    if rel.startswith("/") or "\\" in rel or any(part in ("..", "") for part in rel.split("/")):
        raise BadInput(f"{rel}: refusing to write a path that is not a plain relative path inside --repo")
    target = (root / rel).resolve()
    if root != target and root not in target.parents:
        raise BadInput(f"{rel}: resolves outside --repo ({target}); a symlink points elsewhere, remove it first")
    return target


# --- the test seam: pause the writer at a numbered step ------------------------------------------

_steps = 0


def _checkpoint(name: str) -> None:
    """``OBS_WIZARD_TEST_PAUSE=DIR:N`` pauses at step N, ``DIR:PREFIX`` at the first step whose name starts
    with PREFIX (DIR/paused appears; DIR/resume releases it);
    every step's name is appended to DIR/steps. For the interrupt tests only."""
    global _steps
    setting = os.environ.get("OBS_WIZARD_TEST_PAUSE")
    if not setting:
        return
    folder, _, number = setting.rpartition(":")
    step = _steps
    _steps += 1
    with open(os.path.join(folder, "steps"), "a", encoding="utf-8") as log:
        log.write(f"{step} {name}\n")
    if number and (int(number) == step if number.lstrip("-").isdigit()
                   else name.startswith(number) and not os.path.exists(os.path.join(folder, "paused"))):
        Path(folder, "paused").write_text(name, encoding="utf-8")
        deadline = time.monotonic() + 60
        while not os.path.exists(os.path.join(folder, "resume")) and time.monotonic() < deadline:
            time.sleep(0.01)


# --- signals ------------------------------------------------------------------------------------


class _Deferred:
    def __init__(self) -> None:
        self.signals: list[int] = []

    @property
    def pending(self) -> bool:
        return bool(self.signals)


#: Writes running in a worker thread (the wizard's), whose signals the main thread's relay holds back.
_relayed: list[_Deferred] = []
_relay_lock = threading.Lock()
_before_relay: dict[int, object] = {}


@contextlib.contextmanager
def signals_held_for_writers() -> Iterator[None]:
    """For a front end that writes in a worker thread (the wizard): only the main thread can set signal
    handlers, so one set here holds SIGINT and SIGTERM back while such a write is committed, and acts
    on them as before otherwise. A signal held back takes effect once the write is complete."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    for sig in (signal.SIGINT, signal.SIGTERM):
        _before_relay[sig] = signal.signal(sig, _relay)
    try:
        yield
    finally:
        for sig, handler in _before_relay.items():
            signal.signal(sig, handler)
        _before_relay.clear()


def _relay(signum: int, frame) -> None:
    with _relay_lock:
        if _relayed:
            _relayed[-1].signals.append(signum)
            return
    previous = _before_relay.get(signum, signal.SIG_DFL)
    if callable(previous):
        previous(signum, frame)
    elif previous == signal.SIG_DFL:  # end the process as the signal would have
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


@contextlib.contextmanager
def _deferred_signals() -> Iterator[_Deferred]:
    """SIGINT and SIGTERM are recorded instead of acted on: directly in the main thread, through the
    relay of ``signals_held_for_writers`` in a worker thread (then acted on when the write is over)."""
    deferred = _Deferred()
    if threading.current_thread() is not threading.main_thread():
        with _relay_lock:
            _relayed.append(deferred)
        try:
            yield deferred
        finally:
            with _relay_lock:
                _relayed.remove(deferred)
            if deferred.pending and _before_relay:
                signal.raise_signal(deferred.signals[0])  # the relay, in the main thread, acts on it now
        return
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, lambda signum, frame: deferred.signals.append(signum))
    try:
        yield deferred
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# --- the lock -----------------------------------------------------------------------------------


class _Hold:
    def __init__(self) -> None:
        self.depth = 1
        self.created_dir = False
        self.created_ignore = False
        self.wrote = False  # a write completed: the .gitignore stays with the files


_held: dict[Path, _Hold] = {}  # repo -> the lock this process holds (nested users share it)
_completed: list[str] = []  # paths of the writes this run completed (an interrupt after them must say so)


def completed_writes() -> list[str]:
    """The paths this run has written (complete writes only: an interrupted write is undone or finished)."""
    return list(_completed)


def forget_completed_writes() -> None:
    _completed.clear()


def _lock_wait() -> float:
    try:
        return max(0.0, float(os.environ.get("OBS_WIZARD_LOCK_WAIT", "5")))
    except ValueError:
        return 5.0


@contextlib.contextmanager
def repo_lock(repo: Path) -> Iterator[None]:
    """Hold ``.obs-wizard/lock``; raise Busy after waiting briefly for another run.

    The folder and its .gitignore are created for it when missing (so a lock or staging file left by
    a killed run is never picked up by ``git add -A``), and removed again unless a write completed.
    """
    import fcntl

    root = repo.resolve()
    if root in _held:
        _held[root].depth += 1
        try:
            yield
        finally:
            _held[root].depth -= 1
        return
    hold = _Hold()
    hold.created_dir, hold.created_ignore = _ensure_tool_dir(root)
    path = root / LOCK
    deadline = time.monotonic() + _lock_wait()
    fd = -1
    try:
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                fd = -1
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise Busy(
                        f"{root}: another obs-wizard run{_lock_holder(path)} is writing to this repo (it holds "
                        f"{LOCK}); nothing was written. Wait for it to finish and run again; the lock is "
                        "released when that process exits."
                    ) from None
                time.sleep(0.05)
                continue
            try:  # the file locked must still be the lock file (a holder removes it on release)
                same = os.fstat(fd).st_ino == os.stat(path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
            fd = -1
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        _held[root] = hold
        yield
    finally:
        _held.pop(root, None)
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.unlink(path)
            os.close(fd)
        if not hold.wrote:
            _undo_tool_dir(root, hold)


def _lock_holder(path: Path) -> str:
    try:
        pid = int(path.read_text(encoding="ascii").strip() or "0")
    except (OSError, ValueError):
        return ""
    return f" (pid {pid})" if pid else ""


def _ensure_tool_dir(root: Path) -> tuple[bool, bool]:
    """``.obs-wizard/`` and its .gitignore exist; which of the two this call created."""
    tool_dir = root / TOOL_DIR
    if tool_dir.is_symlink() or (tool_dir.exists() and not tool_dir.is_dir()):
        raise BadInput(f"{TOOL_DIR}: is not a folder (a symlink or a file); obs-wizard keeps its files in a "
                       "folder inside the repo: move it away")
    created_dir = created_ignore = False
    try:
        tool_dir.mkdir()
        created_dir = True
    except FileExistsError:
        pass
    ignore = root / GITIGNORE
    if not ignore.exists() and not ignore.is_symlink():
        with contextlib.suppress(FileExistsError):
            with open(ignore, "x", encoding="utf-8") as handle:
                handle.write(GITIGNORE_TEXT)
            created_ignore = True
    return created_dir, created_ignore


def _undo_tool_dir(root: Path, hold: _Hold) -> None:
    if hold.created_ignore:
        with contextlib.suppress(OSError):
            (root / GITIGNORE).unlink()
    if hold.created_dir:
        with contextlib.suppress(OSError):
            (root / TOOL_DIR).rmdir()


# --- recovery -----------------------------------------------------------------------------------


def recover(repo: Path, err: TextIO | None = None) -> None:
    """Undo a write that was interrupted (journal present) and remove stray staging files.

    Called first by every run. Quick when there is nothing to do: one stat.
    """
    root = repo.resolve()
    legacy = _legacy_temps(root)
    if legacy:
        with repo_lock(root):
            for path in legacy:
                with contextlib.suppress(OSError):
                    path.unlink()
        if err is not None:
            print(f"obs-wizard: removed {len(legacy)} temporary file(s) an older obs-wizard left beside the manifests",
                  file=err)
    if not (root / TOOL_DIR).is_dir() or (root / TOOL_DIR).is_symlink():
        return
    if not any((root / p).exists() for p in (JOURNAL, SCRATCH, f"{JOURNAL}.new")):
        return
    with repo_lock(root):
        restored = _undo(root)
    if restored is not None and err is not None:
        print(f"obs-wizard: an earlier run was interrupted while writing; undid it ({restored} file(s) restored), "
              "so the repo is as it was before that run", file=err)


def _legacy_temps(root: Path) -> list[Path]:
    """``.NAME.XXXX.obs-wizard-tmp`` files that versions before the journal left beside their targets."""
    found = []
    for folder, _, files in os.walk(root / "kubernetes"):
        found.extend(Path(folder, name) for name in files
                     if name.startswith(".") and name.endswith(_LEGACY_TEMP_SUFFIXES)
                     or name.startswith("tmp") and name.endswith(".obs-wizard-restore"))
    return found


def _undo(root: Path) -> int | None:
    """Roll back what the journal describes; None when there was no journal."""
    journal_path = root / JOURNAL
    restored: int | None = None
    if journal_path.exists():
        try:
            journal = json.loads(journal_path.read_text(encoding="utf-8"))
            entries = journal["entries"]
            created_dirs = journal.get("created_dirs", [])
            for entry in entries:  # a journal is ours, but a repo can carry anything: nothing outside it
                for rel in (entry["path"], entry.get("backup")):
                    if rel is not None:
                        safe_target(root, rel)
            for rel_dir in created_dirs:
                safe_target(root, rel_dir)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, BadInput):
            raise WriteFailed(
                f"{JOURNAL}: an interrupted write left an unreadable journal; restore the repo with git "
                f"(git status, git checkout), then delete {JOURNAL} and {SCRATCH}/"
            ) from None
        restored = 0
        for entry in reversed(entries):
            target = root / entry["path"]
            backup = entry.get("backup")
            if backup is not None:
                source = root / backup
                if source.exists():
                    os.replace(source, target)
                    restored += 1
            else:
                with contextlib.suppress(FileNotFoundError):
                    target.unlink()
                    restored += 1
        for rel_dir in reversed(created_dirs):
            with contextlib.suppress(OSError):
                (root / rel_dir).rmdir()
        _fsync_dir(root)
        journal_path.unlink()
    with contextlib.suppress(FileNotFoundError):
        (root / f"{JOURNAL}.new").unlink()
    shutil.rmtree(root / SCRATCH, ignore_errors=True)
    return restored


# --- the write ----------------------------------------------------------------------------------


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _read_current(target: Path) -> str | None:
    try:
        with open(target, encoding="utf-8", newline="") as handle:  # as the plan read it: CRLF kept
            return handle.read()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return "\0unreadable"


def apply(repo: Path, changes: list[FileChange], progress: Callable[[str], None] | None = None) -> list[str]:
    """Write every change that writes; returns the paths written.

    Raises WriteFailed after a rollback, Busy when another run holds the lock, ConflictError when
    a file changed since the plan was made, Cancelled on SIGINT/SIGTERM. ``progress`` is told each
    path as its new content is safely staged.
    """
    todo = [(c, safe_target(repo, c.path)) for c in changes if c.writes]
    if not todo:
        return []
    root = repo.resolve()
    with _deferred_signals() as deferred, repo_lock(root):
        hold = _held[root]
        stale = [c.path for c, target in todo if _read_current(target) != c.old
                 and not (c.path == GITIGNORE and hold.created_ignore)]  # the lock wrote it just now
        if stale:
            raise ConflictError(
                f"{len(stale)} file(s) changed on disk since the plan was made (another obs-wizard run, or an "
                "editor); nothing was written. Run again to see the new plan:",
                details=stale,
            )
        _write(root, todo, progress, deferred)
        hold.wrote = True
        _completed.extend(change.path for change, _ in todo)
        if deferred.pending:
            raise Cancelled(
                f"interrupted while the files were being put in place: the write was completed first, "
                f"all {len(todo)} file(s) were written"
            )
    return [change.path for change, _ in todo]


def _write(root: Path, todo: list[tuple[FileChange, Path]], progress: Callable[[str], None] | None,
           deferred: _Deferred) -> None:
    scratch = root / SCRATCH
    shutil.rmtree(scratch, ignore_errors=True)
    created_dirs: list[Path] = []
    entries: list[dict[str, str | None]] = []
    committing = False
    mode_new = 0o666 & ~_umask()
    try:
        scratch.mkdir()
        _checkpoint("staging area created")
        for index, (change, target) in enumerate(todo):
            if deferred.pending:
                raise KeyboardInterrupt
            missing = [p for p in [target.parent, *target.parent.parents] if not p.exists()]
            for directory in reversed(missing):
                directory.mkdir()
                created_dirs.append(directory)
            staged = scratch / f"{index}.new"
            fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(change.new or "")
                handle.flush()
                os.fchmod(handle.fileno(), (target.stat().st_mode & 0o7777) if target.exists() else mode_new)
                os.fsync(handle.fileno())
            backup: str | None = None
            if target.exists():
                backup_path = scratch / f"{index}.old"
                try:
                    os.link(target, backup_path)
                except OSError:
                    shutil.copy2(target, backup_path)
                backup = str(backup_path.relative_to(root))
            entries.append({"path": str(target.relative_to(root)), "staged": str(staged.relative_to(root)), "backup": backup})
            if progress is not None:
                progress(change.path)
            _checkpoint(f"staged {change.path}")
        _fsync_dir(scratch)
        if deferred.pending:
            raise KeyboardInterrupt
        journal = {"pid": os.getpid(), "entries": entries,
                   "created_dirs": [str(d.relative_to(root)) for d in created_dirs]}
        pending = root / f"{JOURNAL}.new"
        with open(pending, "w", encoding="utf-8") as handle:
            json.dump(journal, handle)
            handle.flush()
            os.fsync(handle.fileno())
        _checkpoint("journal staged")
        if deferred.pending:
            raise KeyboardInterrupt
        committing = True  # from here on the write is completed, whatever signal comes
        os.replace(pending, root / JOURNAL)
        _fsync_dir(root / TOOL_DIR)
        _checkpoint("journal written")
        for entry in entries:
            os.replace(root / str(entry["staged"]), root / str(entry["path"]))
            _checkpoint(f"renamed {entry['path']}")
        for directory in {(root / str(e["path"])).parent for e in entries}:
            _fsync_dir(directory)
        (root / JOURNAL).unlink()
        _fsync_dir(root / TOOL_DIR)
        _checkpoint("journal removed")
        shutil.rmtree(scratch, ignore_errors=True)
    except BaseException as exc:
        if committing and (root / JOURNAL).exists():
            _undo(root)
        else:
            with contextlib.suppress(FileNotFoundError):
                (root / f"{JOURNAL}.new").unlink()
            shutil.rmtree(scratch, ignore_errors=True)
            for directory in reversed(created_dirs):
                with contextlib.suppress(OSError):
                    directory.rmdir()
        if isinstance(exc, OSError):
            raise WriteFailed(f"writing failed ({exc.strerror or exc.__class__.__name__}: {exc.filename}); nothing was changed") from None
        if isinstance(exc, KeyboardInterrupt):
            raise Cancelled("cancelled; nothing was written") from None
        raise
