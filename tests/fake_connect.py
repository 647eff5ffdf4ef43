"""A local 1Password Connect server for tests, faithful to what the real one does for reads.

Behaviour follows ../shared/reference/onepassword.md §1 and §5: Bearer auth on /v1 (401 JSON
otherwise), unauthenticated /heartbeat and /health, ``name eq``/``title eq`` filters matched exactly,
Go-style query decoding (``+`` is a space, ``&`` splits, a bad ``%`` escape is a 400), summaries
without fields from the item list, full items by id, 26-character ids (400 otherwise), 403 for a
vault outside the token's scope, 404 for an unknown item, ``{status, message}`` JSON errors.
Switches: a delay per request, a forced status/body for paths (raw bytes and headers too, e.g. a
gzip body), and a request log with the bytes each answer put on the wire.
"""

from __future__ import annotations

import json
import random
import re
import socket
import string
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.local_server import LocalServer

_ID_RE = re.compile(r"^[a-z0-9]{26}$")
_FILTER_RE = re.compile(r'^(name|title) eq "(.*)"$')


def new_id(rng: random.Random | None = None) -> str:
    rng = rng or random.Random()
    return "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(26))


@dataclass
class Field:
    label: str
    value: str
    type: str = "STRING"
    purpose: str = ""
    id: str = field(default_factory=new_id)
    section: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type, "label": self.label, "value": self.value}
        if self.purpose:
            data["purpose"] = self.purpose
        if self.section:
            data["section"] = {"id": self.section}
        return data


@dataclass
class Item:
    title: str
    fields: list[Field]
    category: str = "LOGIN"
    id: str = field(default_factory=new_id)

    def summary(self, vault_id: str) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "vault": {"id": vault_id}, "category": self.category,
            "version": 1, "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z",
        }

    def full(self, vault_id: str) -> dict[str, Any]:
        data = self.summary(vault_id)
        sections = sorted({f.section for f in self.fields if f.section})
        data["sections"] = [{"id": s} for s in sections]
        data["fields"] = [f.to_json() for f in self.fields]
        return data


def login_item(title: str, username: str, password: str, **extra_fields: str) -> Item:
    """An item shaped like a real LOGIN item: built-ins with id == label, custom fields after."""
    fields = [
        Field("username", username, purpose="USERNAME", id="username"),
        Field("password", password, type="CONCEALED", purpose="PASSWORD", id="password"),
        Field("notesPlain", "", purpose="NOTES", id="notesPlain"),
    ]
    fields += [Field(label, value, type="CONCEALED", section="add more") for label, value in extra_fields.items()]
    return Item(title, fields)


def secure_note(title: str, **custom_fields: str) -> Item:
    fields = [Field("notesPlain", "", purpose="NOTES", id="notesPlain")]
    fields += [Field(label, value, type="CONCEALED", section="add more") for label, value in custom_fields.items()]
    return Item(title, fields, category="SECURE_NOTE")


@dataclass
class Vault:
    name: str
    items: list[Item] = field(default_factory=list)
    id: str = field(default_factory=new_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "type": "USER_CREATED", "items": len(self.items),
            "attributeVersion": 1, "contentVersion": 1,
            "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z",
        }


@dataclass
class Forced:
    status: int
    body: str | bytes  # bytes are sent as they are (e.g. gzip data with a Content-Encoding header)
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


