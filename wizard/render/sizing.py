"""Advice from the answers: Prometheus disk and memory, the alert latency budget, the heartbeat.

Everything here is advice: it produces lines and warnings, never a silent change to the answers.
Every front end (headless summary, the wizard's Review and Done, the plain prompts) prints
``summary()`` and ``warnings()``; the templates take Prometheus's resources and the heartbeat's
Alertmanager timings from the same functions, so no two places can disagree.

Series estimate (the full kube-prometheus-stack as the wizard configures it), with its sources:
    series = PLATFORM_SERIES
           + min(node_count, CONTROL_PLANE_NODES) * PER_CONTROL_PLANE_SERIES
           + node_count * (PER_NODE_SERIES + PODS_PER_NODE * PER_POD_SERIES)

- Prometheus's own storage docs (prometheus.io/docs/prometheus/latest/storage, "Operational
  aspects"): needed_disk_space = retention_time_seconds * ingested_samples_per_second *
  bytes_per_sample, "an average of only 1-2 bytes per sample" -> BYTES_PER_SAMPLE = 2 (the high end).
- node-exporter: "~977 different metrics per node ... easily 1000 time series" with its default
  collectors (tanmay-bhat.github.io, "How to prevent metrics explosion in Prometheus", node exporter).
  kubelet's own histograms (request, runtime-operation, storage-operation latencies) add about as
  many again -> PER_NODE_SERIES = 2,500 with headroom.
- Per pod: cAdvisor's container_* families (about 50 kept by the chart's cAdvisor relabelling) for the
  pod cgroup and each container, kube-state-metrics' kube_pod_* and kube_pod_container_* families
  (about 40), and node-exporter's netdev/netclass series of the pod's Cilium lxc interface (Cilium
  gives every pod one; the chart's prometheus-node-exporter.extraArgs filter only filesystems, no
  network devices) -> PER_POD_SERIES = 180.
- Control plane (Talos: apiserver, etcd, controller-manager, scheduler on each control-plane node):
  apiserver_request_duration_seconds alone has 37 buckets (Alibaba ACK and Tencent TKE apiserver
  metric references) for each verb x resource x scope seen, a few hundred pairs -> about 10,000 per
  apiserver after the chart drops some buckets; etcd and the rest about 2,000 -> 12,000 per
  control-plane node, at most three counted (cluster-template's usual control-plane count). The
  render drops the bucket families nobody reads (DROPPED_APISERVER_BUCKETS), about 4,000 of them
  (DROPPED_PER_CONTROL_PLANE_SERIES has the figures) -> PER_CONTROL_PLANE_SERIES = 8,000.
- The platform itself (Prometheus, operator, Alertmanager, Grafana, Loki, Alloy, kube-state-metrics'
  cluster objects) and the chart's recording rules -> PLATFORM_SERIES = 15,000.
  The old figure (31,000 series for three nodes) left the control plane out; this gave about 75,000
  before the drop, 62,700 after. (Grafana's docs: a vanilla kube-prometheus on an unloaded 3-node
  cluster is "roughly ~50,000 active series".)
  These are estimates: after a day, `prometheus_tsdb_head_series` in Grafana tells the real count.

Memory: "around 3kB per series in the head" as a rule of thumb since Prometheus 2.20
(robustperception.io, "Why does Prometheus use so much RAM?"), plus a fixed base for queries and
the Go runtime; the limit leaves twice the request (at least 1Gi) for WAL replay, compaction and heavy dashboards.

Latency budget (worst case, from the moment a problem starts to the Slack POST):
    scrape_interval + scrape_timeout + evaluation_interval + for + group_wait
for the first alert of a group; an alert that joins a group Alertmanager has already notified waits
for the group's next group_interval instead of group_wait. It covers the wizard's own rules whose
``for:`` is the "Alert pending time" answer or that have none (BUDGET_ALERTS) and the heartbeat; the
wizard's disk, log-pipeline and compactor rules have a fixed ``for:`` of 5 to 15 minutes, and the
chart's default rules their own (in 88.5.3 most 5 to 15 minutes, some up to 4 hours): they take that much longer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from wizard.answers import units
from wizard.answers.model import SECTIONS, Answers

#: Histogram bucket families dropped at scrape time (kube-prometheus-stack's own metricRelabelings): no
#: rule or dashboard of the chart reads them (the tests check the rendered chart). From the
#: API server: its request latency (the chart's SLO rules and dashboards read apiserver_request_sli_*
#: instead), request and response sizes, its etcd client latency and its own rest_client_* buckets. From
#: the kubelet, controller-manager and scheduler: the rest_client size and rate-limiter buckets (their
#: rest_client request latency feeds the chart's dashboards and stays).
DROPPED_APISERVER_BUCKETS = ("apiserver_request_duration_seconds", "apiserver_request_body_size_bytes",
                             "apiserver_response_sizes", "etcd_request_duration_seconds", "rest_client_[a-z_]+")
DROPPED_CLIENT_BUCKETS = ("rest_client_request_size_bytes", "rest_client_response_size_bytes",
                          "rest_client_rate_limiter_duration_seconds")
#: What the drop saves per API server, out of its ~10,000 series: apiserver_request_duration_seconds_bucket is
#: its largest family ("7 times more values than any other", kubernetes/kubernetes#105346) even after the
#: chart keeps 10 of its 37 buckets; the etcd latency and body-size buckets alone were about 25% of the API
#: server's series in kube-prometheus (prometheus-operator/kube-prometheus#2531); a homelab that dropped
#: seven such bucket families from its apiserver job lost 21% of all its series (ionfury/homelab#1134,
#: 80k of 381k). About 40% of the API server's series: 4,000.
DROPPED_PER_CONTROL_PLANE_SERIES = 4_000
PLATFORM_SERIES = 15_000
CONTROL_PLANE_NODES = 3
PER_CONTROL_PLANE_SERIES = 12_000 - DROPPED_PER_CONTROL_PLANE_SERIES  # 8,000 kept
PER_NODE_SERIES = 2_500
PODS_PER_NODE = 30
PER_POD_SERIES = 180
BYTES_PER_SAMPLE = 2.0  # Prometheus storage docs: 1-2 bytes per sample
OVERHEAD = 1.3  # WAL, head chunks and compaction headroom on top of the blocks
BYTES_PER_HEAD_SERIES = 3_000  # robustperception.io: ~3kB per series in the head
MEMORY_BASE_BYTES = 256 * 2**20  # queries, rule evaluation, Go runtime
LATENCY_TARGET_SECONDS = 180
#: Grafana's volume: its SQLite database (users, hand-made dashboards and their last 20 versions, preferences,
#: annotations, Grafana-managed alerts and silences) is a few MB to tens of MB on a homelab; the rest is room
#: for plugins (tens of MB each) and the session and rendering files under /var/lib/grafana.
GRAFANA_PVC_SIZE = "2Gi"
#: Prometheus's default scrape_timeout; the chart sets none, so every scrape may take this long to fail.
SCRAPE_TIMEOUT_SECONDS = 10
#: Prometheus's --rules.alert.resend-delay default; a firing alert is valid in Alertmanager for 4x
#: max(resend delay, evaluation interval) after the last evaluation that sent it.
RESEND_DELAY_SECONDS = 60


def label(key: str) -> str:
    """The answer's title as the wizard shows it ("Prometheus volume size"), for messages."""
    section, name = key.split(".", 1)
    field = dict(SECTIONS)[section].model_fields[name]
    return field.title or key


