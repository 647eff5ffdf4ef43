"""Apply a plan atomically: every file is written, or none is, at every instant.

- A lock, ``.obs-wizard/lock`` (``flock``; the holder's pid inside), keeps a second run out: it waits
  up to ``OBS_WIZARD_LOCK_WAIT`` seconds (default 5), then exits 8 naming the holder. The kernel drops
  the lock when its holder dies, however it dies, so a lock file left behind is stale by construction.
  The holder removes what it created (the folder, its .gitignore) while it still holds the lock.
- A journal ``.obs-wizard/journal.json`` is written before anything is created: first the folders the
  write will create (phase ``staging``), then, once every new content is staged under
  ``.obs-wizard/tmp/`` (``.obs-wizard/.gitignore`` keeps it, the lock and the journal out of git) and
  fsynced with a backup of each file about to be replaced (a hard link, so its mode and bytes are kept
  exactly), every rename and how to undo it (``commit``); then the files are renamed into place (copied
  and fsynced when the target is on another filesystem), the journal says ``done``, and it is removed.
- SIGINT and SIGTERM are deferred while a write or a recovery runs (in the main thread): before the
  renames start the write is abandoned and cleaned up; once they started, it is completed first.
- Every writing run starts with ``recover``: an interrupted write (SIGKILL, power loss) is undone before
  anything else is read. Only a journal this machine wrote is acted on: it names the inode of the lock
  file and of the staging folder it was written under (and of each staged file and backup), which no
  clone, checkout or copy can carry; it may name only paths obs-wizard writes, and restore only from its
  own staging folder. Any other journal is reported and left alone. Read-only commands never recover:
  ``refuse_pending`` tells them an unfinished write is there (they exit 8).
- A file changed on disk since the plan was made (another run, an editor) stops the write: nothing
  is written and the operator re-runs to see the new plan.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from wizard.base.errors import BadInput, Busy, Cancelled, ConflictError, WriteFailed
from wizard.repo.discovery import APP_NAMES
from wizard.repo.state import GITIGNORE_PATH, GITIGNORE_TEXT
from wizard.write.layout import APPS_KUSTOMIZATION_PATH

if TYPE_CHECKING:  # the plan (render, merge, the model) loads only with the runs that plan
    from wizard.write.plan import FileChange

TOOL_DIR = ".obs-wizard"
LOCK = f"{TOOL_DIR}/lock"
JOURNAL = f"{TOOL_DIR}/journal.json"
SCRATCH = f"{TOOL_DIR}/tmp"
PENDING = f"{JOURNAL}.new"
GITIGNORE = GITIGNORE_PATH  # written first by the lock when missing; also a planned tool file
_SCRATCH_NAMES = frozenset(("lock", "journal.json", "journal.json.new", "tmp"))  # .obs-wizard/ entries of a write
_JOURNAL_FORMAT = 2
_JOURNAL_MAX = 1 << 20  # bytes: a journal lists a few dozen paths
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


# --- what obs-wizard owns ------------------------------------------------------------------------

_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")  # a namespace folder (DNS-1123 label)
_STAGED_NAME = re.compile(r"[0-9]{1,6}\.(new|old)\Z")


def owned(rel: str, directory: bool = False) -> bool:
    """``rel`` is a path obs-wizard writes (``directory``: a folder it creates for one): its app folders
    and the namespace kustomization under ``kubernetes/apps/<namespace>/``, its files in ``.obs-wizard/``,
    the ``--init-layout`` file. Never anything under ``.git/``, never the journal's own bookkeeping."""
    parts = rel.split("/")
    if not rel or "\\" in rel or "\0" in rel or any(p in ("", ".", "..") or p.lower() == ".git" for p in parts):
        return False
    if parts[0] == TOOL_DIR:
        return len(parts) == 1 if directory else len(parts) == 2 and parts[1] not in _SCRATCH_NAMES
    in_namespace = len(parts) >= 3 and parts[:2] == ["kubernetes", "apps"] and bool(_LABEL.match(parts[2]))
    if directory:
        if rel in ("kubernetes", "kubernetes/apps", "kubernetes/flux", "kubernetes/flux/cluster"):
            return True
        return in_namespace and (len(parts) == 3 or parts[3] in APP_NAMES)
    if rel == APPS_KUSTOMIZATION_PATH:
        return True
    if not in_namespace or len(parts) < 4:
        return False
    return parts[3] in ("kustomization.yaml", "namespace.yaml") if len(parts) == 4 else parts[3] in APP_NAMES


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
        self.lock_ino = 0  # the inode of the lock file held: a journal written under it names it


