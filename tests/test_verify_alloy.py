"""verify's alloy-writes check against Alloy's own loki.write counters, as the real Prometheus scrapes them from
the Alloy stand-ins behind the fake API server: entries dropped after every retry, and pushes Loki refused, each
named with its node's instance and exit 9. Its own module (and platform): a rise stays in the 10-minute window,
and the other scenarios must not see it."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest

from tests.test_alert_pipeline import wait_for
from tests.test_verify import cluster, platform, repo, verify  # noqa: F401 - fixtures of this module's own platform
from tests.verify_cluster import ALLOY_DROPPED, ALLOY_REFUSED


def _query(platform, promql: str) -> list:
    url = f"http://127.0.0.1:{platform.prom_port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=5) as answer:
        return json.loads(answer.read())["data"]["result"]


@pytest.mark.slow
def test_alloy_dropping_entries_and_refused_pushes_fail(platform, cluster, repo):  # noqa: F811
    healthy = platform.alloy.text
    platform.alloy.text = healthy.replace(f"{ALLOY_DROPPED} 0\n", f"{ALLOY_DROPPED} 37\n").replace(
        f"{ALLOY_REFUSED} 0\n", f"{ALLOY_REFUSED} 5\n")
    try:
        wait_for(lambda: len(_query(platform, "increase(loki_write_dropped_entries_total[10m]) > 0")) == 2
                 and len(_query(platform, 'increase(loki_write_request_duration_seconds_count{status_code="500"}[10m]) > 0')) == 2,
                 60, "Prometheus to scrape the rise from both nodes' Alloy")
        code, out, _ = verify(repo, "--no-test-alert")
    finally:
        platform.alloy.text = healthy
    assert code == 9, out
    lines = [line for line in out.splitlines() if "[alloy-writes]" in line]
    dropped = [line for line in lines if "log entries in the last 10m (reason ingester_error): they never reached Loki" in line]
    refused = [line for line in lines if "push(es) to Loki answered 500 in the last 10m" in line]
    assert len(dropped) == 2 and len(refused) == 2, out  # one per node
    assert {line.split("Alloy at ")[1].split(" ")[0] for line in dropped} == {platform.alloy.stub.address,
                                                                             platform.alloy.stub.address.replace("127.0.0.1", "localhost")}
    assert all("kubectl logs -n observability -l app.kubernetes.io/name=alloy" in line for line in lines)
    assert "  FAILED  alloy-writes" in out
