"""The answers model: every quickstart variable, its type, default, constraint and help.

This is the single source of truth. The answers-file JSON Schema (``obs-wizard schema``), the
variable table in quickstart.md, the interactive screens and the plain prompts are all generated
from it. Fields marked ``advanced`` are not asked by default in interactive runs.
"""

from __future__ import annotations

import posixpath
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from wizard.answers import units

# --- reusable constrained types -------------------------------------------------------------

_FQDN_RE = re.compile(r"^(?=.{1,253}\Z)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?\Z")
_DNS1123_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS1123_SUB_RE = re.compile(r"^(?=.{1,253}\Z)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_SECRET_KEY_RE = re.compile(r"^[-._a-zA-Z0-9]{1,253}\Z")
_CHART_VERSION_RE = re.compile(r"^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?\Z")
_SLACK_CHANNEL_RE = re.compile(r"^[#@][a-z0-9][-_.a-z0-9]{0,79}\Z")
#: Flux variables the templates may carry through to postBuild substitution.
FLUX_VARIABLES = ("SECRET_DOMAIN",)
_FLUX_VAR_RE = re.compile(r"\$\{([^}]*)\}")
#: How a repo that keeps its domain out of git names it (Flux substitutes it from cluster-secrets).
DOMAIN_VARIABLE_REF = "${SECRET_DOMAIN}"


def _too_long_for_dns(value: str) -> str | None:
    """What is too long about a would-be DNS name (the whole at most 253 characters, each label 63), or None."""
    if len(value) > 253:
        return f"is too long for a DNS name: {len(value)} characters (at most 253)"
    longest = max(value.split("."), key=len)
    if len(longest) > 63:
        return f"has a label of {len(longest)} characters: each part between dots is at most 63"
    return None


def _fqdn(value: str) -> str:
    if not _FQDN_RE.match(value):
        too_long = _too_long_for_dns(value)
        raise ValueError(f"{value!r} {too_long}" if too_long else f"{value!r} is not a lower-case DNS name such as example.com")
    return value


def _dns1123_label(value: str) -> str:
    if len(value) > 63 or not _DNS1123_RE.match(value):
        raise ValueError(
            f"{value!r} is not a Kubernetes name: use lower-case letters, digits and '-', "
            "starting and ending with a letter or digit (at most 63)"
        )
    return value


def _dns1123_subdomain(value: str) -> str:
    if not _DNS1123_SUB_RE.match(value):
        raise ValueError(
            f"{value!r} is not a Kubernetes resource name: use lower-case letters, digits, '-' and '.'"
        )
    return value


#: Upper bounds: far beyond any sane setting, well inside what Prometheus, Loki and Kubernetes parse.
MAX_DURATION_S = 10 * 365 * 86400  # 10y
MAX_QUANTITY = 2**50  # 1Pi
MAX_TITLE = 200


def _duration(value: str) -> str:
    seconds = units.parse_duration(value)
    if seconds <= 0:
        raise ValueError("must be longer than 0s")
    if seconds > MAX_DURATION_S:
        raise ValueError(f"{units.shown(value)} is longer than 10 years (3650d); use a shorter duration")
    return value


def _whole_days(value: str) -> str:
    if units.parse_duration(value) % 86400:
        raise ValueError(
            f"{value} is not a whole number of days; Loki deletes by 24h index periods, so use e.g. 7d or 168h"
        )
    return value


def _quantity(value: str) -> str:
    try:
        size = units.parse_quantity(value)
    except units.TooLarge:
        size = MAX_QUANTITY + 1
    if size <= 0:
        raise ValueError("must be larger than 0")
    if size > MAX_QUANTITY:
        raise ValueError(f"{units.shown(value)} is larger than 1Pi; use a real volume size such as 30Gi")
    return value


def _bytesize(value: str) -> str:
    try:
        size = units.parse_bytesize(value)
    except units.TooLarge:
        size = MAX_QUANTITY + 1
    if size <= 0:  # Prometheus reads a 0 size as "no size cap"
        raise ValueError("must be larger than 0 (0 switches the size cap off and Prometheus would fill the volume); "
                         "leave it out for about 85% of the volume")
    if size > MAX_QUANTITY:
        raise ValueError(f"{units.shown(value)} is larger than 1PB; use a size such as 25GB")
    return value


def _whole_number(value: Any) -> Any:
    if isinstance(value, bool):  # YAML `true` is not the number 1
        raise ValueError("must be a whole number, not true or false")
    return value


def _secret_key(value: str) -> str:
    if "://" in value or value.lower().startswith(("http", "hooks.")) or len(value) > 64:
        # A value (a webhook URL, a token) pasted where the label goes: never echo it back.
        raise ValueError("looks like a field's value, not its label: enter the label of the 1Password field, "
                         "e.g. SLACK_WEBHOOK_URL")
    if not _SECRET_KEY_RE.match(value):
        raise ValueError(
            f"{value!r} cannot become a Kubernetes Secret key (External Secrets refuses it): "
            "use only letters, digits, '-', '.' and '_', e.g. SLACK_WEBHOOK_URL"
        )
    return value


def _onepassword_title(value: str) -> str:
    if value != value.strip() or not value:
        raise ValueError("must not be empty or start or end with spaces")
    if len(value) > MAX_TITLE:
        raise ValueError(f"is {len(value)} characters long; at most {MAX_TITLE}")
    if '"' in value or any(ord(c) < 32 for c in value):
        raise ValueError(
            "must not contain '\"' or control characters (External Secrets cannot look such a title up); "
            "rename it in 1Password"
        )
    return value


def _flux_safe_title(value: str) -> str:
    """An item title is written into the ExternalSecret, where Flux postBuild may substitute it."""
    for match in _FLUX_UNESCAPED_VAR_RE.finditer(value):
        raise ValueError(
            f"{match.group(0)} would be replaced by Flux postBuild substitution in the ExternalSecret: rename the "
            f"1Password item, or, with flux.substitute_from set, write ${match.group(0)} (Flux turns it into {match.group(0)})"
        )
    return value


#: ``${name}`` that Flux postBuild substitutes (``$${name}`` is its escape for a literal ``${name}``).
_FLUX_UNESCAPED_VAR_RE = re.compile(r"(?<!\$)\$\{[^}]*\}")


def as_flux_sees(value: str) -> str:
    """A title as Flux postBuild leaves it in the applied manifest: each ``$${`` becomes ``${``.

    What External Secrets looks up in 1Password, so what the Connect check must look up too."""
    return value.replace("$${", "${")


def _chart_version(value: str) -> str:
    if not _CHART_VERSION_RE.match(value):
        raise ValueError(f"{value!r} is not a chart version such as 1.2.3")
    return value


def _slack_channel(value: str) -> str:
    if value and not _SLACK_CHANNEL_RE.match(value):
        raise ValueError(f"{value!r} is not a Slack channel such as #alerts (or leave it empty)")
    return value


def _hostname(value: str) -> str:
    for var in _FLUX_VAR_RE.findall(value):
        if var not in FLUX_VARIABLES:
            raise ValueError(
                f"${{{var}}} is not a Flux variable obs-wizard can substitute; "
                f"only {', '.join('${' + v + '}' for v in FLUX_VARIABLES)} is allowed"
            )
    probe = _FLUX_VAR_RE.sub("example.com", value)
    if not _FQDN_RE.match(probe):
        too_long = _too_long_for_dns(probe)
        raise ValueError(f"{value!r} {too_long}" if too_long else f"{value!r} is not a host name such as grafana.example.com")
    return value


def _domain(value: str) -> str:
    if value == DOMAIN_VARIABLE_REF:
        return value
    return _fqdn(value)


Fqdn = Annotated[str, AfterValidator(_fqdn)]
Domain = Annotated[str, AfterValidator(_domain)]
K8sName = Annotated[str, AfterValidator(_dns1123_label)]
K8sResourceName = Annotated[str, AfterValidator(_dns1123_subdomain)]
Duration = Annotated[str, AfterValidator(_duration)]
WholeDays = Annotated[str, AfterValidator(_duration), AfterValidator(_whole_days)]
Quantity = Annotated[str, AfterValidator(_quantity)]
ByteSize = Annotated[str, AfterValidator(_bytesize)]
SecretKeyLabel = Annotated[str, AfterValidator(_secret_key)]
OnePasswordTitle = Annotated[str, AfterValidator(_onepassword_title)]
ItemTitle = Annotated[str, AfterValidator(_onepassword_title), AfterValidator(_flux_safe_title)]
ChartVersion = Annotated[str, AfterValidator(_chart_version)]
SlackChannel = Annotated[str, AfterValidator(_slack_channel)]
Hostname = Annotated[str, AfterValidator(_hostname)]


def outside_repo(of: str, what: str) -> Any:
    """The explicit answer that ``of`` names something the repo does not define (installed at
    bootstrap or by hand). Without it, a value the repo does not define is refused."""
    return Field(
        default=False,
        title=f"{what} is outside the repo",
        description=f"True when the {what} named in {of} is created outside this repo (at bootstrap or by hand); "
                    f"otherwise it must be one the repo defines.",
        json_schema_extra={"advanced": True, "confirms": of},
    )


def _empty_list() -> list[str]:
    """A list field's default. (Not ``list`` itself: pydantic inspects a default factory's signature, and a
    builtin's is parsed from its text signature, about 1 ms each at start-up.)"""
    return []


def advanced(**kwargs: Any) -> Any:
    """A field the interactive wizard only asks when the operator opens the advanced options."""
    extra = kwargs.pop("json_schema_extra", {}) or {}
    extra["advanced"] = True
    return Field(json_schema_extra=extra, **kwargs)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True, defer_build=True)


