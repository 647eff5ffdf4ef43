"""Parsing and formatting of the units the manifests use.

- Prometheus durations (``30s``, ``1h30m``, ``30d``), as Prometheus and Alertmanager accept them;
- Kubernetes quantities for PVC sizes (``30Gi``, ``500Mi``);
- Prometheus byte sizes for ``retentionSize`` (``25GB``, ``25GiB``); Prometheus reads these base-2.
"""

from __future__ import annotations

import math
import re

_DURATION_RE = re.compile(
    r"^(?:(?P<y>[0-9]+)y)?(?:(?P<w>[0-9]+)w)?(?:(?P<d>[0-9]+)d)?(?:(?P<h>[0-9]+)h)?"
    r"(?:(?P<m>[0-9]+)m)?(?:(?P<s>[0-9]+)s)?(?:(?P<ms>[0-9]+)ms)?\Z"
)
_DURATION_FACTORS = {
    "y": 365 * 86400.0,
    "w": 7 * 86400.0,
    "d": 86400.0,
    "h": 3600.0,
    "m": 60.0,
    "s": 1.0,
    "ms": 0.001,
}

_QUANTITY_RE = re.compile(r"^(?P<num>[0-9]+(?:\.[0-9]+)?)(?P<unit>Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?\Z")
_QUANTITY_FACTORS = {
    None: 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}

# The prometheus-operator CRD pattern for retentionSize.
_BYTESIZE_RE = re.compile(r"^(?P<num>(?:[0-9]*\.)?[0-9]+)(?P<unit>(?:K|M|G|T|P|E)i?)?B\Z")
_BYTESIZE_POWERS = {None: 0, "K": 1, "M": 2, "G": 3, "T": 4, "P": 5, "E": 6}


def parse_duration(text: str) -> float:
    """Seconds in a Prometheus duration; raises ValueError with a hint when malformed."""
    match = _DURATION_RE.match(text or "")
    if not text or not match or not any(match.groupdict().values()):
        raise ValueError(f"{shown(text or '')} is not a duration; use a form like 30s, 5m, 12h or 30d")
    return sum(float(v) * _DURATION_FACTORS[k] for k, v in match.groupdict().items() if v)  # inf when absurdly long


#: Far above any size a manifest can carry (8 EiB); a longer number is refused before any arithmetic.
_MAX_BYTES = 2**63


class TooLarge(ValueError):
    """A size far beyond anything a manifest can carry; the field's own check names its limit."""


def shown(text: str) -> str:
    """``text`` quoted for a message, shortened when it is absurdly long."""
    return repr(text) if len(text) <= 40 else repr(text[:20] + "...") + f" ({len(text)} characters)"


def _bytes(number: str, factor: int, text: str) -> int:
    value = float(number) * factor  # a 400-digit number is inf here, never an OverflowError below
    if not math.isfinite(value) or value >= _MAX_BYTES:
        raise TooLarge(f"{shown(text)} is far too large a size; use a real size such as 30Gi")
    return int(value)


def parse_quantity(text: str) -> int:
    """Bytes in a Kubernetes quantity such as 30Gi; raises ValueError when malformed."""
    match = _QUANTITY_RE.match(text or "")
    if not match:
        raise ValueError(f"{shown(text or '')} is not a size; use a Kubernetes quantity like 30Gi or 500Mi "
                         "(ASCII digits)")
    return _bytes(match["num"], _QUANTITY_FACTORS[match["unit"]], text)


def parse_bytesize(text: str) -> int:
    """Bytes in a Prometheus size such as 25GB (base-2, as Prometheus reads it)."""
    match = _BYTESIZE_RE.match(text or "")
    if not match:
        raise ValueError(f"{shown(text or '')} is not a Prometheus size; use a form like 25GB or 25GiB (ASCII digits)")
    unit = match["unit"]
    power = _BYTESIZE_POWERS[unit[0] if unit else None]
    return _bytes(match["num"], 1024**power, text)


def format_bytesize(n_bytes: int) -> str:
    """The largest whole Prometheus size (GB, then MB) not above ``n_bytes``."""
    for unit, power in (("TB", 4), ("GB", 3), ("MB", 2)):
        whole = n_bytes // 1024**power
        if whole >= 10 or (whole >= 1 and unit == "MB"):
            return f"{whole}{unit}"
    return f"{max(n_bytes // 1024**2, 1)}MB"


def format_seconds(seconds: float) -> str:
    """A short human form: 150 -> '2m30s'."""
    seconds = int(round(seconds))
    minutes, secs = divmod(seconds, 60)
    if minutes and secs:
        return f"{minutes}m{secs:02d}s"
    if minutes:
        return f"{minutes}m"
    return f"{secs}s"
