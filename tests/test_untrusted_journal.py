"""Issue 18: recovery trusts only a journal this machine's run wrote, under this repo's lock, naming only
what obs-wizard writes; read-only commands never recover; the lock, a second filesystem, a full disk and a
kill while staging a first write each end in a clear exit and a clean tree.

The journal attack is the real thing: a repo with a planted journal committed with ``git add -f``, then a
real ``git clone``; the clone's ``git status`` and ``.git/config`` are checked afterwards.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_ANSWERS, flux_repo, need, nothing_written, run_cli, snapshot_tree
from tests.test_hostile import (  # noqa: F401 - the module fixture sets the subprocesses' environment
    CHANGED,
    _env,
    _hermetic_subprocesses,
    finish,
    obs_wizard,
    wait_for,
    write_args,
)
from wizard.write import apply as apply_module

JOURNAL, PENDING, SCRATCH, LOCK = apply_module.JOURNAL, apply_module.PENDING, apply_module.SCRATCH, apply_module.LOCK
NS = "kubernetes/apps/observability"


def _no_connect() -> dict[str, str]:
    env = _env()
    for name in ("OP_CONNECT_HOST", "OP_CONNECT_TOKEN"):
        env.pop(name, None)
    return env


def _dirs(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_dir() and ".git" not in p.relative_to(root).parts}


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    """A Flux repo obs-wizard has written with the example answers."""
    repo = flux_repo(tmp_path_factory.mktemp("written") / "repo")
    code, _, err = finish(obs_wizard(*write_args(repo, EXAMPLE_ANSWERS)))
    assert code == 0, err
    return repo


# --- item 1: a journal that came with the repo --------------------------------------------------


def _git(*args: str | Path, cwd: Path) -> str:
    git = shutil.which("git")
    need(git is not None, "git is not installed (Debian package git)")
    # The repos are the test's own, but never let a repo's config pick what runs.
    return subprocess.run([git, "-c", "core.fsmonitor=", "-c", "core.hooksPath=/dev/null", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, check=True,
                          env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd)}).stdout


def _plant(repo: Path, style: str) -> None:
    """A journal as an attacker would commit it: entries naming the Flux entry point and .git/config."""
    tool = repo / ".obs-wizard"
    (tool / "tmp").mkdir()
    (tool / "tmp/1.old").write_text("[core]\n\tfsmonitor = false\n")
    if style == "old format":  # the format of the obs-wizard that issue 18 broke
        journal = {"pid": 1, "entries": [
            {"path": "kubernetes/flux/cluster/ks.yaml", "staged": f"{SCRATCH}/0.new", "backup": None},
            {"path": ".git/config", "staged": f"{SCRATCH}/1.new", "backup": f"{SCRATCH}/1.old"},
        ], "created_dirs": []}
    else:  # today's format, guessing inodes (and committing a lock file for them to be compared with)
        (tool / "lock").write_text("1\n")
        journal = {"format": 2, "pid": 1, "phase": "commit", "lock": os.lstat(tool / "lock").st_ino,
                   "scratch": os.lstat(tool / "tmp").st_ino, "created_tool_dir": False, "created_files": [],
                   "created_dirs": [], "entries": [
                       {"path": "kubernetes/flux/cluster/ks.yaml", "staged": f"{SCRATCH}/0.new", "staged_ino": 1,
                        "backup": None, "backup_ino": None},
                       {"path": ".git/config", "staged": f"{SCRATCH}/1.new", "staged_ino": 2,
                        "backup": f"{SCRATCH}/1.old", "backup_ino": os.lstat(tool / "tmp/1.old").st_ino}]}
    (repo / JOURNAL).write_text(json.dumps(journal))


@pytest.mark.parametrize("style", ["old format", "current format"])
def test_a_journal_committed_to_the_repo_is_left_alone_in_a_clone(written, tmp_path, style):
    origin = tmp_path / "origin"
    shutil.copytree(written, origin, symlinks=True)
    _git("init", "-q", "-b", "main", ".", cwd=origin)
    _plant(origin, style)
    _git("add", "-A", cwd=origin)
    _git("add", "-f", ".obs-wizard", cwd=origin)
    _git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "planted", cwd=origin)
    clone = tmp_path / "clone"
    _git("clone", "-q", origin, clone, cwd=tmp_path)
    assert (clone / JOURNAL).exists() and (clone / "kubernetes/flux/cluster/ks.yaml").exists()
    config = (clone / ".git/config").read_bytes()
    assert _git("status", "--porcelain", "--untracked-files=all", cwd=clone) == ""

    # a read-only command reports it in one line and goes on; nothing is written or deleted
    code, out, err = finish(obs_wizard("--check", "--repo", clone))
    assert code == 0, (out, err)
    said = [line for line in err.splitlines() if "left alone" in line]
    assert len(said) == 1 and said[0].startswith(f"obs-wizard: {JOURNAL}: left alone"), err
    assert "undid" not in err and "Traceback" not in err
    # a writing run refuses to act on it or write past it: exit 2, the same line, nothing written
    answers = clone / ".obs-wizard/answers.yaml"
    code, out, err = finish(obs_wizard(*write_args(clone, answers)))
    assert code == 2, (out, err)
    assert f"{JOURNAL}: left alone" in err and "nothing was written" in err and "Traceback" not in err

    assert _git("status", "--porcelain", "--untracked-files=all", cwd=clone) == ""
    assert (clone / ".git/config").read_bytes() == config
    assert (clone / "kubernetes/flux/cluster/ks.yaml").exists()


@pytest.mark.parametrize("rel", [".git/config", "kubernetes/apps/kube-system/cilium/gateway/internal.yaml",
                                 ".obs-wizard/journal.json", ".obs-wizard/tmp/0.old", "README.md",
                                 "kubernetes/apps/observability/other-app/x.yaml", "kubernetes/apps/../x"])
def test_recovery_acts_only_on_paths_obs_wizard_writes(rel):
    assert not apply_module.owned(rel)


@pytest.mark.parametrize("rel", [f"{NS}/kustomization.yaml", f"{NS}/namespace.yaml", f"{NS}/loki/app/helmrelease.yaml",
                                 "kubernetes/apps/monitoring/alloy/ks.yaml", ".obs-wizard/state.json",
                                 ".obs-wizard/.gitignore", "kubernetes/flux/cluster/ks.yaml"])
def test_paths_obs_wizard_writes_are_its_own(rel):
    assert apply_module.owned(rel)


def test_a_journal_naming_git_is_refused_even_with_the_right_lock(written, tmp_path):
    """A journal that matches this repo's lock and staging folder but names .git/config: still left alone."""
    repo = tmp_path / "repo"
    shutil.copytree(written, repo, symlinks=True)
    (repo / ".git").mkdir()
    (repo / ".git/config").write_text("[core]\n")
    tool = repo / ".obs-wizard"
    (tool / "lock").write_text("")
    (tool / "tmp").mkdir()
    (tool / "tmp/0.old").write_text("[core]\n\tfsmonitor = false\n")
    (repo / JOURNAL).write_text(json.dumps({
        "format": 2, "pid": 1, "phase": "commit", "lock": os.lstat(tool / "lock").st_ino,
        "scratch": os.lstat(tool / "tmp").st_ino, "created_tool_dir": False, "created_files": [], "created_dirs": [],
        "entries": [{"path": ".git/config", "staged": f"{SCRATCH}/0.new", "staged_ino": 1,
                     "backup": f"{SCRATCH}/0.old", "backup_ino": os.lstat(tool / "tmp/0.old").st_ino}]}))
    before = snapshot_tree(repo)
    result = run_cli(*write_args(repo, EXAMPLE_ANSWERS))
    assert result.code == 2, result
    assert "'.git/config', a path obs-wizard never writes" in result.err
    assert snapshot_tree(repo) == before


