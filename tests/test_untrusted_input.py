"""Issue 18: untrusted input (answers, Connect payloads, repo files) ends in one clear line with a
documented exit code, nothing written, never exit 70 or a traceback."""

from __future__ import annotations

import pytest

from tests.conftest import MINIMAL_ANSWERS, flux_repo, nothing_written, run_cli


def _write_run(tmp_path, text: str, folder: str = "answers", repo=None):
    """A writing run (not --dry-run: a bad input must stop it before anything is written)."""
    repo = repo or flux_repo(tmp_path / "repo")
    answers = tmp_path / folder / "answers.yaml"
    answers.parent.mkdir(parents=True, exist_ok=True)
    answers.write_text(text, encoding="utf-8")
    result = run_cli("--answers", answers, "--repo", repo, "--skip-secret-check")
    assert nothing_written(repo), result
    assert "Traceback" not in result.err and "internal error" not in result.err, result
    return result, answers


def _one_line_each(result) -> list[str]:
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert lines and all(line.startswith("obs-wizard: ") for line in lines), result
    return lines


# --- item 7: answers errors ----------------------------------------------------------------------


def test_problems_in_a_file_whose_path_has_colons_are_sorted_by_line(tmp_path):
    text = MINIMAL_ANSWERS + "metrics:\n  retention: bogus\n  pvc_size: x\nlogs:\n  retention: 12\n"
    result, answers = _write_run(tmp_path, text, folder="a:12:b")
    assert result.code == 2, result
    lines = _one_line_each(result)
    assert [line.split(f"{answers}:", 1)[1].split(":", 1)[0] for line in lines] == ["6", "7", "9"], result


@pytest.mark.parametrize(("before", "line_no", "where"), [("", 3, "cluster.node_count: "), ("? [a, b]\n: 1\n", 5, "cluster.node_count: "),
                                                     ("? {a: 1}\n: x\n", 5, "cluster.node_count: ")])
def test_a_5000_digit_node_count_is_a_clear_error(tmp_path, before, line_no, where):
    text = before + MINIMAL_ANSWERS.replace("node_count: 3", "node_count: " + "9" * 5000)
    result, answers = _write_run(tmp_path, text)
    assert result.code == 2, result
    (line,) = _one_line_each(result)
    assert line.startswith(f"obs-wizard: {answers}:{line_no}: {where}a number 5000 characters long"), result
    assert "9" * 100 not in line


def test_a_5000_digit_key_is_a_clear_error(tmp_path):
    result, answers = _write_run(tmp_path, MINIMAL_ANSWERS + "9" * 5000 + ": 1\n")
    assert result.code == 2, result
    (line,) = _one_line_each(result)
    assert line.startswith(f"obs-wizard: {answers}:5: "), result  # YAML allows no implicit key that long: a syntax error


@pytest.mark.parametrize(("section", "field", "value"), [
    ("metrics", "pvc_size", "9" * 400 + "Gi"),
    ("metrics", "retention_size", "9" * 400 + "GB"),
    ("logs", "daily_volume", "9" * 400 + "Mi"),
    ("logs", "pvc_size", "9" * 400 + ".5"),
    ("metrics", "retention", "9" * 400 + "d"),
])
def test_a_400_digit_size_or_duration_is_a_clear_error(tmp_path, section, field, value):
    result, answers = _write_run(tmp_path, MINIMAL_ANSWERS + f"{section}:\n  {field}: {value}\n")
    assert result.code == 2, result
    (line,) = _one_line_each(result)
    assert line.startswith(f"obs-wizard: {answers}:6: {section}.{field}: "), result
    assert f"{len(value)} characters" in line, line
    assert "9" * 50 not in line


def test_a_flux_variable_in_an_item_title_names_the_answers_line(tmp_path):
    result, answers = _write_run(tmp_path, MINIMAL_ANSWERS + "secrets:\n  vault: V${X}\n  grafana_item: a${X}\n")
    assert result.code == 2, result
    (line,) = _one_line_each(result)  # the vault title is never written into a manifest: only the item is refused
    assert line.startswith(f"obs-wizard: {answers}:7: secrets.grafana_item: ${{X}} would be replaced by Flux"), result
    assert "externalsecret.yaml" not in result.err


# --- item 10: ASCII digits only --------------------------------------------------------------------