# --- Prometheus disk and memory ------------------------------------------------------------------


@dataclass(frozen=True)
class DiskEstimate:
    series: int
    bytes_per_day: float
    bytes_needed: int  # for the whole retention
    pvc_bytes: int
    cap_bytes: int  # the size cap (retentionSize)
    retention_days: float

    @property
    def pvc_recommended_bytes(self) -> int:
        return int(self.bytes_needed / 0.85)

    @property
    def too_small(self) -> bool:
        return self.pvc_bytes < self.pvc_recommended_bytes

    @property
    def days_kept(self) -> float:
        """Days of data the size cap really keeps (Prometheus deletes the oldest blocks past it)."""
        return min(self.retention_days, self.cap_bytes / self.bytes_per_day)

    @property
    def cap_binds(self) -> bool:
        return self.days_kept < self.retention_days - 0.05


def prometheus_disk(answers: Answers) -> DiskEstimate:
    """The one disk estimate every front end shows."""
    metrics = answers.metrics
    nodes = answers.cluster.node_count
    series = (PLATFORM_SERIES + min(nodes, CONTROL_PLANE_NODES) * PER_CONTROL_PLANE_SERIES
              + nodes * (PER_NODE_SERIES + PODS_PER_NODE * PER_POD_SERIES))
    per_day = series / units.parse_duration(metrics.scrape_interval) * 86400 * BYTES_PER_SAMPLE * OVERHEAD
    retention_days = units.parse_duration(metrics.retention) / 86400
    return DiskEstimate(
        series=series,
        bytes_per_day=per_day,
        bytes_needed=int(per_day * retention_days),
        pvc_bytes=units.parse_quantity(metrics.pvc_size),
        cap_bytes=units.parse_bytesize(metrics.effective_retention_size),
        retention_days=retention_days,
    )


