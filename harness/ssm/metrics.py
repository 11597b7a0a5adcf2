"""Prometheus metrics of the delegator, read from its counters at scrape time (`[ssm] metrics`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

# delegator stats key -> failure reason label
FAILURES = {
    "handshake_timeouts": "timeout",
    "handshakes_evicted": "evicted",
    "alerts": "alert",
    "bad_finished": "bad_finished",
    "export_failed": "export_failed",
    "no_route": "no_route",
    "unknown_raw_public_key": "unknown_raw_public_key",
    "tinydtls_errors": "tinydtls_error",
    "ccs_gone": "ccs_no_ack",
    "rate_limited": "rate_limited",
    "handshake_queue_full": "queue_full",
}


class DelegatorCollector(Collector):
    """Turns a snapshot of the delegator's counters and gauges into Prometheus metric families."""

    def __init__(self, snapshot: Callable[[], tuple[Mapping[str, int], int, int]]) -> None:
        self.snapshot = snapshot  # () -> (stats, live sessions, half-open handshakes)

    def collect(self) -> Iterator[Any]:
        """The metric families at this instant."""
        stats, sessions, half_open = self.snapshot()
        yield _counter("esse_ssm_handshakes_started", "handshakes that created TinyDTLS state",
                       stats.get("handshakes_started", 0))
        yield _counter("esse_ssm_handshakes_completed", "handshakes handed off to a CCS",
                       stats.get("handoffs", 0))
        fail = CounterMetricFamily("esse_ssm_handshake_failures", "failed handshakes by reason",
                                   labels=["reason"])
        for key, reason in FAILURES.items():
            fail.add_metric([reason], stats.get(key, 0))
        yield fail
        rel = CounterMetricFamily("esse_ssm_relayed_records", "datagrams relayed", labels=["direction"])
        rel.add_metric(["to_ccs"], stats.get("relayed_to_ccs", 0))
        rel.add_metric(["to_client"], stats.get("relayed_to_client", 0))
        yield rel
        bad = CounterMetricFamily("esse_ssm_malformed_datagrams", "client datagrams dropped unparsed",
                                  labels=["reason"])
        for key, value in sorted(stats.items()):
            if key.startswith("malformed_"):
                bad.add_metric([key.removeprefix("malformed_")], value)
        yield bad
        yield GaugeMetricFamily("esse_ssm_sessions", "live relay sessions", value=sessions)
        yield GaugeMetricFamily("esse_ssm_half_open_handshakes", "handshakes in progress", value=half_open)


def _counter(name: str, doc: str, value: int) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, value=value)


class MetricsServer:
    """The /metrics HTTP endpoint on its own thread; `address` is where it listens."""

    def __init__(self, host: str, port: int, collector: Collector) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(collector)
        self.httpd, self.thread = start_http_server(port, host, registry=self.registry)

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) the endpoint is bound to."""
        host, port = self.httpd.server_address[:2]
        return str(host), int(port)

    def close(self) -> None:
        """Stop serving and release the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