_held: dict[Path, _Hold] = {}  # repo -> the lock this process holds (nested users share it)
_completed: list[str] = []  # paths of the writes this run completed (an interrupt after them must say so)


def completed_writes() -> list[str]:
    """The paths this run has written (complete writes only: an interrupted write is undone or finished)."""
    return list(_completed)


def forget_completed_writes() -> None:
    _completed.clear()


def _lock_wait() -> float:
    try:
        wait = float(os.environ.get("OBS_WIZARD_LOCK_WAIT", "5"))
    except ValueError:
        return 5.0
    return min(max(0.0, wait), 86400.0) if wait == wait else 5.0


def _cannot(path: Path, exc: OSError, what: str) -> WriteFailed:
    return WriteFailed(f"{path}: cannot {what} ({exc.strerror or exc.__class__.__name__}); nothing was written. "
                       "Free space on that filesystem or fix its permissions, then run again")


@contextlib.contextmanager
def repo_lock(repo: Path) -> Iterator[None]:
    """Hold ``.obs-wizard/lock``; raise Busy after waiting briefly for another run.

    The folder and its .gitignore are created for it when missing (so a lock or staging file left by
    a killed run is never picked up by ``git add -A``), and removed again unless a write completed:
    while the lock is still held, so a run waiting for it never finds them gone under its own lock.
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
    path = root / LOCK
    deadline = time.monotonic() + _lock_wait()
    fd = -1
    try:
        while True:
            created_dir, _ = _ensure_tool_dir(root, ignore=False)
            hold.created_dir |= created_dir
            if created_dir:  # nobody else is in a folder this run just made: keep its lock out of git at once
                hold.created_ignore |= _ensure_ignore(root)
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
            except FileNotFoundError:  # the holder we waited for removed the folder it had created
                if time.monotonic() >= deadline:
                    raise WriteFailed(f"{root / TOOL_DIR}: keeps disappearing while obs-wizard creates its lock in it; "
                                      "nothing was written. Run again") from None
                continue
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise BadInput(f"{LOCK}: is a symlink; obs-wizard keeps its lock in a plain file: remove the link") from None
                raise _cannot(path, exc, "create the lock") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                fd = -1
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise _cannot(path, exc, "lock") from None
                if time.monotonic() >= deadline:
                    raise Busy(
                        f"{root}: another obs-wizard run{_lock_holder(path)} is writing to this repo (it holds "
                        f"{LOCK}); nothing was written. Wait for it to finish and run again; the lock is "
                        "released when that process exits."
                    ) from None
                time.sleep(0.05)
                continue
            try:  # the file locked must still be the lock file (a holder removes it on release)
                same = os.fstat(fd).st_ino == os.lstat(path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
            fd = -1
        hold.lock_ino = os.fstat(fd).st_ino
        hold.created_ignore |= _ensure_ignore(root)  # a holder before this one may have removed the one it made
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError as exc:
            raise _cannot(path, exc, "write the lock") from None
        _held[root] = hold
        yield
    finally:
        _held.pop(root, None)
        if fd >= 0:
            _release(root, fd, hold)
        elif not hold.wrote:
            _undo_tool_dir(root, hold)


def _release(root: Path, fd: int, hold: _Hold) -> None:
    """Remove what the hold created (unless a write completed) while the lock is still held, then the lock."""
    if not hold.wrote and hold.created_ignore:
        with contextlib.suppress(OSError):
            (root / GITIGNORE).unlink()
    kept = _safe_lstat(root / JOURNAL) is not None  # a failed rollback's journal names this lock file: keep it
    with contextlib.suppress(OSError):
        if not kept and os.lstat(root / LOCK).st_ino == hold.lock_ino:
            os.unlink(root / LOCK)
    if not hold.wrote and hold.created_dir:
        with contextlib.suppress(OSError):  # only when empty: a run that created its lock in it keeps it
            (root / TOOL_DIR).rmdir()
    os.close(fd)


def _lock_holder(path: Path) -> str:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            pid = int(os.read(fd, 32).decode("ascii").strip() or "0")
        finally:
            os.close(fd)
    except (OSError, ValueError):
        return ""
    return f" (pid {pid})" if pid > 0 else ""


def _ensure_tool_dir(root: Path, ignore: bool = True) -> tuple[bool, bool]:
    """``.obs-wizard/`` (and, with ``ignore``, its .gitignore) exist; which of the two this call created."""
    tool_dir = root / TOOL_DIR
    if tool_dir.is_symlink() or (tool_dir.exists() and not tool_dir.is_dir()):
        raise BadInput(f"{TOOL_DIR}: is not a folder (a symlink or a file); obs-wizard keeps its files in a "
                       "folder inside the repo: move it away")
    created_dir = False
    try:
        tool_dir.mkdir()
        created_dir = True
    except FileExistsError:
        pass
    except OSError as exc:
        raise _cannot(tool_dir, exc, "create the folder") from None
    return created_dir, _ensure_ignore(root) if ignore else False


def _ensure_ignore(root: Path) -> bool:
    """``.obs-wizard/.gitignore`` exists; whether this call created it."""
    ignore = root / GITIGNORE
    if ignore.exists() or ignore.is_symlink():
        return False
    try:
        fd = os.open(ignore, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW, 0o666)
    except FileExistsError:
        return False
    except FileNotFoundError:  # the folder went away (its creator released it): the lock loop makes it again
        return False
    except OSError as exc:
        raise _cannot(ignore, exc, "create the .gitignore") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(GITIGNORE_TEXT)
    except OSError as exc:
        with contextlib.suppress(OSError):
            ignore.unlink()
        raise _cannot(ignore, exc, "write the .gitignore") from None
    return True


def _undo_tool_dir(root: Path, hold: _Hold) -> None:
    if hold.created_ignore:
        with contextlib.suppress(OSError):
            (root / GITIGNORE).unlink()
    if hold.created_dir:
        with contextlib.suppress(OSError):
            (root / TOOL_DIR).rmdir()


# --- the journal --------------------------------------------------------------------------------


class _Foreign(Exception):
    """A journal (or staging folder) obs-wizard must not act on; the message says why."""


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _Foreign(f"{path.name} cannot be read ({exc.strerror})") from None


def _is_file(st: os.stat_result | None) -> bool:
    import stat as stat_module

    return st is not None and stat_module.S_ISREG(st.st_mode)


def _is_dir(st: os.stat_result | None) -> bool:
    import stat as stat_module

    return st is not None and stat_module.S_ISDIR(st.st_mode)


def _load(path: Path) -> dict:
    st = _lstat(path)
    if not _is_file(st):
        raise _Foreign("it is not a plain file")
    if st.st_size > _JOURNAL_MAX:
        raise _Foreign(f"it is {st.st_size} bytes, far more than a journal holds")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            data = os.read(fd, _JOURNAL_MAX + 1)
        finally:
            os.close(fd)
        journal = json.loads(data.decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        raise _Foreign("it is unreadable or cut short") from None
    if not isinstance(journal, dict) or journal.get("format") != _JOURNAL_FORMAT:
        raise _Foreign("it is not in the format this obs-wizard writes")
    return journal


def _check(root: Path, journal: dict, lock_ino: int | None) -> None:
    """Raise _Foreign unless ``journal`` was written on this machine, under this repo's lock file, and
    names only what obs-wizard writes and stages."""
    phase = journal.get("phase")
    if phase not in ("staging", "commit", "done"):
        raise _Foreign("it names no known phase")
    lock = journal.get("lock")
    if lock_ino is None:
        raise _Foreign(f"there is no {LOCK} it was written under")
    if type(lock) is not int or lock != lock_ino:
        raise _Foreign(f"it was not written under this repo's {LOCK} (committed to git, or copied from elsewhere?)")
    scratch = _lstat(root / SCRATCH)
    if scratch is not None and (not _is_dir(scratch) or journal.get("scratch") != scratch.st_ino):
        raise _Foreign(f"{SCRATCH}/ is not the staging folder it was written with")
    if phase == "commit" and scratch is None:
        raise _Foreign(f"its staging folder {SCRATCH}/ is missing")
    lists = {name: journal.get(name, []) for name in ("created_dirs", "created_files", "entries")}
    if not all(isinstance(v, list) for v in lists.values()) or type(journal.get("created_tool_dir", False)) is not bool:
        raise _Foreign("it is malformed")
    for rel in lists["created_dirs"]:
        _check_path(root, rel, directory=True)
    for rel in lists["created_files"]:
        if rel != GITIGNORE:
            raise _Foreign(f"it names {rel!r}, a file obs-wizard never creates that way")
    for index, entry in enumerate(lists["entries"]):
        if not isinstance(entry, dict):
            raise _Foreign("it is malformed")
        _check_path(root, entry.get("path"))
        for key, suffix in (("staged", "new"), ("backup", "old")):
            rel, ino = entry.get(key), entry.get(f"{key}_ino")
            if rel is None and key == "backup":
                continue
            if rel != f"{SCRATCH}/{index}.{suffix}" or type(ino) is not int:
                raise _Foreign(f"entry {index} does not name its own file in {SCRATCH}/")
            st = _lstat(root / rel)
            if st is not None and (not _is_file(st) or st.st_ino != ino):
                raise _Foreign(f"{rel} is not the file it staged")


def _check_path(root: Path, rel: object, directory: bool = False) -> None:
    if not isinstance(rel, str) or not owned(rel, directory):
        raise _Foreign(f"it names {rel!r}, a path obs-wizard never writes")
    try:
        target = safe_target(root, rel)
    except (BadInput, OSError, RuntimeError):
        raise _Foreign(f"it names {rel!r}, which leads outside the repo") from None
    if not owned(str(target.relative_to(root)), directory):
        raise _Foreign(f"it names {rel!r}, which a symlink leads to {target.relative_to(root)}")


def _foreign_line(root: Path, what: str, reason: str | None = None) -> str:
    if reason is None:  # a reason alone: about the folder as a whole
        what, reason = TOOL_DIR, what
    present = [f"{rel}/" if rel == SCRATCH else rel for rel in (JOURNAL, PENDING, SCRATCH) if _safe_lstat(root / rel) is not None]
    names = ", ".join(present[:-1]) + (" and " if len(present) > 1 else "") + present[-1] if present else what
    return (f"{what}: left alone, not the record of an interrupted obs-wizard write in this repo on this machine "
            f"({reason}); if it came with the repo, delete {names} (`git rm -r` if git tracks them), after "
            "restoring by hand anything an interrupted write left half done")


def _inspect(root: Path, lock_ino: int | None) -> tuple[Path, dict] | None:
    """The journal to act on (the file, its content), or None when there is nothing to do.

    Raises _Foreign (its message names the file) for a journal or staging folder that is not ours."""
    journal_path, pending = root / JOURNAL, root / PENDING
    have_journal, have_pending = _lstat(journal_path) is not None, _lstat(pending) is not None
    which = journal_path if have_journal else pending if have_pending else None
    if which is None:
        scratch = root / SCRATCH
        st = _lstat(scratch)
        if st is None:
            return None
        if _is_dir(st) and not any(os.scandir(scratch)):
            return scratch, {}  # an empty staging folder: a run killed before its first journal
        raise _Foreign(f"{SCRATCH}/", "there is no journal of the write that staged it")
    try:
        journal = _load(which)
        _check(root, journal, lock_ino)
    except _Foreign as exc:
        raise _Foreign(str(which.relative_to(root)), str(exc)) from None
    return which, journal


def _inspect_or_foreign(root: Path, lock_ino: int | None) -> tuple[Path, dict] | None:
    try:
        return _inspect(root, lock_ino)
    except _Foreign as exc:
        if len(exc.args) == 2:
            raise
        raise _Foreign(TOOL_DIR, str(exc)) from None


def _fsync_file_dir(path: Path) -> None:
    _fsync_dir(path.parent)


def _save(root: Path, journal: dict) -> None:
    """Write the journal atomically (through ``journal.json.new``) and durably."""
    pending = root / PENDING
    with contextlib.suppress(FileNotFoundError):
        pending.unlink()
    fd = os.open(pending, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(journal, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(pending, root / JOURNAL)
    except BaseException:
        with contextlib.suppress(OSError):
            pending.unlink()
        raise
    _fsync_dir(root / TOOL_DIR)


def _drop(root: Path) -> None:
    for rel in (PENDING, JOURNAL):
        with contextlib.suppress(FileNotFoundError):
            (root / rel).unlink()
    _fsync_dir(root / TOOL_DIR)


def _clear_scratch(root: Path) -> None:
    """Remove the staged files and backups (and nothing else) from the staging folder, then the folder."""
    scratch = root / SCRATCH
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for entry in os.scandir(scratch):
            if _STAGED_NAME.match(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
    with contextlib.suppress(OSError):
        scratch.rmdir()


def _remove_dirs(root: Path, created: list[str]) -> None:
    for rel_dir in reversed(created):
        with contextlib.suppress(OSError):  # only when empty
            (root / rel_dir).rmdir()
            _fsync_file_dir(root / rel_dir)


# --- recovery -----------------------------------------------------------------------------------


def refuse_pending(repo: Path, err: TextIO | None = None) -> None:
    """For read-only commands, which never write or delete: raise Busy (exit 8) when a write is in
    progress or was interrupted (only a writing run undoes it). A journal or staging folder that is not
    ours, and temporary files an older version left, are reported on ``err`` and left alone."""
    root = repo.resolve()
    if not _is_dir(_safe_lstat(root / TOOL_DIR)):
        return
    legacy = _legacy_temps(root)
    if legacy and err is not None:
        print(f"obs-wizard: {len(legacy)} temporary file(s) an older obs-wizard left beside the manifests "
              f"({legacy[0].relative_to(root)}); left alone, the next writing run removes them", file=err)
    try:
        lock = _lstat(root / LOCK)
        found = _inspect_or_foreign(root, lock.st_ino if _is_file(lock) else None)
    except _Foreign as exc:
        if err is not None:
            print(f"obs-wizard: {_foreign_line(root, *exc.args)}", file=err)
        return
    if found is None or not found[1]:
        return
    holder = _live_holder(root)
    if holder is not None:
        raise Busy(f"{root}: another obs-wizard run{holder} is writing to this repo right now (it holds {LOCK}); "
                   "this command only reads and changed nothing: run it again when that run has finished")
    raise Busy(f"{root}: an earlier obs-wizard run was interrupted while writing ({JOURNAL} is left); this command "
               "only reads, so it changes nothing: run a writing one (obs-wizard --answers FILE, or the wizard) to "
               "undo the interrupted write, then run this again")


def _safe_lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None


def _live_holder(root: Path) -> str | None:
    """`` (pid N)`` (or "") when a live process holds the lock; None when nobody does. Opens it read-only."""
    import fcntl

    path = root / LOCK
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return _lock_holder(path)
    finally:
        os.close(fd)
    return None


def recover(repo: Path, err: TextIO | None = None) -> None:
    """For writing runs: undo a write that was interrupted (journal present), finish one that had
    completed, and remove what it staged. A journal that is not ours stops the run (exit 2), untouched.

    Called first by every writing run. Quick when there is nothing to do: a few stats.
    """
    root = repo.resolve()
    legacy = _legacy_temps(root)
    if not legacy and not _is_dir(_safe_lstat(root / TOOL_DIR)):
        return
    if not legacy and not any(_safe_lstat(root / p) is not None for p in (JOURNAL, PENDING, SCRATCH)):
        return
    try:  # decided before the lock is taken too: a journal that came with the repo is not even locked under
        lock = _lstat(root / LOCK)
        _inspect_or_foreign(root, lock.st_ino if _is_file(lock) else None)
    except _Foreign as exc:
        raise BadInput(f"{_foreign_line(root, *exc.args)}; nothing was written") from None
    with repo_lock(root):
        for path in legacy:
            with contextlib.suppress(OSError):
                path.unlink()
        if legacy and err is not None:
            print(f"obs-wizard: removed {len(legacy)} temporary file(s) an older obs-wizard left beside the manifests",
                  file=err)
        _recover_held(root, _held[root], err)


def _recover_held(root: Path, hold: _Hold, err: TextIO | None) -> None:
    """Recovery, with the lock held; shielded from SIGINT/SIGTERM, which take effect once it is done."""
    try:
        found = _inspect_or_foreign(root, hold.lock_ino)
    except _Foreign as exc:
        raise BadInput(f"{_foreign_line(root, *exc.args)}; nothing was written") from None
    if found is None:
        return
    which, journal = found
    if not journal:  # an empty staging folder
        with contextlib.suppress(OSError):
            which.rmdir()
        return
    with _deferred_signals() as deferred:
        try:
            restored = _settle(root, journal, hold)
        except WriteFailed as failed:
            raise WriteFailed(f"an earlier run was interrupted while writing, and {failed.message}") from None
    phase = journal["phase"]
    if phase == "commit":
        said = (f"an earlier run was interrupted while writing; undid it ({restored} file(s) restored), "
                "so the repo is as it was before that run")
    elif phase == "done":
        said = "an earlier run was interrupted after its write had completed; removed the files it had staged"
    else:
        said = "an earlier run was interrupted before it changed any file; removed what it had staged"
    if deferred.pending:
        raise Cancelled(f"cancelled after recovering: {said}; nothing else was written")
    if err is not None:
        print(f"obs-wizard: {said}", file=err)


def _settle(root: Path, journal: dict, hold: _Hold) -> int:
    """Act on a checked journal; the files restored. The creations of a write that did not complete
    become this hold's (removed when it is released, unless it writes)."""
    restored = 0
    phase = journal["phase"]
    if phase == "commit":
        restored = _undo(root, journal)
    if phase != "done":
        hold.created_dir |= bool(journal.get("created_tool_dir"))
        ignore = root / GITIGNORE
        if GITIGNORE in journal.get("created_files", []) and _read_current(ignore) == GITIGNORE_TEXT:
            hold.created_ignore = True
        _remove_dirs(root, journal.get("created_dirs", []))
    _clear_scratch(root)
    _drop(root)
    return restored