@dataclass(frozen=True)
class LokiDisk:
    """Loki deletes by age only: how much stored (compressed) log data a day its volume holds, and, when the
    operator estimates the daily volume (logs.daily_volume; no cited figure exists for "a pod's logs"), the
    use over the retention. Loki has no size cap: a full volume makes its writes fail."""

    pvc_bytes: int
    retention_days: float
    bytes_per_day: int | None = None  # the operator's estimate; None: not projected

    @property
    def bytes_per_day_fits(self) -> float:
        """The most a day that still fits the volume for the whole retention (index and WAL included)."""
        return self.pvc_bytes / self.retention_days

    @property
    def bytes_needed(self) -> int | None:
        return None if self.bytes_per_day is None else int(self.bytes_per_day * self.retention_days)

    @property
    def overflows(self) -> bool:
        return self.bytes_needed is not None and self.bytes_needed > self.pvc_bytes

    @property
    def days_until_full(self) -> float | None:
        return None if not self.bytes_per_day else self.pvc_bytes / self.bytes_per_day


def loki_disk(answers: Answers) -> LokiDisk:
    daily = answers.logs.daily_volume
    return LokiDisk(pvc_bytes=units.parse_quantity(answers.logs.pvc_size),
                    retention_days=units.parse_duration(answers.logs.retention) / 86400,
                    bytes_per_day=units.parse_quantity(daily) if daily else None)


def loki_overflow_warning(answers: Answers) -> str | None:
    """Said when the operator's daily estimate does not fit the volume for the whole retention."""
    loki = loki_disk(answers)
    if not answers.apps.loki or not loki.overflows:
        return None
    return (f"at {answers.logs.daily_volume} a day ({label('logs.daily_volume')}), Loki needs ~{gib_text(loki.bytes_needed)} "
            f"for {answers.logs.retention} but its {label('logs.pvc_size')} is {answers.logs.pvc_size}: the volume fills after "
            f"~{days_text(loki.days_until_full)} and Loki's writes then fail (it deletes by age only); raise the volume or "
            f"shorten the {label('logs.retention')}")


@dataclass(frozen=True)
class MemoryEstimate:
    request_bytes: int
    limit_bytes: int

    @staticmethod
    def _mi(n: int) -> str:
        return f"{math.ceil(n / 2**20 / 64) * 64}Mi"  # whole 64Mi steps: stable across small changes

    @property
    def request(self) -> str:
        return self._mi(self.request_bytes)

    @property
    def limit(self) -> str:
        return self._mi(self.limit_bytes)


