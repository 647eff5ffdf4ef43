"""1Password Connect access through ``onepasswordconnectsdk``, with its known faults guarded.

- Title lookups send the filter through the SDK's own httpx session with ``params=``, so titles
  with ``+ & # %`` are percent-encoded (the SDK's title helpers build the query by hand and would
  silently find the wrong item: connect-sdk-python#123).
- Every failure becomes a ``ConnectFailure`` with a one-line message of our own: never the token,
  never a field value, never the SDK's text (which can carry request paths we did not choose).
- Timeouts are bounded by our ``httpx.Timeout``; nothing is retried.
- Every answer is read through a cap (``MAX_RESPONSE_BYTES``, counted after decompression: a gzip
  bomb stops at the cap) and checked for the shape we use (a list of vaults, an item whose fields
  are objects) before anything reads it; an item fetched by id must be the item asked for.
"""

from __future__ import annotations

import base64
import json
import math
import re
import time
import zlib
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


#: The most bytes one Connect answer may hold once decompressed; a vault's item list is a few hundred
#: bytes an item, a full item a few KiB.
MAX_RESPONSE_BYTES = 8 * 1024 * 1024
#: OBS_WIZARD_CONNECT_TIMEOUT bounds (seconds).
MIN_TIMEOUT, MAX_TIMEOUT = 0.1, 600.0


class ResponseRefused(httpx.DecodingError):
    """An answer larger than MAX_RESPONSE_BYTES (decompressed), broken gzip, or an encoding we did not ask for."""


class _CappedStream(httpx.SyncByteStream):
    """The answer's bytes, gzip decoded here with a bound on what each step may inflate."""

    def __init__(self, stream: Any, gzipped: bool, cap: int):
        self._stream = stream
        self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None
        self._cap = cap

    def __iter__(self):
        total = 0
        for chunk in self._stream:
            data = chunk
            while data:
                if self._inflate is None:
                    out, data = data, b""
                else:
                    try:
                        out = self._inflate.decompress(data, self._cap - total + 1)  # never more than the cap allows
                    except zlib.error:
                        raise ResponseRefused("a broken gzip body") from None
                    data = self._inflate.unconsumed_tail
                total += len(out)
                if total > self._cap:
                    raise ResponseRefused(f"more than {self._cap // 1024} KiB")
                if out:
                    yield out
        if self._inflate is not None:
            try:
                tail = self._inflate.flush()
            except zlib.error:
                raise ResponseRefused("a broken gzip body") from None
            if total + len(tail) > self._cap:
                raise ResponseRefused(f"more than {self._cap // 1024} KiB")
            if tail:
                yield tail

    def close(self) -> None:
        self._stream.close()


class _CappedTransport(httpx.BaseTransport):
    """Asks for gzip or nothing, decodes gzip itself (httpx's decoder inflates without a bound) and stops
    every answer at MAX_RESPONSE_BYTES."""

    def __init__(self, inner: httpx.BaseTransport):
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.headers["Accept-Encoding"] = "gzip"
        response = self._inner.handle_request(request)
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("identity", "gzip", ""):
            response.close()
            raise ResponseRefused(f"an answer in the {encoding[:20]!r} encoding, which was not asked for")
        cap = MAX_RESPONSE_BYTES
        length = response.headers.get("Content-Length", "")
        if encoding in ("identity", "") and length.isdigit() and len(length) < 20 and int(length) > cap:
            response.close()
            raise ResponseRefused(f"more than {cap // 1024} KiB")
        headers = [(k, v) for k, v in response.headers.raw if k.lower() not in (b"content-encoding", b"content-length")]
        return httpx.Response(response.status_code, headers=headers, extensions=response.extensions,
                              stream=_CappedStream(response.stream, encoding == "gzip", cap), request=request)

    def close(self) -> None:
        self._inner.close()


def check_host(host: str) -> None:
    """Refuse an OP_CONNECT_HOST no HTTP client can use; the message never repeats it (it may hold a password)."""
    if not host.startswith(("http://", "https://")):
        raise ConnectFailure("config", "OP_CONNECT_HOST must start with http:// or https://, e.g. http://onepassword-connect:8080")
    if not _header_safe(host):
        raise ConnectFailure("config", "OP_CONNECT_HOST contains spaces, control or non-ASCII characters; set it to a "
                                       "URL such as http://onepassword-connect:8080")
    try:
        parts = urlsplit(host)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
        httpx.URL(host)
        valid = bool(parts.hostname)
    except (ValueError, httpx.InvalidURL):
        valid = False
    if not valid:
        raise ConnectFailure("config", "OP_CONNECT_HOST is not a usable URL (check the host, the brackets around an IPv6 "
                                       "address and the port number); set it to a URL such as http://onepassword-connect:8080")