# --- read-only commands and a real interrupted first write (items 1 and 14) ------------------------


def _kill_at(repo: Path, tmp_path: Path, where: str, answers: Path = EXAMPLE_ANSWERS) -> None:
    pause = tmp_path / f"pause-{where.strip()}"
    pause.mkdir()
    proc = obs_wizard(*write_args(repo, answers), env=_env(OBS_WIZARD_TEST_PAUSE=f"{pause}:{where}"))
    wait_for(pause / "paused", proc)
    proc.kill()
    proc.wait()


@pytest.mark.parametrize("where", ["staging area created", "staged ", "journal staged"])
def test_a_kill_while_staging_a_first_write_leaves_nothing_after_recovery(tmp_path, where):
    repo = flux_repo(tmp_path / "repo")
    dirs = _dirs(repo)
    _kill_at(repo, tmp_path, where)
    assert (repo / JOURNAL).exists()
    killed, killed_dirs = snapshot_tree(repo), _dirs(repo)
    # read-only commands say an unfinished write is pending, exit 8 and change nothing
    for args in (["--check"], ["--dry-run"], ["validate"], ["check-secrets"]):
        code, out, err = finish(obs_wizard(*args, "--answers", EXAMPLE_ANSWERS, "--repo", repo))
        assert code == 8, (args, out, err)
        assert "an earlier obs-wizard run was interrupted while writing" in err and "Traceback" not in err
        assert snapshot_tree(repo) == killed and _dirs(repo) == killed_dirs, args
    # a writing run recovers (this one then stops at the 1Password check: exit 7)
    code, out, err = finish(obs_wizard("--answers", EXAMPLE_ANSWERS, "--repo", repo, env=_no_connect()))
    assert code == 7, (out, err)
    assert "interrupted before it changed any file" in err
    assert nothing_written(repo), sorted(snapshot_tree(repo))
    assert _dirs(repo) == dirs  # no empty app folders, no .obs-wizard/ left