class FakeConnect:
    """Start with ``with FakeConnect(vaults, token) as server:``; ``server.url`` is the base URL."""

    def __init__(self, vaults: list[Vault], token: str = "test-connect-token", *, scope: set[str] | None = None,
                 port: int = 0):
        """``port`` 0: any free one; a fixed one (below Linux's ephemeral range) only where a snapshot shows the URL."""
        self.vaults = vaults
        self.token = token
        self.scope = scope if scope is not None else {v.id for v in vaults}  # vault ids the token sees
        self.delay = 0.0
        # Misbehaving modes: send each answer one byte every ``trickle`` seconds (a read timeout alone
        # never fires); answer every /v1 request with a 500 whose message echoes the Authorization header.
        self.trickle = 0.0
        self.echo_auth = False
        self.forced: dict[str, Forced] = {}  # path prefix -> forced answer
        self.log: list[tuple[str, str, dict[str, str]]] = []  # (method, raw path, headers)
        self.sent: list[int] = []  # bytes of each answer's body that reached the client (until it hung up)
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests ever being answered at once
        self._lock = threading.Lock()
        self._server = LocalServer(("127.0.0.1", port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeConnect:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- request handling ---------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes; without this, Nagle plus delayed ACKs add
                # ~40 ms to every answer, which a real Connect server does not.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                with server._lock:
                    server.log.append(("GET", self.path, dict(self.headers)))
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    if server.delay:
                        time.sleep(server.delay)
                    status, body, content_type = server.answer(self.path, self.headers.get("Authorization", ""))
                    if server.echo_auth and self.path.startswith("/v1/"):
                        status, body, content_type = server._error(500, f"cannot use {self.headers.get('Authorization', '')}")
                finally:
                    with server._lock:
                        server.in_flight -= 1
                payload = body if isinstance(body, bytes) else body.encode("utf-8")
                extra = server.forced_headers(self.path)
                if server.trickle:
                    head = (f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\n"
                            f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload
                    try:
                        for byte in head:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(server.trickle)
                    except OSError:
                        pass
                    self.close_connection = True
                    return
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("1Password-Connect-Version", "1.7.3")
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                sent = 0
                try:
                    for start in range(0, len(payload), 65536):  # in pieces: a client that stops reading stops it
                        self.wfile.write(payload[start:start + 65536])
                        sent += len(payload[start:start + 65536])
                except OSError:
                    self.close_connection = True
                finally:
                    with server._lock:
                        server.sent.append(sent)

        return Handler

    def forced_headers(self, raw_path: str) -> dict[str, str]:
        path = raw_path.partition("?")[0]
        return next((f.headers for prefix, f in self.forced.items() if path.startswith(prefix)), {})

    @staticmethod
    def _error(status: int, message: str) -> tuple[int, str, str]:
        return status, json.dumps({"status": status, "message": message}), "application/json"

    def answer(self, raw_path: str, authorization: str) -> tuple[int, str | bytes, str]:
        path, _, query = raw_path.partition("?")
        for prefix, forced in self.forced.items():
            if path.startswith(prefix):
                return forced.status, forced.body, forced.content_type
        if path == "/heartbeat":
            return 200, ".", "text/plain"
        if path == "/health":
            return 200, json.dumps({"name": "1Password Connect API", "version": "1.7.3", "dependencies": []}), "application/json"
        if not path.startswith("/v1/"):
            return self._error(404, "not found")
        if authorization != f"Bearer {self.token}":
            return self._error(401, "Invalid bearer token")
        try:
            params = go_parse_query(query)
        except ValueError:
            return self._error(400, "invalid query")
        match = _FILTER_RE.match(params.get("filter", [""])[0]) if "filter" in params else None
        if "filter" in params and (match is None or len(params) != 1 or len(params["filter"]) != 1):
            return self._error(400, "Invalid filter")
        wanted = match.group(2) if match else None

        parts = path.strip("/").split("/")[1:]  # drop "v1"
        if parts == ["vaults"]:
            visible = [v for v in self.vaults if v.id in self.scope and (wanted is None or v.name == wanted)]
            return 200, json.dumps([v.to_json() for v in visible]), "application/json"
        if len(parts) >= 2 and parts[0] == "vaults":
            vault_id = parts[1]
            if not _ID_RE.match(vault_id):
                return self._error(400, "Invalid Vault UUID")
            vault = next((v for v in self.vaults if v.id == vault_id), None)
            if vault is None or vault.id not in self.scope:
                return self._error(403, f"Authorization: token does not have access to vault {vault_id}")
            if len(parts) == 2:
                return 200, json.dumps(vault.to_json()), "application/json"
            if parts[2:] == ["items"]:
                found = [i.summary(vault.id) for i in vault.items if wanted is None or i.title == wanted]
                return 200, json.dumps(found), "application/json"
            if len(parts) == 4 and parts[2] == "items":
                if not _ID_RE.match(parts[3]):
                    return self._error(400, "Invalid Item UUID")
                item = next((i for i in vault.items if i.id == parts[3]), None)
                if item is None:
                    return self._error(404, f"item {parts[3]} not found")
                return 200, json.dumps(item.full(vault.id)), "application/json"
        return self._error(404, "not found")

    def requests_to(self, prefix: str) -> list[str]:
        return [p for _, p, _ in self.log if p.startswith(prefix)]


def go_parse_query(query: str) -> dict[str, list[str]]:
    """Decode a query string as Go's url.ParseQuery does: '&' splits, '+' is a space, bad '%' fails."""
    params: dict[str, list[str]] = {}
    for part in query.split("&") if query else []:
        key, _, value = part.partition("=")
        params.setdefault(_unescape(key), []).append(_unescape(value))
    return params


def _unescape(text: str) -> str:
    out = bytearray()
    i = 0
    raw = text.encode("utf-8")
    while i < len(raw):
        c = raw[i]
        if c == ord("%"):
            hexpart = raw[i + 1:i + 3]
            if len(hexpart) != 2 or not all(chr(h) in string.hexdigits for h in hexpart):
                raise ValueError(f"invalid URL escape {raw[i:i + 3]!r}")
            out.append(int(hexpart, 16))
            i += 3
        elif c == ord("+"):
            out.append(ord(" "))
            i += 1
        else:
            out.append(c)
            i += 1
    return out.decode("utf-8")