# --- sections -----------------------------------------------------------------------------


class Cluster(Section):
    """The cluster the platform runs on."""

    model_config = ConfigDict(title="Cluster")

    domain: Domain | None = Field(
        None,
        title="Cluster domain",
        description="DNS domain for grafana.<domain>; omit it (or write ${SECRET_DOMAIN}) where Flux substitutes it.",
        examples=["example.com", "${SECRET_DOMAIN}"],
    )
    node_count: Annotated[int, BeforeValidator(_whole_number)] = Field(
        title="Node count",
        ge=1,
        le=500,
        description="Number of Kubernetes nodes; sizes the metrics disk estimate (node alerts are per node, not a count).",
        examples=[3],
    )
    storage_class: K8sName = Field(
        title="Storage class",
        description="StorageClass for the node-local Prometheus, Alertmanager, Grafana and Loki volumes.",
        examples=["local-path"],
    )
    storage_class_outside_repo: bool = outside_repo("cluster.storage_class", "StorageClass")


class Apps(Section):
    """Which of the three apps obs-wizard writes; each can be switched off on its own."""

    model_config = ConfigDict(title="Apps")

    kube_prometheus_stack: bool = Field(
        True, title="kube-prometheus-stack",
        description="Prometheus, Alertmanager, Grafana and the alerts; off: none of them, no ServiceMonitors or rules.",
    )
    loki: bool = Field(True, title="Loki", description="Loki stores the logs; off: no Loki and no Grafana Loki datasource.")
    alloy: bool = Field(True, title="Alloy", description="Alloy ships every node's pod logs to Loki; needs Loki on.")

    @model_validator(mode="after")
    def _alloy_needs_loki(self) -> Apps:
        if self.alloy and not self.loki:
            raise ValueError("alloy ships logs only to this Loki: switch loki on, or switch alloy off too")
        return self

    @property
    def enabled(self) -> tuple[str, ...]:
        """App names switched on, in render order."""
        return tuple(name for name, on in (("kube-prometheus-stack", self.kube_prometheus_stack),
                                           ("loki", self.loki), ("alloy", self.alloy)) if on)