def check_timeout(timeout: float) -> float:
    if not isinstance(timeout, (int, float)) or not math.isfinite(timeout) or not MIN_TIMEOUT <= timeout <= MAX_TIMEOUT:
        raise ConnectFailure("config", f"OBS_WIZARD_CONNECT_TIMEOUT must be a number of seconds from {MIN_TIMEOUT:g} to "
                                       f"{MAX_TIMEOUT:g}, e.g. 5")
    return float(timeout)


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
        check_host(host)
        timeout = check_timeout(timeout)
        if not token:
            raise ConnectFailure("config", "OP_CONNECT_TOKEN is empty; set it to the Connect token")
        if not _header_safe(token):
            raise ConnectFailure("config", "OP_CONNECT_TOKEN contains characters an HTTP header cannot carry (non-ASCII, "
                                           "spaces or control characters, often from copying it); copy the token again")
        from onepasswordconnectsdk.client import new_client
        from onepasswordconnectsdk.config import ClientConfig

        self.host = shown_host(host)  # what messages show; the URL given is used as is
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self._secrets = _secret_parts(host, token)
        try:
            self._client = new_client(host.rstrip("/"), token, config=ClientConfig(
                timeout=httpx.Timeout(timeout), transport=_CappedTransport(_deadline_transport(self.deadline))))
        except (ValueError, TypeError, httpx.InvalidURL):
            raise ConnectFailure("config", "OP_CONNECT_HOST is not a usable URL; set it to a URL such as "
                                           "http://onepassword-connect:8080") from None

    def redact(self, text: str) -> str:
        """``text`` without the token, any part of it, or the host's user name and password: matched in any
        letter case, and any run of ``ECHO_RUN`` or more characters of one of them (a server echoing a
        truncated or re-cased token) is hidden too."""
        return redact(text, self._secrets)

    def close(self) -> None:
        self._client.session.close()

    # --- transport ----------------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, str] | None = None, what: str = "") -> httpx.Response:
        try:
            response = self._client.session.get(path, params=params)
        except ResponseRefused as exc:
            raise self._too_large(exc, what) from None
        except httpx.TimeoutException:
            raise ConnectFailure("timeout", f"1Password Connect at {self.host} did not answer within {self.timeout:g}s "
                                            f"(OBS_WIZARD_CONNECT_TIMEOUT, the deadline for the whole check){what}") from None
        except httpx.ConnectError:
            raise ConnectFailure("unreachable", f"cannot connect to 1Password Connect at {self.host}; check OP_CONNECT_HOST and that Connect is running") from None
        except httpx.HTTPError as exc:
            raise ConnectFailure("unreachable", f"1Password Connect at {self.host} failed ({exc.__class__.__name__}){what}") from None
        return response

    def _too_large(self, exc: ResponseRefused, what: str) -> ConnectFailure:
        return ConnectFailure("bad-response", f"1Password Connect at {self.host} sent {exc}{what}; nothing more was read "
                                              "(is OP_CONNECT_HOST the Connect server, with no proxy rewriting answers?)")

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
        except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
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
        vaults = self._deserialize(response, "list[Vault]", what, title_key="name")
        return [VaultRef(v.id, v.name) for v in vaults if v.name == name]

    def items_titled(self, vault: VaultRef, title: str) -> list[ItemRef]:
        what = f" looking up item {title!r} in vault {vault.name!r}"
        response = self._get(f"/v1/vaults/{vault.id}/items", params={"filter": f'title eq "{title}"'}, what=what)
        self._raise_for(response, what)
        items = self._deserialize(response, "list[SummaryItem]", what, title_key="title")
        return [ItemRef(i.id, i.title) for i in items if i.title == title]

    def item_fields(self, vault: VaultRef, item: ItemRef) -> list[ItemField]:
        """The item's fields, read by id (the path the SDK's ``get_item_by_id`` uses) through the SDK's own
        session; the body is checked for the shape we read before the SDK's deserializer sees it."""
        from onepasswordconnectsdk.utils import PathBuilder

        what = f" reading item {item.title!r}"
        response = self._get(PathBuilder().vaults(vault.id).items(item.id).build(), what=what)
        status = response.status_code
        if status == 401:
            raise ConnectFailure("unauthorized", "1Password Connect rejected the token (401); check OP_CONNECT_TOKEN")
        if status in (403, 404):
            raise ConnectFailure("forbidden", f"item {item.title!r} vanished or is not readable ({status}){what}")
        if status >= 300:
            if _server_message(response) is None:
                raise ConnectFailure("bad-response", f"unexpected answer from 1Password Connect{what}; is a proxy in front of it?")
            raise ConnectFailure("server", f"1Password Connect failed ({status}){what}")
        body = self._json(response, what)
        if not isinstance(body, dict) or body.get("id") != item.id or body.get("title") != item.title:
            # asked by id for the item the title lookup found: anything else is not the item External Secrets reads
            raise ConnectFailure("bad-response", f"1Password Connect answered with a different item than the one asked for{what}; "
                                                 "is a proxy in front of it?")
        fields = body.get("fields")
        if fields is not None and not (isinstance(fields, list) and all(
                isinstance(f, dict) and all(isinstance(f.get(key), (str, type(None))) for key in ("label", "value"))
                for f in fields)):
            raise ConnectFailure("bad-response", f"1Password Connect sent an item whose fields are not a list of fields with "
                                                 f"text labels and values{what}; is a proxy in front of it?")
        try:
            full = self._client.deserialize(response.content, "Item")
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            raise ConnectFailure("bad-response", f"1Password Connect sent data the SDK cannot read{what}") from None
        return [ItemField(label=f.label or "", value=f.value or "") for f in (full.fields or [])]

    def _deserialize(self, response: httpx.Response, kind: str, what: str, title_key: str) -> Any:
        body = self._json(response, what)  # a proxy's HTML page fails here with our message
        if not isinstance(body, list) or not all(
                isinstance(entry, dict) and isinstance(entry.get("id"), str) and _ID.match(entry["id"]) is not None
                and isinstance(entry.get(title_key), str) for entry in body):
            raise ConnectFailure("bad-response", f"1Password Connect sent something other than a list of "
                                                 f"{'vaults' if title_key == 'name' else 'items'}{what}; is a proxy in front of it?")
        try:
            return self._client.deserialize(response.content, kind)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            raise ConnectFailure("bad-response", f"1Password Connect sent data the SDK cannot read{what}") from None