def prometheus_memory(answers: Answers) -> MemoryEstimate:
    """Requests and limit for the Prometheus container, from the same series estimate.

    The limit is twice the request and at least PROMETHEUS_MIN_LIMIT (2Gi): WAL replay after a restart,
    compaction and a heavy dashboard briefly need well above the head. Checked against real setups:
    onedr0p/home-ops ran Prometheus with a 2000Mi memory limit, later 4Gi, for a larger cluster with far
    more apps (platform.md 2.1); a 1Gi limit on a three-node cluster would be OOM-killed on WAL replay.
    """
    request = MEMORY_BASE_BYTES + prometheus_disk(answers).series * BYTES_PER_HEAD_SERIES
    return MemoryEstimate(request_bytes=request, limit_bytes=max(2 * request, PROMETHEUS_MIN_LIMIT))


#: The least memory limit Prometheus gets (see prometheus_memory).
PROMETHEUS_MIN_LIMIT = 2 * 2**30


@dataclass(frozen=True)
class ContainerSize:
    """Requests and memory limit of one container, and why (said in the quickstart table)."""

    component: str  # as the quickstart names it
    values_path: str  # where the HelmRelease sets it
    cpu: str
    request_bytes: int
    limit_bytes: int
    basis: str

    @property
    def request(self) -> str:
        return MemoryEstimate._mi(self.request_bytes)

    @property
    def limit(self) -> str:
        return MemoryEstimate._mi(self.limit_bytes)


_MI = 2**20
#: kube-state-metrics README ("Resource recommendation"): "allocate 250MiB memory and 0.1 cores" as a
#: general rule, and for clusters of more than 100 nodes "at least 2MiB memory per node".
KSM_BASE_BYTES = 250 * _MI
KSM_PER_NODE_BYTES = 2 * _MI
#: Loki holds each active stream's open chunk in memory until it is flushed (chunk_target_size 1.5MB
#: compressed by default); one stream per container -> ~1.5MB per pod, on a base of 256Mi.
LOKI_BASE_BYTES = 256 * _MI
LOKI_PER_POD_BYTES = int(1.5 * _MI)
#: Alloy tails its node's pods through the API (loki.source.kubernetes): a base plus a buffer per tailed pod.
ALLOY_BASE_BYTES = 128 * _MI
ALLOY_PER_POD_BYTES = 2 * _MI


def _size(component: str, path: str, cpu: str, request: int, limit: int, basis: str) -> ContainerSize:
    return ContainerSize(component, path, cpu, request, max(limit, request), basis)