class Metrics(Section):
    """Prometheus: how often it scrapes and how much it keeps."""

    model_config = ConfigDict(title="Metrics retention and storage")

    scrape_interval: Duration = Field("30s", title="Scrape interval", description="How often Prometheus scrapes every target.")
    evaluation_interval: Duration = Field(
        "30s", title="Rule evaluation interval", description="How often Prometheus evaluates alerting rules."
    )
    retention: Duration = Field("30d", title="Metrics retention", description="How long Prometheus keeps samples.")
    pvc_size: Quantity = Field("30Gi", title="Prometheus volume size", description="Size of the Prometheus PVC.")
    retention_size: ByteSize | None = Field(
        None,
        title="Metrics retention size",
        description="Disk cap for Prometheus blocks (e.g. 25GB); default about 85% of the volume, never above it.",
    )

    @model_validator(mode="after")
    def _retention_size_fits(self) -> Metrics:
        if self.retention_size is not None:
            if units.parse_bytesize(self.retention_size) > units.parse_quantity(self.pvc_size):
                raise ValueError(
                    f"retention_size {self.retention_size} is larger than pvc_size {self.pvc_size}; "
                    "Prometheus would fill the volume before deleting old data"
                )
        return self

    @property
    def effective_retention_size(self) -> str:
        if self.retention_size is not None:
            return self.retention_size
        return units.format_bytesize(int(units.parse_quantity(self.pvc_size) * 0.85))


