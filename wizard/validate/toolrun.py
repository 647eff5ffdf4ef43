"""Running an external checker: a missing tool is skipped with the package that provides it
(or an error under OBS_WIZARD_STRICT_TOOLS=1); a failure becomes a finding naming the file."""

from __future__ import annotations

import subprocess
from pathlib import Path

from wizard.validate import tools
from wizard.validate.findings import Finding


def run(name: str, args: list[str], *, check: str, step: str, cwd: Path | None = None,
        timeout: float = 60) -> tuple[subprocess.CompletedProcess[str] | None, Finding | None]:
    binary = tools.find(name)
    if binary is None:
        return None, Finding("error" if tools.strict() else "skipped", check, tools.missing_message(name, step),
                             remedy=tools.remedy(name))
    try:
        proc = subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired:
        return None, Finding("error", check, f"{step} did not finish within {timeout:g}s")
    except OSError as exc:
        return None, Finding("error", check, f"{name} could not run ({exc.strerror})")
    return proc, None


def output(proc: subprocess.CompletedProcess[str], *strip: str) -> str:
    """The tool's own words, one line per problem, with temporary paths removed."""
    text = "\n".join(part for part in (proc.stdout.strip(), proc.stderr.strip()) if part)
    for prefix in strip:
        text = text.replace(prefix, "")
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    return "; ".join(lines[:12])
