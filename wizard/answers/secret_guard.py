"""Recognise values that look like secrets, so they never reach an answers file or git."""

from __future__ import annotations

import re

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # the host also with a trailing root dot or a port (hooks.slack.com./services/..., hooks.slack.com:443/...)
    (re.compile(r"hooks\.slack(-gov)?\.com\.?(:\d*)?/", re.I), "a Slack webhook URL"),
    (re.compile(r"(hc-ping\.com/|/api/push/|/ping/[0-9a-f]{8}-)", re.I), "a heartbeat push URL (healthchecks.io, Uptime Kuma)"),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"\bops_[A-Za-z0-9_-]{20,}"), "a 1Password service-account token"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), "a token (JWT, e.g. a 1Password Connect token)"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY"), "a private key"),
    (re.compile(r"^[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.I), "a URL with a password in it"),
)

#: Keys that would only ever hold a secret value (unknown to the model, so also an error).
SECRET_KEY_NAMES = re.compile(r"(^|_)(password|passwd|token|secret|api_?key|webhook_?url)$", re.I)

WHERE_SECRETS_BELONG = (
    "secrets never go in the answers file: keep the value in its 1Password item and put only the "
    "item title and field label here (secrets.*_item / secrets.*_field)"
)


def looks_secret(value: str) -> str | None:
    """What kind of secret ``value`` looks like, or None."""
    for pattern, kind in _PATTERNS:
        if pattern.search(value):
            return kind
    return None


#: A name longer than this (a 1Password field label, say) is more likely a pasted value than a name.
MAX_NAME = 64
_RANDOM_LOOKING = re.compile(r"^(?=.*[0-9])(?=.*[a-z])(?=.*[A-Z])[A-Za-z0-9]{20,}\Z|^[0-9a-fA-F]{24,}\Z")


def could_be_secret(name: str) -> bool:
    """May ``name`` (a label read from 1Password, say) be a secret pasted where a name belongs? Only a name
    for which this is False is ever printed: short, printable, no URL, none of the guard's patterns, not a
    random-looking run of letters and digits."""
    lowered = name.lower()
    return (len(name) > MAX_NAME or not name.isprintable() or "://" in name or lowered.startswith(("http", "hooks."))
            or looks_secret(name) is not None or _RANDOM_LOOKING.match(name) is not None)