class Logs(Section):
    """Loki: how long logs are kept and on how much disk."""

    model_config = ConfigDict(title="Log retention and storage")

    retention: WholeDays = Field(
        "7d", title="Log retention", description="How long Loki keeps logs; a whole number of days (24h periods)."
    )
    pvc_size: Quantity = Field("10Gi", title="Loki volume size", description="Size of the Loki PVC.")
    daily_volume: Quantity | None = advanced(
        default=None, title="Stored logs a day",
        description="Your estimate of the log data Loki stores a day (compressed chunks; after a day of running, Grafana "
        "Explore: sum(increase(loki_ingester_chunk_stored_bytes_total[1d]))). Given: the disk chart and summary project "
        "Loki's use over the retention against its volume; empty: not projected (there is no honest default).",
        examples=["300Mi"],
    )

    @property
    def retention_hours(self) -> str:
        return f"{int(units.parse_duration(self.retention) // 3600)}h"


class Grafana(Section):
    """Where Grafana is reachable over HTTPS."""

    model_config = ConfigDict(title="Grafana exposure")

    hostname: Hostname | None = Field(
        None,
        title="Grafana hostname",
        description="Host name of the Grafana HTTPRoute; default grafana.<domain>. May use ${SECRET_DOMAIN}.",
        examples=["grafana.example.com", "grafana.${SECRET_DOMAIN}"],
    )
    gateway_name: K8sName = Field("internal", title="Gateway name", description="Gateway the HTTPRoute attaches to.")
    gateway_namespace: K8sName = Field(
        "kube-system", title="Gateway namespace", description="Namespace of that Gateway."
    )
    gateway_section: K8sName = Field(
        "https", title="Gateway listener", description="Listener (sectionName) that admits routes from other namespaces."
    )
    gateway_outside_repo: bool = outside_repo("grafana.gateway_name", "Gateway")
    expose_prometheus_alertmanager: bool = Field(
        True,
        title="Routes for Prometheus and Alertmanager",
        description="Also route prometheus.<domain> and alertmanager.<domain> on this Gateway (no login: internal gateways "
        "only), and point their externalUrl (the links in Slack) there; off: no routes, no externalUrl, and Slack "
        "messages carry no links (they could not open).",
    )


class Secrets(Section):
    """1Password items that External Secrets reads; no secret value is ever stored here."""

    model_config = ConfigDict(title="Secrets (1Password via External Secrets)")

    store: K8sResourceName = Field(
        "onepassword", title="ClusterSecretStore", description="Name of the ClusterSecretStore backed by 1Password."
    )
    store_outside_repo: bool = outside_repo("secrets.store", "ClusterSecretStore")
    vault: OnePasswordTitle = Field(
        "Kubernetes", title="1Password vault", description="Title of the vault that holds the items."
    )
    grafana_item: ItemTitle = Field(
        "grafana", title="Grafana admin item", description="Title of the 1Password item with the Grafana admin login."
    )
    grafana_username_field: SecretKeyLabel = Field(
        "username", title="Grafana username field", description="Label of the field holding the admin user name."
    )
    grafana_password_field: SecretKeyLabel = Field(
        "password", title="Grafana password field", description="Label of the field holding the admin password."
    )
    slack_item: ItemTitle = Field(
        "alertmanager", title="Slack webhook item", description="Title of the 1Password item with the Slack webhook."
    )
    slack_webhook_field: SecretKeyLabel = Field(
        "SLACK_WEBHOOK_URL", title="Slack webhook field", description="Label of the field holding the webhook URL."
    )
    heartbeat_item: ItemTitle | None = Field(
        None,
        title="Heartbeat URL item",
        description="Title of the 1Password item with the dead-man's-switch push URL (healthchecks.io, Uptime Kuma, or "
        "gatus with heartbeat_token_field); empty: no heartbeat.",
        examples=["alertmanager"],
    )
    heartbeat_url_field: SecretKeyLabel = Field(
        "HEARTBEAT_URL", title="Heartbeat URL field",
        description="Label of the field holding the heartbeat push URL (an https URL Alertmanager POSTs to).",
    )
    heartbeat_token_field: SecretKeyLabel | None = advanced(
        default=None, title="Heartbeat token field",
        description="Label of the field (in the heartbeat item) holding a bearer token the heartbeat service demands, "
        "sent as 'Authorization: Bearer' (gatus external endpoints); empty: the URL alone (healthchecks.io, Uptime Kuma).",
        examples=["HEARTBEAT_TOKEN"],
    )

    @model_validator(mode="after")
    def _distinct_grafana_fields(self) -> Secrets:
        if self.grafana_username_field == self.grafana_password_field:
            raise ValueError("grafana_username_field and grafana_password_field must be different fields")
        if self.heartbeat_token_field is not None and self.heartbeat_token_field == self.heartbeat_url_field:
            raise ValueError("heartbeat_token_field and heartbeat_url_field must be different fields of the heartbeat item")
        if self.heartbeat_item == self.slack_item and self.heartbeat_url_field == self.slack_webhook_field:
            raise ValueError("the heartbeat URL and the Slack webhook must be different fields of the item "
                             f"{self.slack_item!r}: set heartbeat_url_field (e.g. HEARTBEAT_URL)")
        return self