def container_sizes(answers: Answers) -> dict[str, ContainerSize]:
    """Every container the three charts run, sized from the same estimate as Prometheus (nodes, pods, series).

    Keys are the names the templates use. The figures are written as HelmRelease values the operator
    can change (a re-run keeps a hand edit); fixed ones are the components' own sizes, which do not grow
    with the cluster. Only the apps switched on are listed.
    """
    nodes = answers.cluster.node_count
    pods = nodes * PODS_PER_NODE
    memory = prometheus_memory(answers)
    series = prometheus_disk(answers).series
    out: dict[str, ContainerSize] = {}
    if answers.apps.kube_prometheus_stack:
        out.update({
            "prometheus": _size("Prometheus", "prometheus.prometheusSpec.resources", "200m", memory.request_bytes,
                                memory.limit_bytes, f"~{series:,} series x 3kB in the head + 256Mi; limit 2x, at least 2Gi"),
            "alertmanager": _size("Alertmanager", "alertmanager.alertmanagerSpec.resources", "10m", 64 * _MI, 256 * _MI,
                                  "silences and notification log of a small cluster: tens of MB"),
            "config_reloader": _size("config-reloader (in the Prometheus and Alertmanager pods)",
                                     "prometheusOperator.prometheusConfigReloader.resources", "10m", 50 * _MI, 64 * _MI,
                                     "the operator's built-in 10m / 50Mi in 64Mi steps (the chart alone passes 0: unsized)"),
            "operator": _size("Prometheus Operator", "prometheusOperator.resources", "20m", 128 * _MI, 256 * _MI,
                              "watches the monitoring objects of a small cluster"),
            "admission_job": _size("admission webhook jobs", "prometheusOperator.admissionWebhooks.patch.resources", "10m",
                                   32 * _MI, 64 * _MI, "a one-shot certificate job"),
            "kube_state_metrics": _size("kube-state-metrics", "kube-state-metrics.resources", "100m",
                                        KSM_BASE_BYTES + max(0, nodes - 100) * KSM_PER_NODE_BYTES,
                                        2 * (KSM_BASE_BYTES + max(0, nodes - 100) * KSM_PER_NODE_BYTES),
                                        "kube-state-metrics README: 250MiB and 0.1 cores, 2MiB a node past 100 nodes"),
            "node_exporter": _size("node-exporter (each node)", "prometheus-node-exporter.resources", "20m", 48 * _MI, 128 * _MI,
                                   "~1,000 series a node, plus one netdev set per pod interface"),
            "grafana": _size("Grafana", "grafana.resources", "50m", 256 * _MI, 768 * _MI,
                             "the server, its SQLite database and search index; limit for heavy dashboards"),
            "grafana_init": _size("Grafana init-chown-data", "grafana.initChownData.resources", "10m", 32 * _MI, 64 * _MI,
                                  "a one-shot chown of Grafana's volume at start"),
            "grafana_sidecar": _size("Grafana sidecars (dashboards, datasources)", "grafana.sidecar.resources", "10m",
                                     96 * _MI, 192 * _MI, "k8s-sidecar watching ConfigMaps and Secrets in every namespace"),
        })
    if answers.apps.loki:
        loki = LOKI_BASE_BYTES + pods * LOKI_PER_POD_BYTES
        out.update({
            "loki": _size("Loki", "singleBinary.resources", "100m", loki, max(2 * loki, 2**30),
                          f"256Mi + an open chunk (~1.5MB) per stream, ~{pods} pods ({nodes} nodes x {PODS_PER_NODE}); "
                          "limit 2x, at least 1Gi, for queries"),
            "loki_sidecar": _size("Loki rules sidecar", "sidecar.resources", "10m", 64 * _MI, 128 * _MI,
                                  "k8s-sidecar loading rule ConfigMaps"),
        })
    if answers.apps.alloy:
        alloy = ALLOY_BASE_BYTES + PODS_PER_NODE * ALLOY_PER_POD_BYTES
        out.update({
            "alloy": _size("Alloy (each node)", "alloy.resources", "50m", alloy, 2 * alloy,
                           f"128Mi + ~2Mi per tailed pod, ~{PODS_PER_NODE} a node; limit 2x"),
            "alloy_reloader": _size("Alloy config reloader", "configReloader.resources", "10m", 50 * _MI, 64 * _MI,
                                    "the alloy chart's own request 10m / 50Mi in 64Mi steps, plus a limit"),
        })
    return out


# --- alert latency ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LatencyBudget:
    scrape: float
    scrape_timeout: float
    evaluation: float
    pending: float
    group_wait: float
    group_interval: float

    @property
    def total(self) -> float:
        """Worst case for the first alert of a group."""
        return self.scrape + self.scrape_timeout + self.evaluation + self.pending + self.group_wait

    @property
    def joining_group(self) -> float:
        """Worst case for an alert joining a group that Alertmanager has already notified."""
        return self.total - self.group_wait + self.group_interval

    @property
    def within_target(self) -> bool:
        return self.total <= LATENCY_TARGET_SECONDS

    def parts(self) -> list[tuple[str, float]]:
        return [("scrape", self.scrape), ("scrape timeout", self.scrape_timeout), ("evaluation", self.evaluation),
                ("for", self.pending), ("group_wait", self.group_wait)]

    def describe(self) -> str:
        parts = " + ".join(f"{units.format_seconds(v)} {name}" for name, v in self.parts())
        return (f"{units.format_seconds(self.total)} worst case ({parts}); target {units.format_seconds(LATENCY_TARGET_SECONDS)}; "
                f"up to {units.format_seconds(self.joining_group)} when the alert joins a group already sent "
                f"(group_interval {units.format_seconds(self.group_interval)} instead of group_wait)")


