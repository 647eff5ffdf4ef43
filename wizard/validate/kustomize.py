"""`kubectl kustomize` on every directory obs-wizard writes a kustomization.yaml into."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

from wizard.validate import tools
from wizard.validate.findings import Finding, Report


def check_kustomize(stage_root: Path | None, files: dict[str, str]) -> Report:
    report = Report(checks_run=["kustomize"])
    kubectl = tools.find("kubectl")
    if kubectl is None or stage_root is None:
        report.add(Finding("error" if tools.strict() else "skipped", "kustomize", tools.missing_message("kubectl", "`kubectl kustomize`"),
                           remedy=tools.remedy("kubectl")))
        return report
    directories = sorted(str(PurePosixPath(p).parent) for p in files if PurePosixPath(p).name == "kustomization.yaml")

    def build(directory: str) -> subprocess.CompletedProcess[str] | OSError | subprocess.TimeoutExpired:
        try:
            return subprocess.run(
                [kubectl, "kustomize", "--load-restrictor=LoadRestrictionsNone", str(stage_root / directory)],
                capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "KUBECONFIG": "/dev/null"},
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return exc

    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="obs-wizard-kustomize") as pool:
        results = list(pool.map(build, directories))  # one kubectl per folder, at most four at once, findings in folder order
    for directory, result in zip(directories, results):
        if isinstance(result, BaseException):
            report.add(Finding("error", "kustomize", f"kubectl kustomize could not run: {result}", file=f"{directory}/kustomization.yaml"))
            continue
        if result.returncode != 0:
            message = _clean(result.stderr) or f"exit code {result.returncode}"
            report.add(Finding("error", "kustomize", message.replace(str(stage_root) + "/", ""), file=f"{directory}/kustomization.yaml"))
    return report


def _clean(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if 'err="' in line:
            message = line.split('err="', 1)[1]
            return (message[:-1] if message.endswith('"') else message).replace('\\"', '"')
        if line.startswith("error:") or line.startswith("Error:"):
            return line.split(":", 1)[1].strip()
    return lines[-1] if lines else ""