#: Flux event messages that are transient (a source fetch that Flux retries at its next interval): no alert.
FLUX_ALERT_EXCLUSIONS = (
    "(i/o timeout|connection reset by peer|TLS handshake timeout|Client\\.Timeout exceeded)",
    "(429 Too Many Requests|unexpected status code 429)",
)
MAX_FLUX_EXCLUSIONS = 30


def _flux_exclusion(value: str) -> str:
    if not value or len(value) > 300:
        raise ValueError("must be a regular expression of 1 to 300 characters, e.g. \"i/o timeout\"")
    if "\n" in value or "${" in value:
        raise ValueError("must be one line without ${...} (Flux would substitute it)")
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{value!r} is not a regular expression ({exc}); Flux matches it as Go RE2") from None
    return value


FluxExclusion = Annotated[str, AfterValidator(_flux_exclusion)]


class Alerting(Section):
    """Alertmanager routing to Slack; the defaults keep alert -> Slack within 3 minutes."""

    model_config = ConfigDict(title="Alert routing")

    slack_channel: SlackChannel = Field(
        "#alerts", title="Slack channel", description="Channel to post to (empty: the webhook's own channel)."
    )
    rule_for: Duration = Field(
        "1m", title="Alert pending time", description="How long a self-monitoring problem lasts before it fires (for:)."
    )
    group_wait: Duration = Field("30s", title="group_wait", description="Wait before the first notification of a group.")
    group_interval: Duration = Field(
        "5m", title="group_interval", description="Wait before notifying about new alerts in a group."
    )
    repeat_interval: Duration = Field(
        "12h", title="repeat_interval", description="Wait before re-sending a still-firing alert."
    )
    heartbeat_period: Duration = Field(
        "5m",
        title="Heartbeat period",
        description="How often Alertmanager pings the heartbeat URL; give the heartbeat service this period.",
    )
    flux_alert_namespaces: list[K8sName] = advanced(
        default_factory=_empty_list,
        title="Flux alert namespaces",
        description="Other namespaces whose Flux Kustomization/HelmRelease/OCIRepository errors go to Alertmanager "
        "(e.g. flux-system, kube-system); the observability namespace is always watched.",
    )
    flux_alert_repo_namespaces: bool = advanced(
        default=True,
        title="Flux alerts for every app namespace",
        description="Also watch the Flux objects (Kustomization, HelmRelease, GitRepository, OCIRepository, "
        "HelmRepository) in every namespace the repo's apps use, found in kubernetes/ on every run (a new namespace "
        "is covered on the next run); off: only the observability namespace and the Flux alert namespaces.",
    )
    flux_alert_found_namespaces: list[K8sName] = advanced(
        default_factory=_empty_list,
        title="Namespaces found in the repo",
        description="Filled in by obs-wizard on every run from the repo (kubernetes/apps/<namespace>/, and the namespace "
        "and targetNamespace of its Flux objects) and saved for reference; a value given here is replaced by what the "
        "next run finds. Read-only.",
        json_schema_extra={"found_by_discovery": True},
    )
    flux_alert_exclusions: list[FluxExclusion] = advanced(
        default_factory=lambda: list(FLUX_ALERT_EXCLUSIONS),
        title="Flux alert exclusions",
        description="Regular expressions (Go RE2) of Flux event messages that send no alert: by default the transient "
        "network and rate-limit errors of fetching a source, which Flux retries on its own. Empty: every error alerts.",
    )

    @model_validator(mode="after")
    def _few_flux_exclusions(self) -> Alerting:
        if len(self.flux_alert_exclusions) > MAX_FLUX_EXCLUSIONS:
            raise ValueError(f"flux_alert_exclusions: at most {MAX_FLUX_EXCLUSIONS} expressions")
        return self

    @model_validator(mode="after")
    def _heartbeat_period_fits(self) -> Alerting:
        if units.parse_duration(self.heartbeat_period) < 2:
            raise ValueError("heartbeat_period must be at least 2s (Alertmanager pings on a tick of half of it or less)")
        return self