def alert_latency(answers: Answers) -> LatencyBudget:
    return LatencyBudget(
        scrape=units.parse_duration(answers.metrics.scrape_interval),
        scrape_timeout=min(SCRAPE_TIMEOUT_SECONDS, units.parse_duration(answers.metrics.scrape_interval)),
        evaluation=units.parse_duration(answers.metrics.evaluation_interval),
        pending=units.parse_duration(answers.alerting.rule_for),
        group_wait=units.parse_duration(answers.alerting.group_wait),
        group_interval=units.parse_duration(answers.alerting.group_interval),
    )


#: The wizard's own alerts the latency budget covers, with the app that writes each: their ``for:`` is the
#: "Alert pending time" answer, or they have none. Its other alerts have a fixed ``for:`` of 5m to 15m.
#: test_docs.py checks this list against the rules the render writes.
BUDGET_ALERTS = (
    ("PrometheusDown", "kube-prometheus-stack"), ("AlertmanagerDown", "kube-prometheus-stack"), ("LokiDown", "loki"),
    ("AlloyDown", "alloy"), ("AlloyDroppingLogs", "alloy"), ("PrometheusRetentionCutBySize", "kube-prometheus-stack"),
    ("NodeNotReady", "kube-prometheus-stack"), ("KubeStateMetricsDown", "kube-prometheus-stack"),
)


def latency_coverage(answers: Answers) -> str:
    """Which alerts the latency budget is true for, and which it is not (said beside the budget)."""
    names = [name for name, app in BUDGET_ALERTS if app in answers.apps.enabled]
    heartbeat = " and the heartbeat" if answers.secrets.heartbeat_item else ""
    return (f"covers {', '.join(names)}{heartbeat}; the wizard's other alerts have a fixed for: of 5m to 15m, and the "
            f"chart's default alerts (KubePodCrashLooping, NodeFilesystemSpaceFillingUp, ...) their own, most 5m to 15m, "
            f"some up to 4h: they arrive that much later (quickstart.md, \"What each alert covers\")")


# --- heartbeat (dead-man's switch) ------------------------------------------------------------------


def duration_text(seconds: float) -> str:
    """A duration Alertmanager parses: 4m35s, 1m, 3500ms."""
    ms = round(seconds * 1000)
    if ms % 1000:
        return f"{ms}ms"
    return units.format_seconds(ms / 1000)