@pytest.mark.parametrize(("section", "field", "value"), [
    ("metrics", "pvc_size", "٣٠Gi"),  # Arabic-Indic digits
    ("metrics", "pvc_size", "１０Gi"),  # full-width digits
    ("metrics", "retention", "٣٠d"),
    ("metrics", "retention_size", "٢٥GB"),
    ("logs", "retention", "７d"),
    ("charts", "loki", "１.2.3"),
])
def test_non_ascii_digits_are_refused(tmp_path, section, field, value):
    result, answers = _write_run(tmp_path, MINIMAL_ANSWERS + f"{section}:\n  {field}: {value}\n")
    assert result.code == 2, result
    (line,) = _one_line_each(result)
    assert line.startswith(f"obs-wizard: {answers}:6: {section}.{field}: "), result


# --- item 8, 11, 15: Connect payloads, settings, sizes, echoes --------------------------------------

import gzip  # noqa: E402
import json  # noqa: E402
import zlib  # noqa: E402

from tests.fake_connect import Forced, Vault, login_item, secure_note  # noqa: E402
from tests.test_secret_check import PASSWORD, TOKEN, WEBHOOK, assert_nothing_secret, connect, standard_vault  # noqa: E402, F401
from wizard.onepassword import gateway as gateway_module  # noqa: E402
from wizard.onepassword.gateway import ConnectFailure, ConnectGateway  # noqa: E402


def _check_secrets(tmp_path, text: str = MINIMAL_ANSWERS):
    answers = tmp_path / "answers.yaml"
    answers.write_text(text)
    result = run_cli("check-secrets", "--answers", answers)
    assert "Traceback" not in result.err + result.out and "internal error" not in result.err, result
    assert_nothing_secret(result.out, result.err)
    return result


@pytest.mark.parametrize("host", ["http://[::1", "http://127.0.0.1:abc", "http://127.0.0.1:99999", "http://", "https://:8080",
                                  "http://user:hunter2-secret@[::1", "ftp://127.0.0.1"])
def test_an_unusable_connect_host_is_one_line(monkeypatch, tmp_path, host):
    monkeypatch.setenv("OP_CONNECT_HOST", host)
    monkeypatch.setenv("OP_CONNECT_TOKEN", TOKEN)
    result = _check_secrets(tmp_path)
    assert result.code == 6, result
    assert "OP_CONNECT_HOST" in result.out + result.err and "hunter2-secret" not in result.out + result.err, result


@pytest.mark.parametrize("timeout", ["inf", "-inf", "1e300", "nan", "-1", "0", "five", "1e-9"])
def test_an_unusable_connect_timeout_is_one_line(connect, tmp_path, timeout, monkeypatch):
    server = connect([standard_vault()])
    monkeypatch.setenv("OBS_WIZARD_CONNECT_TIMEOUT", timeout)
    result = _check_secrets(tmp_path)
    assert result.code == 6, result
    assert "OBS_WIZARD_CONNECT_TIMEOUT must be a number of seconds from 0.1 to 600" in result.out + result.err, result
    assert not server.log  # nothing was asked with a nonsense deadline


def _items_path(vault: Vault) -> str:
    return f"/v1/vaults/{vault.id}/items"


def _item_json(item, vault: Vault, **changes) -> str:
    data = item.full(vault.id)
    data.update(changes)
    return json.dumps(data)


# Each is (where, what Connect answers there): shapes no Connect sends, but a proxy, a bug or an attacker can.
_LIST_SHAPES = ["null", "{}", '"vaults"', "5", "true", "[null]", "[5]", "[[]]", '[{"id": 5, "name": "Kubernetes"}]',
                '[{"name": "Kubernetes"}]', '[{"id": "x", "name": null}]', '[{"id": "x", "name": ["Kubernetes"]}]',
                '{"id": "x", "name": "Kubernetes"}', "[" * 100_000 + "]" * 100_000, '[{"id": "x", "name": "Kubernetes"}' * 2,
                '{"status": 200}', '[{"id": "../../heartbeat?", "name": "Kubernetes", "title": "grafana"}]',
                '[{"id": "", "name": "Kubernetes", "title": "grafana"}]']