class Flux(Section):
    """How the apps plug into the repo's Flux setup."""

    model_config = ConfigDict(title="Flux and repository layout")

    namespace: K8sName = advanced(
        default="observability", title="Namespace", description="Namespace (and folder under kubernetes/apps) of the three apps."
    )
    git_repository: K8sResourceName = advanced(
        default="flux-system", title="GitRepository", description="Flux GitRepository the Kustomizations read from."
    )
    git_repository_namespace: K8sName = advanced(
        default="flux-system", title="GitRepository namespace", description="Namespace of that GitRepository."
    )
    git_repository_outside_repo: bool = outside_repo("flux.git_repository", "GitRepository")
    substitute_from: K8sResourceName | None = advanced(
        default=None,
        title="Substitution Secret",
        description="Secret for Flux postBuild substitution (e.g. cluster-secrets); needed for ${SECRET_DOMAIN}.",
    )
    namespace_manifest: bool = advanced(
        default=True,
        title="Write namespace.yaml",
        description="Create the Namespace manifest; false when a component supplies it (components/common).",
    )
    namespace_components: list[str] = advanced(
        default_factory=_empty_list,
        title="Namespace components",
        description="Kustomize components the namespace uses, e.g. ../../components/sops.",
    )
    helmrelease_defaults: bool = advanced(
        default=False,
        title="Cluster sets HelmRelease defaults",
        description="True when the cluster-apps Flux patch already sets install/upgrade (CRDs CreateReplace).",
    )
    secret_store_dependency: str | None = advanced(
        default=None,
        title="Secret store Kustomization",
        description="namespace/name of the Flux Kustomization that creates the ClusterSecretStore, if any.",
        examples=["external-secrets/onepassword-store"],
    )
    storage_dependency: str | None = advanced(
        default=None,
        title="StorageClass Kustomization",
        description="namespace/name of the Flux Kustomization that creates the StorageClass (e.g. its openebs HelmRelease); "
        "the apps with volumes depend on it.",
        examples=["openebs-system/openebs"],
    )
    crds_installed_by: str | None = advanced(
        default=None,
        title="Prometheus Operator CRDs installed by",
        description="What else in the repo installs the Prometheus Operator CRDs: a bootstrap file (applied once, e.g. "
        "bootstrap/helmfile/crds.yaml; kube-prometheus-stack then keeps them upgraded) or helmrelease:<namespace>/<name> "
        "(that HelmRelease owns them; kube-prometheus-stack installs none). Found by discovery.",
        examples=["bootstrap/helmfile/crds.yaml", "helmrelease:observability/prometheus-operator-crds"],
    )

    @model_validator(mode="after")
    def _check_paths(self) -> Flux:
        if len(self.namespace_components) > 20:
            raise ValueError("at most 20 namespace components")
        for component in self.namespace_components:
            if len(component) > 253 or not re.match(r"^(\.\./)+[-_./a-zA-Z0-9]+\Z", component) or component.endswith("/.."):
                raise ValueError(
                    f"namespace component {component!r} must be a relative path such as ../../components/sops"
                )
            # relative to kubernetes/apps/<namespace>/; it must not climb out of the repo
            if posixpath.normpath(posixpath.join("kubernetes/apps", self.namespace, component)).split("/")[0] == "..":
                raise ValueError(
                    f"namespace component {component!r} leads outside the repo (it is relative to "
                    f"kubernetes/apps/{self.namespace}/); use a path such as ../../components/sops"
                )
        for name in ("secret_store_dependency", "storage_dependency"):
            value = getattr(self, name)
            parts = value.split("/") if value is not None else []
            if value is not None and (len(parts) != 2 or not all(_DNS1123_RE.match(p) for p in parts)):
                raise ValueError(f"{name} {value!r} must look like namespace/name")
        by = self.crds_installed_by
        if by is not None and not (re.match(r"^helmrelease:[a-z0-9][-a-z0-9]*/[a-z0-9][-a-z0-9.]*\Z", by)
                                   or re.match(r"^[-_a-zA-Z0-9][-_./a-zA-Z0-9]{0,252}\Z", by) and ".." not in by):
            raise ValueError(f"crds_installed_by {by!r} must be a repo path such as bootstrap/helmfile/crds.yaml "
                             "or helmrelease:<namespace>/<name>")
        return self