@dataclass(frozen=True)
class HeartbeatSchedule:
    """The Watchdog route's timings: a ping every ``period`` seconds.

    Alertmanager only sends on its group_interval tick, and re-sends an unchanged group once
    repeat_interval has passed since the last send was logged (a moment after its tick; the ticks
    themselves drift a little later each time). So the tick divides the period and repeat_interval
    sits half a tick below the period: half a tick of margin on both sides, the send falls on exactly
    every n-th tick (with repeat_interval one whole tick short, drift made it fire a tick early in the
    end-to-end test), and repeat_interval >= group_interval, so Alertmanager logs no warning.
    """

    period: float
    tick: float
    evaluation: float

    @property
    def repeat(self) -> float:
        exact = self.period - self.tick / 2
        return float(round(exact)) if self.tick >= 4 else exact  # whole seconds where that keeps the margin

    @property
    def period_text(self) -> str:
        return duration_text(self.period)

    @property
    def tick_text(self) -> str:
        return duration_text(self.tick)

    @property
    def repeat_text(self) -> str:
        return duration_text(self.repeat)

    @property
    def prometheus_silence(self) -> float:
        """After Prometheus dies, Alertmanager keeps its last Watchdog (and pings) for this long."""
        return 4 * max(RESEND_DELAY_SECONDS, self.evaluation)

    def describe(self) -> str:
        period = units.format_seconds(self.period) if self.period >= 1 else self.period_text
        return (f"Heartbeat: Alertmanager pings the heartbeat URL every {period} (the first right after Prometheus's first "
                f"rule evaluation); set the heartbeat service's period to {period} and its grace to at least {period}. "
                f"A dead Alertmanager or node stops the pings at once; a dead Prometheus within "
                f"{units.format_seconds(self.prometheus_silence)} (Alertmanager keeps its last Watchdog that long); "
                f"the service pages one period plus its grace after the last ping")


def heartbeat_schedule(answers: Answers) -> HeartbeatSchedule | None:
    if not answers.secrets.heartbeat_item:
        return None
    period = units.parse_duration(answers.alerting.heartbeat_period)
    ticks = max(2, math.ceil(period / 60))  # a tick of at most 1m, at least two per period
    return HeartbeatSchedule(period=period, tick=period / ticks,
                             evaluation=units.parse_duration(answers.metrics.evaluation_interval))


#: Said by every front end when no heartbeat is configured (the one place this sentence lives).
NO_HEARTBEAT = ("no heartbeat is configured: if Prometheus, Alertmanager or the node they run on dies, no alert reaches "
                "Slack and nothing tells you. Set the Heartbeat URL item (Secrets) to a healthchecks.io or Uptime Kuma push URL")


def heartbeat_warning(answers: Answers) -> str | None:
    """NO_HEARTBEAT, said only where there is an Alertmanager to ping from (kube-prometheus-stack on)."""
    if not answers.apps.kube_prometheus_stack:
        return None
    return NO_HEARTBEAT if heartbeat_schedule(answers) is None else None


#: Said instead of the Prometheus and alerting lines when kube-prometheus-stack is switched off.
NO_METRICS = ("kube-prometheus-stack is off: no Prometheus, Alertmanager, Grafana or alerts are written, so nothing "
              "written here alerts on a failure")


# --- what the front ends print ---------------------------------------------------------------------


def gib_text(n: float) -> str:
    """Bytes as the front ends print them: 15.6Gi."""
    return f"{n / 2**30:.1f}Gi"


def days_text(d: float) -> str:
    """Days as the front ends print them: 30 days, or hours below a day and a half."""
    return f"{d:.0f} days" if d >= 1.5 else f"{d * 24:.0f} hours"


def warnings(answers: Answers) -> list[str]:
    """Warnings about what the answers write: nothing about Prometheus or alerting when that app is off."""
    loki = loki_overflow_warning(answers)
    if not answers.apps.kube_prometheus_stack:
        return [loki] if loki else []
    out = [loki] if loki else []
    disk = prometheus_disk(answers)
    if disk.too_small:
        out.append(
            f"{label('metrics.pvc_size')} {answers.metrics.pvc_size} is below the estimated need of {gib_text(disk.pvc_recommended_bytes)} "
            f"(the ~{gib_text(disk.bytes_needed)} of data for {answers.metrics.retention} plus 15% free space; ~{disk.series:,} "
            f"series for {answers.cluster.node_count} nodes at {answers.metrics.scrape_interval}); "
            f"raise it or shorten the {label('metrics.retention')}"
        )
    if disk.cap_binds:
        out.append(
            f"the {label('metrics.retention_size')} {answers.metrics.effective_retention_size} keeps only about "
            f"{days_text(disk.days_kept)} of the {answers.metrics.retention} {label('metrics.retention')}; "
            f"raise the {label('metrics.pvc_size')} or shorten the retention"
        )
    budget = alert_latency(answers)
    if not budget.within_target:
        out.append(f"alert -> Slack latency {budget.describe()}: lower the intervals, the {label('alerting.rule_for')} "
                   f"or {label('alerting.group_wait')}")
    missing = heartbeat_warning(answers)
    if missing:
        out.append(missing)
    if answers.grafana.expose_prometheus_alertmanager and "external" in answers.grafana.gateway_name:
        out.append(f"{label('grafana.expose_prometheus_alertmanager')} is on and the Gateway {answers.grafana.gateway_name} looks "
                   f"public: Prometheus and Alertmanager have no login; route them on an internal gateway or switch it off")
    return out