#: A vault or item id as Connect makes them (26 lower-case letters and digits), loosely: it goes into request
#: paths, so nothing else (``../``, ``?``) is ever accepted from a server.
_ID = re.compile(r"^[A-Za-z0-9]{1,64}\Z")

#: The shortest piece of a secret that is hidden wherever it appears (case-insensitively) in a message.
ECHO_RUN = 10


def redact(text: str, secrets: list[str]) -> str:
    """``text`` with every secret, and every run of ECHO_RUN characters of one, replaced by [redacted]."""
    folded = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)  # as long as text, index for index
    hidden = [False] * len(text)
    grams: set[str] = set()
    for secret in secrets:
        low = secret.lower()
        if len(low) >= ECHO_RUN:
            grams.update(low[i:i + ECHO_RUN] for i in range(len(low) - ECHO_RUN + 1))
        elif low:  # a short one (a host password): as given anywhere, in another case only as a word of its own
            matches = [*re.finditer(re.escape(secret), text), *re.finditer(rf"(?<![a-z0-9]){re.escape(low)}(?![a-z0-9])", folded)]
            for match in matches:
                hidden[match.start():match.end()] = [True] * (match.end() - match.start())
    for i in range(len(text) - ECHO_RUN + 1):
        if folded[i:i + ECHO_RUN] in grams:
            hidden[i:i + ECHO_RUN] = [True] * ECHO_RUN
    out, previous = [], False
    for char, hide in zip(text, hidden):
        if hide:
            if not previous:
                out.append("[redacted]")
        else:
            out.append(char if char.isprintable() else " ")
        previous = hide
    return "".join(out)


def _server_message(response: httpx.Response) -> str | None:
    try:
        body = json.loads(response.content)
    except (ValueError, RecursionError):
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