def _legacy_temps(root: Path) -> list[Path]:
    """``.NAME.XXXX.obs-wizard-tmp`` files that versions before the journal left beside their targets
    (and that a copy to another filesystem leaves when killed), in the folders obs-wizard writes."""
    found: list[Path] = []
    folders = [root / "kubernetes/flux/cluster"]
    apps = root / "kubernetes/apps"
    if _is_dir(_safe_lstat(apps)):
        with contextlib.suppress(OSError):
            for namespace in os.scandir(apps):
                if _LABEL.match(namespace.name) and namespace.is_dir(follow_symlinks=False):
                    folders.append(Path(namespace.path))
    for top in folders:
        for folder, dirs, files in os.walk(top):
            rel = Path(folder).relative_to(root).as_posix()
            if not owned(rel, directory=True):
                dirs[:] = []
                continue
            found.extend(Path(folder, name) for name in files
                         if name.startswith(".") and name.endswith(_LEGACY_TEMP_SUFFIXES)
                         or name.startswith("tmp") and name.endswith(".obs-wizard-restore"))
    return sorted(found)


def _replace(src: Path, dst: Path) -> None:
    """``os.replace``; across filesystems (EXDEV), a copy beside ``dst``, fsynced, renamed over it, and
    ``src`` removed: atomic for ``dst`` either way."""
    try:
        os.replace(src, dst)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    temp = dst.parent / f".{dst.name}.{os.getpid()}.obs-wizard-tmp"
    try:
        with open(src, "rb") as source:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as copy:
                shutil.copyfileobj(source, copy)
                copy.flush()
                os.fchmod(copy.fileno(), os.fstat(source.fileno()).st_mode & 0o7777)
                os.fsync(copy.fileno())
        os.replace(temp, dst)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    os.unlink(src)


