"""The cluster, reached through the real ``kubectl`` (so the kubeconfig, its client certificates and exec
plugins work exactly as for kubectl): ``kubectl get --raw`` for every read, and ``kubectl proxy`` on
127.0.0.1 for the two writes that need a Content-Type (the test alert, the canary line) and Grafana's login.

Every request has a timeout (``OBS_WIZARD_KUBECTL_TIMEOUT`` seconds, default 5) and none outlives the run's
deadline. An API server that cannot be reached is ``ClusterUnreachable``: one line, its own exit code.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from typing import Any

from wizard.base.errors import Exit, WizardError

TIMEOUT_ENV = "OBS_WIZARD_KUBECTL_TIMEOUT"

#: ``obs-wizard verify`` found failures.
EXIT_FAILURES = Exit.VERIFY_FAILED
#: kubectl could not reach the cluster (or has no context); nothing was checked.
EXIT_UNREACHABLE = Exit.UNREACHABLE

_UNREACHABLE = re.compile(
    r"Unable to connect to the server|connection to the server .* was refused|dial tcp|i/o timeout|"
    r"no such host|context deadline exceeded|Client\.Timeout|TLS handshake timeout|connection reset|"
    r"EOF$|getting credentials|executable .* not found|the server has asked for the client to provide credentials",
    re.IGNORECASE,
)
_SERVER_ERROR = re.compile(r"^Error from server \((?P<reason>[A-Za-z]+)\): (?P<message>.*)$", re.DOTALL)


class ClusterUnreachable(WizardError):
    exit_code = Exit.UNREACHABLE


class RequestFailed(Exception):
    """One request failed; ``reason`` is the API server's (NotFound, ServiceUnavailable, ...) when it said one."""

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.message = message
        self.reason = reason


def request_timeout() -> float:
    raw = os.environ.get(TIMEOUT_ENV, "")
    try:
        value = float(raw) if raw else 5.0
    except ValueError:
        value = 5.0
    return value if value > 0 else 5.0


