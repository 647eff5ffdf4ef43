"""`obs-wizard fetch-charts`: fill the chart cache with the charts the repo's OCIRepositories name.

For a machine that validates offline later (a pre-commit hook, an air-gapped CI step): every
OCIRepository under the repo's ``kubernetes/`` folder, as it is on disk (url, ``ref.tag`` /
``ref.digest`` / ``ref.semver``, ``insecure``), is found in the chart source (``--charts-src``) or
the cache, else pulled through the Helm SDK into the cache, where ``validate`` reads it. It is the
explicit pull, so ``OBS_WIZARD_NO_PULL`` / ``OBS_WIZARD_OFFLINE`` (which keep validation from
pulling) do not stop it. The repo is only read: files inside it, no link out of it, each at most
2 MB, YAML parsed safely; a file that does not parse is passed over.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

from wizard.base import yamlio
from wizard.render import charts
from wizard.repo.repo_paths import read_text

_MAX_FILES = 20_000


def repo_refs(repo: Path) -> list[tuple[str, charts.OciRef]]:
    """(repo-relative file, ref) of every OCIRepository under ``repo/kubernetes``, one per distinct ref."""
    root = os.path.realpath(repo)
    top = os.path.join(root, "kubernetes")
    found: dict[charts.OciRef, str] = {}
    seen = 0
    for folder, dirs, names in os.walk(top):  # links to folders are not followed
        dirs.sort()
        for name in sorted(names):
            if not name.endswith((".yaml", ".yml")):
                continue
            seen += 1
            if seen > _MAX_FILES:
                return sorted(((path, ref) for ref, path in found.items()), key=lambda item: item[0])
            path = os.path.join(folder, name)
            text = read_text(root, path)
            if text is None or "OCIRepository" not in text:
                continue
            try:
                docs = yamlio.load_all(text)
            except yamlio.YAMLError:
                continue
            for doc in docs:
                if (isinstance(doc, dict) and doc.get("kind") == "OCIRepository"
                        and str(doc.get("apiVersion", "")).startswith("source.toolkit.fluxcd.io/")):
                    found.setdefault(charts.oci_ref(doc), os.path.relpath(path, root))
    return sorted(((path, ref) for ref, path in found.items()), key=lambda item: item[0])


def run(repo: Path, charts_src: Path | None, out: TextIO) -> int:
    """Fetch every chart; one line each. 0 when every chart is at hand now, 3 when one is not (or is refused)."""
    from wizard.base.errors import Exit
    from wizard.validate.helm_render import sdk_available

    refs = repo_refs(repo)
    if not refs:
        print(f"fetch-charts: no OCIRepository under {repo / 'kubernetes'}; nothing to fetch", file=out)
        return Exit.OK
    if not sdk_available():
        print(f"fetch-charts: the Helm SDK that pulls charts is not installed ({charts.HELM_EXTRA}); nothing was fetched", file=out)
        return Exit.INVALID
    charts.new_run()
    counts = {"fetched": 0, "at hand": 0, "failed": 0}
    for path, ref in refs:
        if "${" in ref.url + ref.tag + ref.digest + ref.semver:
            print(f"  failed   {path}: {ref.describe()} holds a Flux variable; only the cluster knows its value", file=out)
            counts["failed"] += 1
            continue
        try:
            located = charts.find(ref, charts_src, explicit=True)
        except charts.ChartRefused as exc:
            print(f"  refused  {path}: {exc}", file=out)
            counts["failed"] += 1
            continue
        except charts.ChartUnavailable as exc:
            print(f"  failed   {path}: {exc}", file=out)
            counts["failed"] += 1
            continue
        state = "fetched" if located.pulled else "at hand"
        counts[state] += 1
        print(f"  {state:<8} {path}: {ref.name} {located.version} from {located.source}", file=out)
    print("fetch-charts: " + ", ".join(f"{n} {what}" for what, n in counts.items()), file=out)
    return Exit.INVALID if counts["failed"] else Exit.OK