@pytest.mark.parametrize("body", _LIST_SHAPES, ids=lambda b: b[:30])
@pytest.mark.parametrize("where", ["vaults", "items"])
def test_connect_list_payloads_of_every_wrong_shape_fail_cleanly(connect, tmp_path, where, body):
    vault = standard_vault()
    server = connect([vault])
    server.forced["/v1/vaults" if where == "vaults" else _items_path(vault)] = Forced(200, body)
    result = _check_secrets(tmp_path)
    assert result.code == 6, result
    assert any(line.startswith("  FAIL    ") and "1Password Connect" in line for line in result.out.splitlines()), result


def _item_shapes(vault: Vault) -> list[tuple[str, str]]:
    grafana = vault.items[0]
    fields = [f.to_json() for f in grafana.fields]
    return [
        ("null", "null"), ("list", "[]"), ("number", "5"), ("string", '"grafana"'),
        ("fields [null]", _item_json(grafana, vault, fields=[None])),
        ("fields [null, field]", _item_json(grafana, vault, fields=[None, *fields])),
        ("fields a number", _item_json(grafana, vault, fields=5)),
        ("fields a string", _item_json(grafana, vault, fields="username")),
        ("fields a mapping", _item_json(grafana, vault, fields={"label": "username"})),
        ("fields [[]]", _item_json(grafana, vault, fields=[[]])),
        ("fields [5]", _item_json(grafana, vault, fields=[5])),
        ("field label a list", _item_json(grafana, vault, fields=[{**fields[0], "label": ["username"]}, *fields[1:]])),
        ("field value a mapping", _item_json(grafana, vault, fields=[{**fields[0], "value": {"a": 1}}, *fields[1:]])),
        ("another title", _item_json(grafana, vault, title="grafana-old")),
        ("no title", _item_json(grafana, vault, title=None)),
        ("another id", _item_json(grafana, vault, id="a" * 26)),
        ("no id", json.dumps({k: v for k, v in json.loads(_item_json(grafana, vault)).items() if k != "id"})),
        ("nested deep", "[" * 100_000 + "]" * 100_000),
        ("not JSON", "<html>proxy</html>"),
        ("an error body that is a list", None),
    ]


@pytest.mark.parametrize("index", range(20))
def test_connect_item_payloads_of_every_wrong_shape_fail_cleanly(connect, tmp_path, index):
    vault = standard_vault()
    server = connect([vault])
    name, body = _item_shapes(vault)[index]
    path = f"{_items_path(vault)}/{vault.items[0].id}"
    server.forced[path] = Forced(500, "[1, 2]") if body is None else Forced(200, body)
    result = _check_secrets(tmp_path)
    assert result.code == 6, (name, result)
    (line,) = [line for line in result.out.splitlines() if "item grafana:" in line]
    assert line.startswith("  FAIL    item grafana: ") and "1Password Connect" in line, (name, result)


def test_an_item_fetched_by_id_with_another_title_is_refused(connect, tmp_path):
    vault = standard_vault()
    server = connect([vault])
    grafana = vault.items[0]
    server.forced[f"{_items_path(vault)}/{grafana.id}"] = Forced(200, _item_json(grafana, vault, title="grafana-staging"))
    result = _check_secrets(tmp_path)
    assert result.code == 6, result
    assert ("FAIL    item grafana: 1Password Connect answered with a different item than the one asked for reading item "
            "'grafana'") in result.out, result
    assert "grafana-staging" not in result.out  # what the server claims is not repeated


def test_a_huge_answer_is_refused_at_the_cap(connect, tmp_path, monkeypatch):
    monkeypatch.setattr(gateway_module, "MAX_RESPONSE_BYTES", 256 * 1024)
    vault = standard_vault()
    server = connect([vault])
    server.forced[_items_path(vault)] = Forced(200, json.dumps([{"id": "x" * 26, "title": "t" * 1000}] * 1000))
    result = _check_secrets(tmp_path)
    assert result.code == 6, result
    assert "1Password Connect at http://127.0.0.1" in result.out and "sent more than 256 KiB looking up item" in result.out, result