class Kube:
    """kubectl with an optional ``--context``, a per-request timeout and a deadline (``time.monotonic()``)."""

    def __init__(self, context: str | None, deadline: float, timeout: float | None = None):
        self.kubectl = shutil.which("kubectl")
        if self.kubectl is None:
            raise ClusterUnreachable("kubectl is not on PATH; verify reaches the cluster through kubectl: install it "
                                     "(https://kubernetes.io/docs/tasks/tools/)")
        self.context = context
        self.deadline = deadline
        self.timeout = timeout or request_timeout()
        self._proxy: subprocess.Popen | None = None
        self._proxy_url: str | None = None
        self._prefetched: dict[str, bytes | Exception] = {}
        self.context_name = self._current_context()

    def _base(self) -> list[str]:
        assert self.kubectl is not None
        return [self.kubectl, *(["--context", self.context] if self.context else [])]

    def _current_context(self) -> str:
        if self.context:
            return self.context
        try:  # reads the kubeconfig only: the request timeout is not for this, a hung kubectl is
            done = subprocess.run([*self._base(), "config", "current-context"], capture_output=True, text=True,
                                  timeout=max(self.timeout, 30.0), stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise ClusterUnreachable("`kubectl config current-context` did not finish within 30 s; check that kubectl "
                                     "runs (kubectl version --client)") from None
        name = done.stdout.strip()
        if done.returncode != 0 or not name:
            raise ClusterUnreachable("kubectl has no current context; pass --context NAME or point KUBECONFIG at your "
                                     "cluster's kubeconfig")
        return name

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def _timeout(self) -> float:
        left = self.left()
        if left <= 0:
            raise RequestFailed("the run's deadline has passed", "Deadline")
        return max(0.5, min(self.timeout, left))

    # --- reads ----------------------------------------------------------------------------------

    def prefetch(self, paths: list[str], workers: int = 4) -> None:
        """Start ``raw`` for independent reads side by side (each kubectl call is a process start); the next
        ``raw`` of each path takes its answer (or its error) once, later ones ask again."""
        from concurrent.futures import ThreadPoolExecutor

        def one(path: str) -> tuple[str, bytes | Exception]:
            try:
                return path, self._raw(path)
            except (RequestFailed, ClusterUnreachable) as exc:
                return path, exc

        self._prefetched.clear()  # a read the last round did not take is stale now
        with ThreadPoolExecutor(max_workers=workers) as pool:
            self._prefetched.update(dict(pool.map(one, list(dict.fromkeys(paths)))))

    def raw(self, path: str) -> bytes:
        """``kubectl get --raw PATH``: the body, or RequestFailed with the API server's message."""
        if path in self._prefetched:
            answer = self._prefetched.pop(path)
            if isinstance(answer, Exception):
                raise answer
            return answer
        return self._raw(path)

    def _raw(self, path: str) -> bytes:
        timeout = self._timeout()
        argv = [*self._base(), f"--request-timeout={timeout:.0f}s" if timeout >= 1 else "--request-timeout=1s",
                "get", "--raw", path]
        try:
            done = subprocess.run(argv, capture_output=True, timeout=timeout + 5, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise RequestFailed(f"no answer within {timeout:.0f} s", "Timeout") from None
        if done.returncode == 0:
            return done.stdout
        message = _first_line(done.stderr.decode(errors="replace")) or f"kubectl exited {done.returncode}"
        match = _SERVER_ERROR.match(message)
        if match:
            raise RequestFailed(match["message"].strip(), match["reason"])
        if _UNREACHABLE.search(message):
            raise ClusterUnreachable(f"the cluster of kubectl context {self.context_name} cannot be reached: {message}")
        raise RequestFailed(message)

    def get_json(self, path: str) -> Any:
        body = self.raw(path)
        try:
            return json.loads(body)
        except ValueError:
            raise RequestFailed(f"{path} did not answer JSON") from None

    def reachable(self) -> str:
        """The server's version; ClusterUnreachable when it does not answer."""
        try:
            return str(self.get_json("/version").get("gitVersion", "?"))
        except RequestFailed as exc:
            if exc.reason in ("Timeout", None):
                raise ClusterUnreachable(f"the cluster of kubectl context {self.context_name} cannot be reached: {exc.message}") from None
            raise ClusterUnreachable(f"the API server of kubectl context {self.context_name} refused /version: {exc.message}") from None

    # --- requests with headers, through kubectl proxy ---------------------------------------------

    def _proxy_base(self) -> str:
        if self._proxy_url:
            return self._proxy_url
        proc = subprocess.Popen([*self._base(), "proxy", "--address=127.0.0.1", "--port=0"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        self._proxy = proc
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], max(self.timeout, 30.0))
        line = proc.stdout.readline() if ready else ""  # "Starting to serve on 127.0.0.1:41234"
        match = re.search(r"127\.0\.0\.1:(\d+)", line)
        if not match:
            err = proc.stderr.read() if proc.poll() is not None and proc.stderr else ""
            self.close()
            raise RequestFailed(f"kubectl proxy did not start: {_first_line(err) or line.strip() or 'no output'}")
        self._proxy_url = f"http://127.0.0.1:{match[1]}"
        return self._proxy_url

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, list[str]], bytes]:
        """(status, headers, body) of one request through ``kubectl proxy``; RequestFailed when none came."""
        timeout = self._timeout()
        req = urllib.request.Request(self._proxy_base() + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - 127.0.0.1 kubectl proxy
                return resp.status, _headers(resp.headers), resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, _headers(exc.headers), exc.read()
        except OSError as exc:
            raise RequestFailed(f"through kubectl proxy: {getattr(exc, 'reason', exc)}") from None

    def close(self) -> None:
        if self._proxy is not None and self._proxy.poll() is None:
            self._proxy.terminate()
            try:
                self._proxy.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proxy.kill()
                self._proxy.wait(timeout=5)
        if self._proxy is not None:
            for stream in (self._proxy.stdout, self._proxy.stderr):
                if stream is not None:
                    stream.close()
        self._proxy = None
        self._proxy_url = None

    def __enter__(self) -> Kube:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def service_path(namespace: str, service: str, port: str, sub: str) -> str:
    """The API server's service proxy path for ``sub`` (which starts with /)."""
    return f"/api/v1/namespaces/{namespace}/services/http:{service}:{port}/proxy{sub}"


def _headers(message: Any) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for key, value in message.items():
        result.setdefault(key.lower(), []).append(value)
    return result


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip() and not re.match(r"^[IWE]\d{4} ", line)]
    return lines[0] if lines else ""