# --- item 12: recovery is shielded from SIGINT and SIGTERM -------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_recovery_waits_for_it(written, tmp_path, sig):
    repo = tmp_path / "repo"
    shutil.copytree(written, repo, symlinks=True)
    before = snapshot_tree(repo)
    changed = tmp_path / "changed.yaml"
    changed.write_text(CHANGED)
    _kill_at(repo, tmp_path, "renamed ", changed)  # one file is in place, the others not yet
    assert snapshot_tree(repo) != before
    pause = tmp_path / "pause-recovery"
    pause.mkdir()
    proc = obs_wizard(*write_args(repo, changed), env={**_no_connect(), "OBS_WIZARD_TEST_PAUSE": f"{pause}:restored "})
    wait_for(pause / "paused", proc)
    proc.send_signal(sig)
    time.sleep(0.05)
    (pause / "resume").touch()
    code, out, err = finish(proc)
    assert code == 130, (out, err)
    assert "cancelled after recovering: an earlier run was interrupted while writing; undid it" in err, err
    assert "nothing else was written" in err and "Traceback" not in err
    assert snapshot_tree(repo) == before
    assert not (repo / JOURNAL).exists() and not (repo / SCRATCH).exists()


def test_undo_fsyncs_each_restored_files_folder_before_dropping_the_journal(written, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    shutil.copytree(written, repo, symlinks=True)
    changed = tmp_path / "changed.yaml"
    changed.write_text(CHANGED)
    _kill_at(repo, tmp_path, "renamed ", changed)
    entries = json.loads((repo / JOURNAL).read_text())["entries"]
    order: list[str] = []
    real_fsync_dir, real_drop = apply_module._fsync_dir, apply_module._drop
    monkeypatch.setattr(apply_module, "_fsync_dir", lambda path: (order.append(f"fsync {Path(path)}"), real_fsync_dir(path)))
    monkeypatch.setattr(apply_module, "_drop", lambda root: (order.append("drop"), real_drop(root)))
    monkeypatch.delenv("OP_CONNECT_HOST", raising=False)
    monkeypatch.delenv("OP_CONNECT_TOKEN", raising=False)
    result = run_cli("--answers", changed, "--repo", repo)  # recovers, then exit 7 (no 1Password Connect)
    assert result.code == 7, result
    first_drop = order.index("drop")
    synced = {line.split(" ", 1)[1] for line in order[:first_drop] if line.startswith("fsync ")}
    for entry in entries:
        assert str((repo / entry["path"]).parent.resolve()) in synced, entry["path"]


# --- item 4: the lock holder's cleanup and a run waiting for the lock ------------------------------


def test_a_run_waiting_for_the_lock_keeps_the_folder_and_gitignore_it_needs(tmp_path):
    repo = flux_repo(tmp_path / "repo")
    first = obs_wizard("--answers", EXAMPLE_ANSWERS, "--repo", repo, env=_no_connect())  # exits 7, holding the lock
    time.sleep(0.3)
    second = obs_wizard(*write_args(repo, EXAMPLE_ANSWERS), env=_env(OBS_WIZARD_LOCK_WAIT="60"))
    code_a, out_a, err_a = finish(first)
    code_b, out_b, err_b = finish(second)
    assert code_a == 7, (out_a, err_a)
    assert code_b == 0, (out_b, err_b)
    assert (repo / ".obs-wizard/.gitignore").read_text() == apply_module.GITIGNORE_TEXT
    assert "Traceback" not in err_a + err_b
    for leftover in (LOCK, JOURNAL, PENDING, SCRATCH):
        assert not (repo / leftover).exists(), leftover


# --- item 6: disk full at the lock ---------------------------------------------------------------


def test_a_full_disk_at_the_lock_is_a_clear_exit_5(tmp_path, monkeypatch):
    repo = flux_repo(tmp_path / "repo")
    real_write = os.write

    def full(fd, data):
        if data == f"{os.getpid()}\n".encode():
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(apply_module.os, "write", full)
    result = run_cli(*write_args(repo, EXAMPLE_ANSWERS))
    monkeypatch.undo()
    assert result.code == 5, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "cannot write the lock (No space left on device); nothing was written" in lines[0], result
    assert nothing_written(repo) and not (repo / ".obs-wizard").exists()


# --- item 5: a target on another filesystem ------------------------------------------------------


def _cross_device(repo: Path, fail_state: bool = False):
    """os.replace as if everything under the namespace folder were another filesystem than .obs-wizard/tmp/;
    ``fail_state``: the disk is full when state.json is put in place, and copies fail from then on."""
    real_replace, real_copy = os.replace, shutil.copyfileobj
    full = []

    def replace(src, dst):
        src, dst = Path(src), Path(dst)
        if str(repo) in str(dst):
            if SCRATCH in str(src) and NS in str(dst):
                crossed.append(dst)
                raise OSError(errno.EXDEV, "Invalid cross-device link", str(src), None, str(dst))
            if fail_state and dst.name == "state.json" and src.name.endswith(".new"):
                full.append(dst)
                raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        return real_replace(src, dst)

    def copy(source, target, *args):
        if full:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_copy(source, target, *args)

    return replace, copy


crossed: list[Path] = []


def test_a_target_on_another_filesystem_is_copied_and_fsynced(written, tmp_path, monkeypatch):
    repo, expected = tmp_path / "repo", tmp_path / "expected"
    for copy in (repo, expected):
        shutil.copytree(written, copy, symlinks=True)
    changed = tmp_path / "changed.yaml"
    changed.write_text(CHANGED)
    assert run_cli(*write_args(expected, changed)).code == 0
    replace, _ = _cross_device(repo)
    crossed.clear()
    monkeypatch.setattr(apply_module.os, "replace", replace)
    result = run_cli(*write_args(repo, changed))
    monkeypatch.undo()
    assert result.code == 0, result
    assert crossed, "no rename crossed filesystems"
    assert snapshot_tree(repo) == snapshot_tree(expected)
    assert not [p for p in repo.rglob("*") if "obs-wizard-tmp" in p.name]


def test_a_rollback_that_fails_names_what_to_restore_by_hand(written, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    shutil.copytree(written, repo, symlinks=True)
    before = snapshot_tree(repo)
    changed = tmp_path / "changed.yaml"
    changed.write_text(CHANGED)
    replace, copy = _cross_device(repo, fail_state=True)
    with monkeypatch.context() as patched:
        patched.setattr(apply_module.os, "replace", replace)
        patched.setattr(apply_module.shutil, "copyfileobj", copy)
        result = run_cli(*write_args(repo, changed))
    assert result.code == 5, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result
    assert "writing failed (No space left on device" in lines[0] and "the rollback could not restore" in lines[0]
    assert "restore them by hand (git checkout -- kubernetes/apps/observability/" in lines[0]
    assert "or run obs-wizard again to retry the rollback" in lines[0] and "Traceback" not in result.err
    assert (repo / JOURNAL).exists()
    monkeypatch.delenv("OP_CONNECT_HOST", raising=False)
    monkeypatch.delenv("OP_CONNECT_TOKEN", raising=False)
    # the disk has room again: the next writing run finishes the rollback first, then writes
    result = run_cli("--answers", changed, "--repo", repo)
    assert result.code == 7, result
    assert "undid it" in result.err
    assert snapshot_tree(repo) == before


def test_a_copy_of_a_repo_with_an_interrupted_write_does_not_carry_its_journal(written, tmp_path):
    """The journal names the inodes of its lock file and staging folder: a copy (cp -a, rsync, a clone) has
    other ones, so only the repo where the write was interrupted recovers it."""
    repo, copy = tmp_path / "repo", tmp_path / "copy"
    shutil.copytree(written, repo, symlinks=True)
    before = snapshot_tree(repo)
    changed = tmp_path / "changed.yaml"
    changed.write_text(CHANGED)
    _kill_at(repo, tmp_path, "renamed ", changed)
    shutil.copytree(repo, copy, symlinks=True)
    copied = snapshot_tree(copy)
    code, out, err = finish(obs_wizard(*write_args(copy, changed)))
    assert code == 2, (out, err)
    assert "it was not written under this repo's .obs-wizard/lock" in err and "nothing was written" in err
    assert snapshot_tree(copy) == copied
    code, out, err = finish(obs_wizard("--answers", changed, "--repo", repo, env=_no_connect()))
    assert code == 7, (out, err)
    assert "undid it" in err and snapshot_tree(repo) == before
