"""The wheel carries the templates, and an installed copy renders from them (not from a checkout)."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from tests.conftest import EXAMPLE_ANSWERS, ROOT


def build_wheel(dest):
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dest), str(ROOT)],
                           capture_output=True, text=True, timeout=300)
    if build.returncode != 0:  # hatchling comes from the build environment when not installed
        build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dest), str(ROOT)],
                               capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    (wheel,) = dest.glob("obs_wizard-*.whl")
    return wheel


def test_the_wheel_ships_the_templates_and_renders_from_them(tmp_path):
    wheel = build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    templates = sorted(p.relative_to(ROOT / "templates").as_posix() for p in (ROOT / "templates").rglob("*.j2"))
    assert templates and all(f"wizard/templates/{t}" in names for t in templates)
    assert "wizard/tui/wizard.tcss" in names and "wizard/tui/pictures.tcss" in names
    # Unpacked on its own, away from this checkout, it renders the golden tree.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
        "from wizard.answers import answers_file; from wizard.render import render; "
        "assert render.TEMPLATES_DIR == Path(sys.argv[1]) / 'wizard' / 'templates', render.TEMPLATES_DIR; "
        "files = render.render(answers_file.load(Path(sys.argv[2]))); "
        "print(files['kubernetes/apps/observability/loki/app/helmrelease.yaml'], end='')"
    )
    run = subprocess.run([sys.executable, "-I", "-c", code, str(site), str(EXAMPLE_ANSWERS)], capture_output=True, text=True,
                         timeout=60, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout == (ROOT / "kubernetes/apps/observability/loki/app/helmrelease.yaml").read_text()


def test_a_plain_pip_install_runs_every_internal_check_and_says_what_it_skipped(tmp_path):
    """`pip install` of the wheel into a venv, nothing else on PATH: the CRD and chart-values checks run
    from the pinned files (downloaded from a local mirror of ../shared), the tool checks are skipped
    with their remedies, and --strict turns those skips into exit 3."""
    from tests.conftest import SHARED, flux_repo, need
    from tests.test_sources import Mirror

    need((SHARED / "crds").is_dir() and (SHARED / "charts").is_dir(), f"{SHARED} is absent (upstream CRDs and chart defaults)")
    wheel = build_wheel(tmp_path)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=120)
    install = subprocess.run([str(venv / "bin/pip"), "install", "-q", "--no-deps", "--no-index", str(wheel)],
                             capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr
    env = {"PATH": str(venv / "bin"), "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "KUBECONFIG": str(tmp_path / "no-kubeconfig"), "LANG": "C.UTF-8",
           "OBS_WIZARD_NO_PULL": "1"}  # the tests reach 127.0.0.1 only: no chart pull from a registry
    where = subprocess.run([str(venv / "bin/python"), "-c", "import wizard; print(wizard.__file__)"], env=env,
                           capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert where.stdout.startswith(str(venv)), where
    repo = flux_repo(tmp_path / "repo")

    def validate(*extra: str, mirror: str = "http://127.0.0.1:9") -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(venv / "bin/obs-wizard"), "validate", "--answers", str(EXAMPLE_ANSWERS), "--repo", str(repo), *extra],
                              env={**env, "OBS_WIZARD_UPSTREAM_URL": mirror}, capture_output=True, text=True, timeout=300, cwd=tmp_path)

    offline = validate()
    summary = offline.stdout.splitlines()[-1]
    assert offline.returncode == 0, offline
    assert " skipped (" in summary and "crd-schema" in summary and "chart-values" in summary
    assert "  skipped crd-schema (" in offline.stdout and ": no schema for " in offline.stdout and "remedy: let kubectl reach the cluster" in offline.stdout
    assert "  skipped chart-values: " in offline.stdout and "pass --charts-dir DIR" in offline.stdout

    with Mirror(SHARED) as mirror:
        first = validate(mirror=mirror.url)
    summary = first.stdout.splitlines()[-1]
    assert first.returncode == 0, first
    skipped = summary.split(" skipped (", 1)[1]
    assert "promtool" in skipped and "amtool" in skipped and "kustomize" in skipped
    assert "  skipped promtool: promtool not found" in first.stdout and "remedy: apt-get install prometheus" in first.stdout
    assert "remedy: apt-get install prometheus-alertmanager" in first.stdout and "  skipped kustomize: kubectl not found" in first.stdout
    assert "crd-schema" not in skipped and "chart-values" not in skipped
    assert "  passed  crd-schema (CRDs: " in first.stdout and "  passed  chart-values (chart defaults: " in first.stdout

    cached = validate()  # the mirror is gone; the sha256-checked cache answers
    assert cached.stdout.splitlines()[-1] == summary
    strict = validate("--strict")
    assert strict.returncode == 3 and strict.stdout.splitlines()[-1].startswith("validation FAILED: ")
    assert "--strict (or OBS_WIZARD_STRICT=1) makes a skipped check a failure" in strict.stderr