def _undo(root: Path, journal: dict) -> int:
    """Roll back what a checked ``commit`` journal describes; the number of files restored. A file that
    cannot be restored stops with WriteFailed naming each, and the journal is kept for another try."""
    restored = 0
    failed: list[tuple[str, OSError]] = []
    touched: set[Path] = set()
    for entry in reversed(journal["entries"]):
        target = root / entry["path"]
        try:
            if entry.get("backup") is not None:
                source = root / entry["backup"]
                if _lstat(source) is not None:
                    _replace(source, target)
                    restored += 1
                    touched.add(target.parent)
            elif _lstat(root / entry["staged"]) is None:  # it was put in place: the file is the write's
                with contextlib.suppress(FileNotFoundError):
                    target.unlink()
                    restored += 1
                    touched.add(target.parent)
            _checkpoint(f"restored {entry['path']}")
        except (OSError, _Foreign) as exc:
            failed.append((entry["path"], exc if isinstance(exc, OSError) else OSError(str(exc))))
    for folder in touched:
        _fsync_dir(folder)
    if failed:
        paths = ", ".join(path for path, _ in failed)
        cause = failed[0][1].strerror or failed[0][1].__class__.__name__
        raise WriteFailed(
            f"the rollback could not restore {len(failed)} file(s) ({cause}): {paths}; restore them by hand "
            f"(git checkout -- {' '.join(path for path, _ in failed)}; a new file: delete it), then delete {JOURNAL} "
            f"and {SCRATCH}/, or run obs-wizard again to retry the rollback; every other file was restored"
        )
    with contextlib.suppress(OSError):  # nothing of the repo is changed any more: only the staging is left
        _save(root, {**journal, "phase": "staging", "entries": []})
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
        _recover_held(root, hold, None)  # a write interrupted since this run started (its plan is then stale)
        stale = [c.path for c, target in todo if _read_current(target) != c.old
                 and not (c.path == GITIGNORE and hold.created_ignore)]  # the lock wrote it just now
        if stale:
            raise ConflictError(
                f"{len(stale)} file(s) changed on disk since the plan was made (another obs-wizard run, or an "
                "editor); nothing was written. Run again to see the new plan:",
                details=stale,
            )
        _write(root, todo, progress, deferred, hold)
        hold.wrote = True
        _completed.extend(change.path for change, _ in todo)
        if deferred.pending:
            raise Cancelled(
                f"interrupted while the files were being put in place: the write was completed first, "
                f"all {len(todo)} file(s) were written"
            )
    return [change.path for change, _ in todo]


