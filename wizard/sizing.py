"""Advice from the answers: Prometheus disk need and the alert-to-Slack latency budget.

Both are advice: they produce warnings, never a silent change to the answers.

Disk estimate (documented in quickstart.md):
    series   = BASE_SERIES + node_count * (PER_NODE_SERIES + PODS_PER_NODE * PER_POD_SERIES)
    samples  = series / scrape_interval_seconds * retention_seconds
    bytes    = samples * BYTES_PER_SAMPLE * OVERHEAD
and the PVC should hold that with the retention size at 85% of it.

Latency budget (worst case, alert condition starts -> Slack POST):
    scrape_interval + evaluation_interval + rule for + group_wait
"""

from __future__ import annotations

from dataclasses import dataclass

from wizard import units
from wizard.model import Answers

BASE_SERIES = 10_000  # control plane, operator, kube-state-metrics, Grafana, Loki, Alertmanager
PER_NODE_SERIES = 2_500  # node-exporter and kubelet/cAdvisor per node
PODS_PER_NODE = 30
PER_POD_SERIES = 150  # cAdvisor and kube-state-metrics series per pod
BYTES_PER_SAMPLE = 2.0  # compressed TSDB blocks, Prometheus docs: 1-2 bytes per sample
OVERHEAD = 1.3  # WAL, head chunks and compaction headroom
LATENCY_TARGET_SECONDS = 180


@dataclass(frozen=True)
class DiskEstimate:
    series: int
    bytes_needed: int
    pvc_bytes: int

    @property
    def pvc_recommended_bytes(self) -> int:
        return int(self.bytes_needed / 0.85)

    @property
    def too_small(self) -> bool:
        return self.pvc_bytes < self.pvc_recommended_bytes


def prometheus_disk(answers: Answers) -> DiskEstimate:
    metrics = answers.metrics
    series = BASE_SERIES + answers.cluster.node_count * (PER_NODE_SERIES + PODS_PER_NODE * PER_POD_SERIES)
    samples = series / units.parse_duration(metrics.scrape_interval) * units.parse_duration(metrics.retention)
    return DiskEstimate(
        series=series,
        bytes_needed=int(samples * BYTES_PER_SAMPLE * OVERHEAD),
        pvc_bytes=units.parse_quantity(metrics.pvc_size),
    )


@dataclass(frozen=True)
class LatencyBudget:
    scrape: float
    evaluation: float
    pending: float
    group_wait: float

    @property
    def total(self) -> float:
        return self.scrape + self.evaluation + self.pending + self.group_wait

    @property
    def within_target(self) -> bool:
        return self.total <= LATENCY_TARGET_SECONDS

    def describe(self) -> str:
        parts = " + ".join(
            f"{units.format_seconds(v)} {name}"
            for name, v in (("scrape", self.scrape), ("evaluation", self.evaluation), ("for", self.pending), ("group_wait", self.group_wait))
        )
        return f"{units.format_seconds(self.total)} worst case ({parts}); target {units.format_seconds(LATENCY_TARGET_SECONDS)}"


def alert_latency(answers: Answers) -> LatencyBudget:
    return LatencyBudget(
        scrape=units.parse_duration(answers.metrics.scrape_interval),
        evaluation=units.parse_duration(answers.metrics.evaluation_interval),
        pending=units.parse_duration(answers.alerting.rule_for),
        group_wait=units.parse_duration(answers.alerting.group_wait),
    )


def _gib(n: float) -> str:
    return f"{n / 2**30:.1f}Gi"


def warnings(answers: Answers) -> list[str]:
    out = []
    disk = prometheus_disk(answers)
    if disk.too_small:
        out.append(
            f"metrics.pvc_size {answers.metrics.pvc_size} is below the estimated need of {_gib(disk.pvc_recommended_bytes)} "
            f"(~{disk.series:,} series for {answers.cluster.node_count} nodes at {answers.metrics.scrape_interval} "
            f"for {answers.metrics.retention}); raise it or shorten metrics.retention"
        )
    budget = alert_latency(answers)
    if not budget.within_target:
        out.append(f"alert -> Slack latency {budget.describe()}: lower the intervals, alerting.rule_for or group_wait")
    return out


def summary(answers: Answers) -> list[str]:
    disk = prometheus_disk(answers)
    return [
        f"Prometheus disk: ~{_gib(disk.bytes_needed)} needed for {answers.metrics.retention} "
        f"(~{disk.series:,} series); volume {answers.metrics.pvc_size}, retention size {answers.metrics.effective_retention_size}",
        f"Alert -> Slack: {alert_latency(answers).describe()}",
    ]