def summary(answers: Answers) -> list[str]:
    """The lines every front end prints: only about the apps switched on (apps.*)."""
    lines = []
    if answers.apps.kube_prometheus_stack:
        disk = prometheus_disk(answers)
        memory = prometheus_memory(answers)
        lines += [
            f"Prometheus disk: ~{gib_text(disk.bytes_needed)} for {answers.metrics.retention} (~{disk.series:,} series, "
            f"~{gib_text(disk.bytes_per_day)} a day); volume {answers.metrics.pvc_size}, size cap {answers.metrics.effective_retention_size} "
            f"keeps ~{days_text(disk.days_kept)}",
            f"Prometheus memory: request {memory.request}, limit {memory.limit}",
            f"Alert -> Slack: {alert_latency(answers).describe()}",
            f"  (this {latency_coverage(answers)})",
        ]
        lines.append(f"Grafana: users, dashboards and preferences on a {GRAFANA_PVC_SIZE} volume ({answers.cluster.storage_class}); "
                     f"its database is a few MB to tens of MB, the rest is room for plugins")
        schedule = heartbeat_schedule(answers)
        if schedule is not None:
            lines.append(schedule.describe())
    else:
        lines.append(NO_METRICS)
    if answers.apps.loki:
        loki = loki_disk(answers)
        fits = gib_text(loki.bytes_per_day_fits)
        if loki.bytes_needed is None:
            lines.append(f"Loki: logs kept {answers.logs.retention} on a {answers.logs.pvc_size} volume, deleted by age only "
                         f"(no size cap): it holds at most ~{fits} of stored logs a day; how much your pods log decides "
                         f"(give {label('logs.daily_volume')} to project it)")
        else:
            lines.append(f"Loki disk: ~{gib_text(loki.bytes_needed)} for {answers.logs.retention} at {answers.logs.daily_volume} "
                         f"a day (your estimate); volume {answers.logs.pvc_size}, holds at most ~{fits} a day, deleted by age only")
    return lines


# --- the per-component table in quickstart.md ------------------------------------------------------

BEGIN = "<!-- BEGIN SIZING (generated by `python -m wizard.render.sizing`; do not edit) -->"
END = "<!-- END SIZING -->"


def sizing_table(answers: Answers | None = None) -> str:
    """Every container's requests and limit for the example answers (3 nodes), with the basis of each."""
    if answers is None:
        from wizard.answers.model import Answers as _Answers

        answers = _Answers.model_validate({"cluster": {"domain": "example.com", "node_count": 3, "storage_class": "local-path"}})
    rows = ["| container | HelmRelease value | CPU request | memory request | memory limit | basis |", "|---|---|---|---|---|---|"]
    for size in container_sizes(answers).values():
        rows.append(f"| {size.component} | `{size.values_path}` | {size.cpu} | {size.request} | {size.limit} | {size.basis} |")
    return "\n".join(rows) + "\n"


def replace_block(document: str) -> str:
    from wizard.answers import docs_table

    return docs_table.replace_between(document, BEGIN, END, sizing_table())


if __name__ == "__main__":  # regenerate quickstart.md in place
    from wizard.answers import docs_table

    docs_table.regenerate_quickstart(replace_block)