def _write(root: Path, todo: list[tuple[FileChange, Path]], progress: Callable[[str], None] | None,
           deferred: _Deferred, hold: _Hold) -> None:
    scratch = root / SCRATCH
    created_dirs: list[Path] = []
    for _, target in todo:
        for directory in reversed([p for p in [target.parent, *target.parent.parents] if not p.exists()]):
            if directory not in created_dirs:
                created_dirs.append(directory)
    journal: dict = {
        "format": _JOURNAL_FORMAT, "pid": os.getpid(), "phase": "staging", "lock": hold.lock_ino, "scratch": 0,
        "created_tool_dir": hold.created_dir, "created_files": [GITIGNORE] if hold.created_ignore else [],
        "created_dirs": [str(d.relative_to(root)) for d in created_dirs], "entries": [],
    }
    entries: list[dict] = []
    made_scratch = committing = False
    mode_new = 0o666 & ~_umask()
    try:
        scratch.mkdir()
        made_scratch = True
        journal["scratch"] = os.lstat(scratch).st_ino
        _save(root, journal)  # before any folder is made: recovery removes what this write creates
        _checkpoint("staging area created")
        for directory in created_dirs:
            directory.mkdir()
        for index, (change, target) in enumerate(todo):
            if deferred.pending:
                raise KeyboardInterrupt
            staged = scratch / f"{index}.new"
            fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(change.new or "")
                handle.flush()
                os.fchmod(handle.fileno(), (target.stat().st_mode & 0o7777) if target.exists() else mode_new)
                os.fsync(handle.fileno())
            entry = {"path": str(target.relative_to(root)), "staged": str(staged.relative_to(root)),
                     "staged_ino": os.lstat(staged).st_ino, "backup": None, "backup_ino": None}
            if target.exists():
                backup_path = scratch / f"{index}.old"
                try:
                    os.link(target, backup_path)
                except OSError:
                    shutil.copy2(target, backup_path)
                entry["backup"] = str(backup_path.relative_to(root))
                entry["backup_ino"] = os.lstat(backup_path).st_ino
            entries.append(entry)
            if progress is not None:
                progress(change.path)
            _checkpoint(f"staged {change.path}")
        _fsync_dir(scratch)
        for directory in {d.parent for d in created_dirs} | set(created_dirs):
            _fsync_dir(directory)
        if deferred.pending:
            raise KeyboardInterrupt
        journal.update(phase="commit", entries=entries)
        pending = root / PENDING
        with contextlib.suppress(FileNotFoundError):
            pending.unlink()
        fd = os.open(pending, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
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
            _replace(root / entry["staged"], root / entry["path"])
            _checkpoint(f"renamed {entry['path']}")
        for directory in {(root / e["path"]).parent for e in entries}:
            _fsync_dir(directory)
        _save(root, {**journal, "phase": "done"})  # from here on recovery only removes the staging area
        _checkpoint("write done")
        committing = False
        _clear_scratch(root)
        _drop(root)
        _checkpoint("journal removed")
    except BaseException as exc:
        what = f"{exc.strerror or exc.__class__.__name__}: {exc.filename}" if isinstance(exc, OSError) else exc.__class__.__name__
        if committing:
            try:
                _undo(root, journal)
            except WriteFailed as failed:  # it names what it could not restore; the journal stays for another try
                raise WriteFailed(f"writing failed ({what}), and {failed.message}") from None
        if made_scratch:
            _clear_scratch(root)
            for directory in reversed(created_dirs):
                with contextlib.suppress(OSError):
                    directory.rmdir()
            for directory in {d.parent for d in created_dirs}:
                _fsync_dir(directory)
            _drop(root)
        if isinstance(exc, OSError):
            raise WriteFailed(f"writing failed ({what}); nothing was changed") from None
        if isinstance(exc, KeyboardInterrupt):
            raise Cancelled("cancelled; nothing was written") from None
        raise