class Charts(Section):
    """Pinned chart versions; Renovate bumps them in the repo afterwards."""

    model_config = ConfigDict(title="Chart versions")

    kube_prometheus_stack: ChartVersion = advanced(default="88.5.3", title="kube-prometheus-stack chart")
    loki: ChartVersion = advanced(default="18.11.0", title="loki chart")
    alloy: ChartVersion = advanced(default="1.11.1", title="alloy chart")


class Answers(BaseModel):
    """Answers for obs-wizard. Every value that is not given takes its default."""

    model_config = ConfigDict(extra="forbid", title="obs-wizard answers")

    cluster: Cluster
    apps: Apps = Field(default_factory=dict, validate_default=True)
    metrics: Metrics = Field(default_factory=dict, validate_default=True)
    logs: Logs = Field(default_factory=dict, validate_default=True)
    grafana: Grafana = Field(default_factory=dict, validate_default=True)
    secrets: Secrets = Field(default_factory=dict, validate_default=True)
    alerting: Alerting = Field(default_factory=dict, validate_default=True)
    flux: Flux = Field(default_factory=dict, validate_default=True)
    charts: Charts = Field(default_factory=dict, validate_default=True)

    @model_validator(mode="after")
    def _substitution_needs_a_source(self) -> Answers:
        if self.cluster.domain in (None, DOMAIN_VARIABLE_REF) and not self.flux.substitute_from:
            raise ValueError(
                "cluster.domain is required (e.g. example.com); it may be omitted or written as ${SECRET_DOMAIN} only "
                "when Flux substitutes that variable (flux.substitute_from, e.g. cluster-secrets)"
            )
        if self.grafana.hostname and "${" in self.grafana.hostname and not self.flux.substitute_from:
            raise ValueError(
                "grafana.hostname uses ${SECRET_DOMAIN} but flux.substitute_from is not set; Flux would "
                "replace it with an empty string. Set flux.substitute_from (e.g. cluster-secrets) or use a literal host"
            )
        return self

    # --- derived values (kept here so every consumer derives them the same way) -----------------

    @property
    def domain(self) -> str:
        """The domain as written into manifests: the literal, or ${SECRET_DOMAIN} for Flux to substitute."""
        return self.cluster.domain or DOMAIN_VARIABLE_REF

    @property
    def grafana_hostname(self) -> str:
        return self.grafana.hostname or f"grafana.{self.domain}"

    def sibling_hostname(self, name: str) -> str:
        """``name`` beside Grafana: grafana.example.com -> prometheus.example.com."""
        return f"{name}.{self.grafana_hostname.split('.', 1)[1]}"

    @property
    def uses_substitution(self) -> bool:
        return "${" in self.grafana_hostname


#: Sections in the order the quickstart (and the interactive wizard) asks them.
SECTIONS: tuple[tuple[str, type[Section]], ...] = tuple(
    (name, field.annotation)  # type: ignore[misc]
    for name, field in Answers.model_fields.items()
)


def field_is_advanced(section: type[Section], name: str) -> bool:
    extra = section.model_fields[name].json_schema_extra
    return bool(isinstance(extra, dict) and extra.get("advanced"))
