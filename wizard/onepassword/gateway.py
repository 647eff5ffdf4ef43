"""1Password Connect access through ``onepasswordconnectsdk``, with its known faults guarded.

- Title lookups send the filter through the SDK's own httpx session with ``params=``, so titles
  with ``+ & # %`` are percent-encoded (the SDK's title helpers build the query by hand and would
  silently find the wrong item: connect-sdk-python#123).
- Every failure becomes a ``ConnectFailure`` with a one-line message of our own: never the token,
  never a field value, never the SDK's text (which can carry request paths we did not choose).
- Timeouts are bounded by our ``httpx.Timeout``; nothing is retried.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx


class ConnectFailure(Exception):
    """``kind`` is one of: unreachable, timeout, unauthorized, forbidden, server, bad-response, config."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class VaultRef:
    id: str
    name: str


@dataclass(frozen=True)
class ItemField:
    label: str
    value: str = ""  # held in memory only for the checks; never printed


@dataclass(frozen=True)
class ItemRef:
    id: str
    title: str


def _header_safe(value: str) -> bool:
    return value.isascii() and all(32 <= ord(c) < 127 for c in value)


def shown_host(host: str) -> str:
    """``host`` as it may be printed: without user name or password (https://user:pass@host)."""
    parts = urlsplit(host)
    if "@" not in parts.netloc:
        return host.rstrip("/")
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, "", "")).rstrip("/")


