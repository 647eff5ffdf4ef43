"""1Password Connect access through ``onepasswordconnectsdk``, with its known faults guarded.

- Title lookups send the filter through the SDK's own httpx session with ``params=``, so titles
  with ``+ & # %`` are percent-encoded (the SDK's title helpers build the query by hand and would
  silently find the wrong item: connect-sdk-python#123).
- Every failure becomes a ``ConnectFailure`` with a one-line message of our own: never the token,
  never a field value, never the SDK's text (which can carry request paths we did not choose).
- Timeouts are bounded by our ``httpx.Timeout``; nothing is retried.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

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


class ConnectGateway:
    def __init__(self, host: str, token: str, timeout: float = 5.0):
        if not host.startswith(("http://", "https://")):
            raise ConnectFailure("config", "OP_CONNECT_HOST must start with http:// or https://, e.g. http://onepassword-connect:8080")
        if not token:
            raise ConnectFailure("config", "OP_CONNECT_TOKEN is empty; set it to the Connect token")
        from onepasswordconnectsdk.client import new_client
        from onepasswordconnectsdk.config import ClientConfig

        self.host = host.rstrip("/")
        self.timeout = timeout
        self._client = new_client(self.host, token, config=ClientConfig(timeout=httpx.Timeout(timeout)))

    def close(self) -> None:
        self._client.session.close()

    # --- transport ----------------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, str] | None = None, what: str = "") -> httpx.Response:
        try:
            response = self._client.session.get(path, params=params)
        except httpx.TimeoutException:
            raise ConnectFailure("timeout", f"1Password Connect at {self.host} did not answer within {self.timeout:g}s{what}") from None
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
        raise ConnectFailure("server", f"1Password Connect answered {status} ({message[:120]}){what}")

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
            raise ConnectFailure("timeout", f"1Password Connect at {self.host} did not answer within {self.timeout:g}s{what}") from None
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
