"""The wheel carries the templates, and an installed copy renders from them (not from a checkout)."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from tests.conftest import EXAMPLE_ANSWERS, ROOT


def test_the_wheel_ships_the_templates_and_renders_from_them(tmp_path):
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
                           capture_output=True, text=True, timeout=300)
    if build.returncode != 0:  # hatchling comes from the build environment when not installed
        build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                               capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    (wheel,) = tmp_path.glob("obs_wizard-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    templates = sorted(p.relative_to(ROOT / "templates").as_posix() for p in (ROOT / "templates").rglob("*.j2"))
    assert templates and all(f"wizard/templates/{t}" in names for t in templates)
    assert "wizard/tui/wizard.tcss" in names
    # Unpacked on its own, away from this checkout, it renders the golden tree.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
        "from wizard import answers_file, render; "
        "assert render.TEMPLATES_DIR == Path(sys.argv[1]) / 'wizard' / 'templates', render.TEMPLATES_DIR; "
        "files = render.render(answers_file.load(Path(sys.argv[2]))); "
        "print(files['kubernetes/apps/observability/loki/app/helmrelease.yaml'], end='')"
    )
    run = subprocess.run([sys.executable, "-I", "-c", code, str(site), str(EXAMPLE_ANSWERS)], capture_output=True, text=True,
                         timeout=60, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout == (ROOT / "kubernetes/apps/observability/loki/app/helmrelease.yaml").read_text()