def _gzip_bomb(inflated: int) -> bytes:
    """A gzip body of ``inflated`` bytes of JSON-ish spaces, built without holding them."""
    pack = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b" " * (1024 * 1024)
    parts = [pack.compress(b"[")]
    parts += [pack.compress(chunk) for _ in range(inflated // len(chunk))]
    parts.append(pack.compress(b"]") + pack.flush())
    return b"".join(parts)


@pytest.mark.parametrize("where", ["vaults", "item"])
def test_a_gzip_bomb_is_read_only_up_to_the_cap(connect, where, monkeypatch):
    import tracemalloc

    cap = 1024 * 1024
    monkeypatch.setattr(gateway_module, "MAX_RESPONSE_BYTES", cap)
    vault = standard_vault()
    server = connect([vault])
    bomb = _gzip_bomb(256 * 1024 * 1024)  # 256 MiB inflated, a few hundred KiB on the wire
    assert len(bomb) < 2 * 1024 * 1024
    path = "/v1/vaults" if where == "vaults" else f"{_items_path(vault)}/{vault.items[0].id}"
    server.forced[path] = Forced(200, bomb, headers={"Content-Encoding": "gzip"})
    gateway = ConnectGateway(server.url, TOKEN, timeout=30)
    tracemalloc.start()
    try:
        with pytest.raises(ConnectFailure) as failure:
            if where == "vaults":
                gateway.vaults_named("Kubernetes")
            else:
                from wizard.onepassword.gateway import ItemRef, VaultRef

                gateway.item_fields(VaultRef(vault.id, vault.name), ItemRef(vault.items[0].id, "grafana"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        gateway.close()
    assert failure.value.kind == "bad-response"
    assert "sent more than 1024 KiB" in failure.value.message and "nothing more was read" in failure.value.message
    assert peak < 16 * cap, peak  # the answer was never inflated whole (256 MiB)
    assert gzip.decompress(_gzip_bomb(2 * 1024 * 1024))[:1] == b"["  # the bomb is real gzip


@pytest.mark.parametrize(("encoding", "body", "said"), [
    ("br", b"\x00" * 64, "sent an answer in the 'br' encoding, which was not asked for"),
    ("gzip", b"\x1f\x8b not really gzip" * 10, "sent a broken gzip body"),
])
def test_an_encoding_not_asked_for_or_broken_is_refused(connect, tmp_path, encoding, body, said):
    vault = standard_vault()
    server = connect([vault])
    server.forced["/v1/vaults"] = Forced(200, body, headers={"Content-Encoding": encoding})
    result = _check_secrets(tmp_path)
    assert result.code == 6, result
    assert said in result.out, result
    assert all(h.get("Accept-Encoding") == "gzip" for _, _, h in server.log), server.log


def test_a_gzip_answer_within_the_cap_is_read(connect, tmp_path):
    vault = standard_vault()
    server = connect([vault])
    grafana = vault.items[0]
    server.forced[f"{_items_path(vault)}/{grafana.id}"] = Forced(200, gzip.compress(_item_json(grafana, vault).encode()),
                                                                 headers={"Content-Encoding": "gzip"})
    result = _check_secrets(tmp_path)
    assert result.code == 0, result


def test_a_secret_pasted_into_a_label_is_never_printed(connect, tmp_path):
    vault = standard_vault(slack=secure_note("alertmanager", **{WEBHOOK: "x", "ops_" + "A" * 30: "y", "notes": "z"}))
    connect([vault])
    result = _check_secrets(tmp_path)  # asserts the webhook is nowhere in the output
    assert result.code == 6, result
    assert "ops_" + "A" * 30 not in result.out
    line = next(line for line in result.out.splitlines() if "field alertmanager/SLACK_WEBHOOK_URL" in line)
    assert "labels present: 'notes', 'notesPlain', 2 label(s) not shown because they look like a secret value" in line, line
    invalid = next(line for line in result.out.splitlines() if "labels of alertmanager" in line)
    assert "1 label(s) not shown" in invalid and "cannot become Secret keys" in invalid, invalid


@pytest.mark.parametrize("echo", [str.lower, str.upper, lambda t: t[3:40], lambda t: t.split(".")[1][:14].swapcase()])
def test_a_token_echoed_re_cased_or_in_part_is_redacted(connect, tmp_path, echo):
    vault = standard_vault()
    server = connect([vault])
    server.forced["/v1/vaults"] = Forced(500, json.dumps({"status": 500, "message": f"bad token {echo(TOKEN)} given"}))
    result = _check_secrets(tmp_path)
    assert result.code == 6, result
    assert "answered 500 (bad token [redacted] given)" in result.out, result
    assert echo(TOKEN) not in result.out


def test_an_escaped_title_is_looked_up_as_flux_leaves_it(connect, tmp_path):
    """``a$${X}`` in the ExternalSecret is ``a${X}`` once Flux has substituted: that is the item to find."""
    vault = Vault("Kubernetes", [login_item("a${X}", "admin", PASSWORD), secure_note("alertmanager", SLACK_WEBHOOK_URL=WEBHOOK)])
    server = connect([vault])
    text = MINIMAL_ANSWERS.replace("  domain: example.com\n", "") + "secrets:\n  grafana_item: a$${X}\nflux:\n  substitute_from: cluster-secrets\n"
    result = _check_secrets(tmp_path, text)
    assert result.code == 0, result
    assert "OK      item a${X}: found once" in result.out, result
    assert any('title eq "a${X}"' in gateway_module.unquote(p.replace("+", " ")) for p in server.requests_to("/v1/vaults/")), server.log
    # Without postBuild substitution the title stays as written: a$${X}, which this vault lacks.
    result = _check_secrets(tmp_path, MINIMAL_ANSWERS + "secrets:\n  grafana_item: a$${X}\n")
    assert result.code == 6 and "no item titled 'a$${X}'" in result.out, result


# --- item 13: CRLF manifests keep their line ends ------------------------------------------------------

from tests.conftest import EXAMPLE_ANSWERS  # noqa: E402

LOKI_RELEASE = "kubernetes/apps/observability/loki/app/helmrelease.yaml"
NAMESPACE_KUSTOMIZATION = "kubernetes/apps/observability/kustomization.yaml"


def _diff_of(out: str, rel: str) -> list[str]:
    """The changed lines of ``rel``'s diff in a dry run's output, line ends included."""
    start = out.index(f"--- a/{rel}\n")
    end = out.find("\n--- ", start + 1)
    body = out[start:end if end != -1 else None].splitlines(keepends=True)[2:]
    return [line for line in body if line[:1] in "+-"]


def _all_crlf(data: bytes) -> bool:
    return b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")


def test_a_crlf_manifest_keeps_its_line_ends_through_update_and_merge(tmp_path):
    repo = flux_repo(tmp_path / "repo")
    assert run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check").code == 0
    release, namespace = repo / LOKI_RELEASE, repo / NAMESPACE_KUSTOMIZATION
    for path in (release, namespace):
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))  # as an editor or core.autocrlf leaves it
    assert run_cli("--check", "--answers", EXAMPLE_ANSWERS, "--repo", repo).code == 0  # the same content: in sync

    changed = tmp_path / "changed.yaml"
    changed.write_text(EXAMPLE_ANSWERS.read_text().replace("pvc_size: 10Gi", "pvc_size: 12Gi"))
    dry = run_cli("--answers", changed, "--repo", repo, "--skip-secret-check", "--dry-run")
    assert dry.code == 0, dry
    assert _diff_of(dry.out, LOKI_RELEASE) == ["-        size: 10Gi\r\n", "+        size: 12Gi\r\n"], dry.out
    expected = release.read_bytes().replace(b"size: 10Gi\r\n", b"size: 12Gi\r\n")  # the diff is the bytes written
    assert run_cli("--answers", changed, "--repo", repo, "--skip-secret-check").code == 0
    assert release.read_bytes() == expected
    assert _all_crlf(namespace.read_bytes())
    assert run_cli("--check", "--answers", changed, "--repo", repo).code == 0

    # A hand edit in the CRLF file and a new answer: the three-way merge keeps both, and the CRLF.
    release.write_bytes(release.read_bytes().replace(b"        size: 12Gi\r\n", b"        size: 12Gi  # mine\r\n"))
    again = tmp_path / "again.yaml"
    again.write_text(changed.read_text().replace("retention: 7d", "retention: 14d"))
    result = run_cli("--answers", again, "--repo", repo, "--skip-secret-check")
    assert result.code == 0, result
    data = release.read_bytes()
    assert _all_crlf(data) and b"size: 12Gi  # mine\r\n" in data and b"retention_period: 336h\r\n" in data
    check = run_cli("--check", "--answers", again, "--repo", repo)
    assert check.code == 0, check



# --- item 15: discovery names the manifests it cannot read -------------------------------------------

STORAGE_CLASS = "kubernetes/apps/kube-system/local-path/app/storageclass.yaml"


@pytest.mark.parametrize(("damage", "said"), [
    (lambda b: b.replace(b"provisioner:", b"<<<<<<< HEAD\nprovisioner:") + b"=======\nprovisioner: x\n>>>>>>> theirs\n",
     "has a git conflict marker at line 6; discovery skipped it (finish the merge"),
    (lambda b: b.replace(b"name: local-path", b"name: local-path\n  labels: {owner: caf\xe9}"),
     "is not UTF-8 text (line 6, byte "),
    (lambda b: b + b"parameters: [\n", "is not valid YAML (line 8); discovery skipped it"),
    (lambda b: b + b"volumeBindingMode: " + b"9" * 5000 + b"\n", "holds YAML too large or deep to read"),
], ids=["conflict-markers", "latin-1", "bad-yaml", "huge-int"])
def test_discovery_names_a_manifest_it_cannot_read(tmp_path, damage, said):
    repo = flux_repo(tmp_path / "repo")
    path = repo / STORAGE_CLASS
    path.write_bytes(damage(path.read_bytes()))
    result, _ = _write_run(tmp_path, MINIMAL_ANSWERS, repo=repo)
    assert result.code == 2, result  # the StorageClass the answers name is then not defined by the repo
    (line,) = [line for line in result.out.splitlines() if STORAGE_CLASS in line]
    assert line.startswith(f"repo: {STORAGE_CLASS}: ") and said in line, line


# --- item 15: a target git ignores is warned about, without letting the repo's git config run anything --


def test_a_target_git_ignores_is_warned_about_and_the_repo_git_config_runs_nothing(tmp_path):
    import shutil
    import subprocess

    from tests.conftest import need

    need(shutil.which("git") is not None, "git is not installed (apt-get install git)")
    repo = flux_repo(tmp_path / "repo")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    marker = tmp_path / "the-repo-config-ran-this"
    hook = tmp_path / "fsmonitor-hook"
    hook.write_text(f"#!/bin/sh\ntouch '{marker}'\necho 0\n")
    hook.chmod(0o755)
    for key, value in (("core.fsmonitor", str(hook)), ("core.pager", f"sh {hook}"), ("core.hooksPath", str(tmp_path))):
        subprocess.run(["git", "-C", str(repo), "config", key, value], check=True)
    (repo / ".gitignore").write_text("# build output\n**/loki/app/*\n!**/loki/app/kustomization.yaml\n")

    result = run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check", "--dry-run")
    assert result.code == 0, result
    warned = [line for line in result.out.splitlines() if "git ignores it" in line]
    assert warned and all("kubernetes/apps/observability/loki/app/" in line for line in warned), result.out
    assert ("  create    kubernetes/apps/observability/loki/app/helmrelease.yaml  (warning: git ignores it (.gitignore:2: **/loki/app/*): "
            "it would never be committed, so Flux would never apply it; change that rule or `git add -f` it)") in result.out
    assert not any("kustomization.yaml" in line for line in warned)  # a negated rule un-ignores it
    assert not any(".obs-wizard/" in line for line in warned)  # its own scratch rules are not the operator's
    assert not marker.exists()  # nothing the repo's git config names was run
    # The trap was armed: git run the ordinary way runs the repo's fsmonitor hook.
    subprocess.run(["git", "-C", str(repo), "status", "--short"], capture_output=True, check=False)
    assert marker.exists()


def test_discovery_names_at_most_ten_unreadable_manifests(tmp_path):
    from wizard.repo.discovery import discover

    repo = flux_repo(tmp_path / "repo")
    for index in range(12):
        broken = repo / f"kubernetes/apps/default/app{index:02d}/storageclass.yaml"
        broken.parent.mkdir(parents=True)
        broken.write_text("kind: StorageClass\nmetadata: [\n")
    notes = [note for note in discover(repo).notes if "discovery" in note]
    assert len(notes) == 11 and notes[-1] == "... and 2 more manifest(s) discovery could not read", notes
    assert notes[0].startswith("kubernetes/apps/default/app00/storageclass.yaml: is not valid YAML"), notes