class _DeadlineStream:
    """A network stream whose every read and write ends at one deadline for the whole check."""

    def __init__(self, stream, deadline: float):
        self._stream = stream
        self._deadline = deadline

    def _left(self, timeout: float | None) -> float:
        import httpcore

        left = self._deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ReadTimeout("the deadline for the whole check passed")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._left(timeout))

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, self._left(timeout)), self._deadline)

    def close(self) -> None:
        self._stream.close()

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class _DeadlineBackend:
    def __init__(self, backend, deadline: float):
        self._backend = backend
        self._deadline = deadline

    def _left(self, timeout: float | None) -> float:
        import httpcore

        left = self._deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ConnectTimeout("the deadline for the whole check passed")
        return left if timeout is None else min(timeout, left)

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        stream = self._backend.connect_tcp(host, port, self._left(timeout), local_address, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        return _DeadlineStream(self._backend.connect_unix_socket(path, self._left(timeout), socket_options), self._deadline)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _deadline_transport(deadline: float) -> httpx.HTTPTransport:
    """httpx's own transport, its sockets bounded by ``deadline`` (a read timeout alone is per read:
    a server trickling a byte at a time would hold it for ever)."""
    transport = httpx.HTTPTransport()
    pool = getattr(transport, "_pool", None)
    if pool is not None and hasattr(pool, "_network_backend"):
        pool._network_backend = _DeadlineBackend(pool._network_backend, deadline)
    return transport


class ConnectGateway:
    def __init__(self, host: str, token: str, timeout: float = 5.0):
        if not host.startswith(("http://", "https://")):
            raise ConnectFailure("config", "OP_CONNECT_HOST must start with http:// or https://, e.g. http://onepassword-connect:8080")
        if not token:
            raise ConnectFailure("config", "OP_CONNECT_TOKEN is empty; set it to the Connect token")
        if not _header_safe(token):
            raise ConnectFailure("config", "OP_CONNECT_TOKEN contains characters an HTTP header cannot carry (non-ASCII, "
                                           "spaces or control characters, often from copying it); copy the token again")
        if not _header_safe(host):
            raise ConnectFailure("config", "OP_CONNECT_HOST contains spaces, control or non-ASCII characters; set it to a "
                                           "URL such as http://onepassword-connect:8080")
        from onepasswordconnectsdk.client import new_client
        from onepasswordconnectsdk.config import ClientConfig

        self.host = shown_host(host)  # what messages show; the URL given is used as is
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self._secrets = _secret_parts(host, token)
        self._client = new_client(host.rstrip("/"), token, config=ClientConfig(
            timeout=httpx.Timeout(timeout), transport=_deadline_transport(self.deadline)))

    def redact(self, text: str) -> str:
        """``text`` without the token, any long part of it, or the host's user name and password."""
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return "".join(c if c.isprintable() else " " for c in text)

    def close(self) -> None:
        self._client.session.close()

    # --- transport ----------------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, str] | None = None, what: str = "") -> httpx.Response:
        try:
            response = self._client.session.get(path, params=params)
        except httpx.TimeoutException:
            raise ConnectFailure("timeout", f"1Password Connect at {self.host} did not answer within {self.timeout:g}s "
                                            f"(OBS_WIZARD_CONNECT_TIMEOUT, the deadline for the whole check){what}") from None
        except httpx.ConnectError:
            raise ConnectFailure("unreachable", f"cannot connect to 1Password Connect at {self.host}; check OP_CONNECT_HOST and that Connect is running") from None
        except httpx.HTTPError as exc:
            raise ConnectFailure("unreachable", f"1Password Connect at {self.host} failed ({exc.__class__.__name__}){what}") from None
        return response

    def _raise_for(self, response: httpx.Response, what: str) -> None:
        status = response.status_code
        if status < 300:
            return
        message = _server_message(response)
        if status == 401:
            raise ConnectFailure("unauthorized", "1Password Connect rejected the token (401); check OP_CONNECT_TOKEN")
        if status == 403:
            raise ConnectFailure("forbidden", f"the Connect token has no access{what} (403); grant the token access to the vault in 1Password")
        if message is None:
            raise ConnectFailure("bad-response", f"unexpected answer from 1Password Connect ({status}, not JSON){what}; is a proxy in front of it?")
        raise ConnectFailure("server", f"1Password Connect answered {status} ({self.redact(message)[:120]}){what}")

    def _json(self, response: httpx.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise ConnectFailure("bad-response", f"unexpected answer from 1Password Connect ({response.status_code}, not JSON){what}") from None

    # --- operations ---------------------------------------------------------------------------

    def heartbeat(self) -> None:
        response = self._get("/heartbeat", what=" (heartbeat)")
        if response.status_code != 200:
            raise ConnectFailure("bad-response", f"{self.host}/heartbeat answered {response.status_code}; is OP_CONNECT_HOST the Connect server?")

    def vaults_named(self, name: str) -> list[VaultRef]:
        what = f" looking up vault {name!r}"
        response = self._get("/v1/vaults", params={"filter": f'name eq "{name}"'}, what=what)
        self._raise_for(response, what)
        vaults = self._deserialize(response, "list[Vault]", what)
        return [VaultRef(v.id, v.name) for v in vaults if v.name == name]

    def items_titled(self, vault: VaultRef, title: str) -> list[ItemRef]:
        what = f" looking up item {title!r} in vault {vault.name!r}"
        response = self._get(f"/v1/vaults/{vault.id}/items", params={"filter": f'title eq "{title}"'}, what=what)
        self._raise_for(response, what)
        items = self._deserialize(response, "list[SummaryItem]", what)
        return [ItemRef(i.id, i.title) for i in items if i.title == title]

    def item_fields(self, vault: VaultRef, item: ItemRef) -> list[ItemField]:
        from onepasswordconnectsdk.errors import OnePasswordConnectSDKError

        what = f" reading item {item.title!r}"
        try:
            full = self._client.get_item_by_id(item.id, vault.id)
        except OnePasswordConnectSDKError as exc:
            status = getattr(exc, "status_code", None)
            if status == 401:
                raise ConnectFailure("unauthorized", "1Password Connect rejected the token (401); check OP_CONNECT_TOKEN") from None
            if status in (403, 404):
                raise ConnectFailure("forbidden", f"item {item.title!r} vanished or is not readable ({status}){what}") from None
            raise ConnectFailure("server", f"1Password Connect failed ({status or 'error'}){what}") from None
        except httpx.TimeoutException:
            raise ConnectFailure("timeout", f"1Password Connect at {self.host} did not answer within {self.timeout:g}s "
                                            f"(OBS_WIZARD_CONNECT_TIMEOUT, the deadline for the whole check){what}") from None
        except httpx.HTTPError as exc:
            raise ConnectFailure("unreachable", f"1Password Connect at {self.host} failed ({exc.__class__.__name__}){what}") from None
        except ValueError:  # JSON decoding of a proxy's HTML, or a model value the SDK rejects
            raise ConnectFailure("bad-response", f"unexpected answer from 1Password Connect{what}; is a proxy in front of it?") from None
        return [ItemField(label=f.label or "", value=f.value or "") for f in (full.fields or [])]

    def _deserialize(self, response: httpx.Response, kind: str, what: str) -> Any:
        self._json(response, what)  # a proxy's HTML page fails here with our message
        try:
            return self._client.deserialize(response.content, kind)
        except (ValueError, TypeError, KeyError):
            raise ConnectFailure("bad-response", f"1Password Connect sent data the SDK cannot read{what}") from None


def _server_message(response: httpx.Response) -> str | None:
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    if isinstance(body, dict):
        return str(body.get("message", ""))
    return ""


def _secret_parts(host: str, token: str) -> list[str]:
    """Every string whose appearance in a message would leak: the token and its JWT segments, the
    host's user name and password (as given, percent-decoded, and as the Basic auth header carries
    them). Longest first."""
    parts = {token, *[p for p in token.split(".") if len(p) >= 12]}
    netloc = urlsplit(host).netloc
    if "@" in netloc:
        userinfo = netloc.rpartition("@")[0]
        for piece in (userinfo, *userinfo.split(":", 1)):
            if piece:
                parts.update({piece, unquote(piece)})
        basic = base64.b64encode(unquote(userinfo).encode("utf-8")).decode("ascii")
        parts.update({basic, basic.rstrip("=")})
    return sorted((p for p in parts if p), key=len, reverse=True)
