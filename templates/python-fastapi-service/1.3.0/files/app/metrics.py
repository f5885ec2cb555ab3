"""Prometheus metrics under OpenTelemetry semantic-convention names.

`http.server.request.duration` (seconds) is exported as the histogram
`http_server_request_duration_seconds` with the labels `http_request_method`, `http_route` and
`http_response_status_code`, which the alert rules, SLOs and dashboard read.
"""

from __future__ import annotations

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Histogram, gc_collector, platform_collector, process_collector

from app.objectives import DURATION_BUCKETS

# `*_created` series double the number of series and nothing here reads them.
prometheus_client.disable_created_metrics()

CONTENT_TYPE = prometheus_client.CONTENT_TYPE_LATEST

# Methods the semantic conventions name; any other is recorded as `_OTHER`.
KNOWN_METHODS = frozenset({"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"})


class Metrics:
    """The service's metrics, in a registry of their own (one per application instance)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        process_collector.ProcessCollector(registry=self.registry)
        platform_collector.PlatformCollector(registry=self.registry)
        gc_collector.GCCollector(registry=self.registry)
        self.request_duration = Histogram(
            "http_server_request_duration",
            "Duration of HTTP server requests (OpenTelemetry http.server.request.duration).",
            ["http_request_method", "http_route", "http_response_status_code"],
            unit="seconds",
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        # Example business metric (OpenTelemetry name `app.hello.requests`): replace it with yours.
        self.hello_requests = Counter(
            "app_hello_requests",
            "Greetings served.",
            registry=self.registry,
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Records one API request. `route` is the route template, never the raw path."""
        method = method if method in KNOWN_METHODS else "_OTHER"
        self.request_duration.labels(method, route, str(status)).observe(seconds)

    def render(self) -> bytes:
        """The metrics in the Prometheus text format."""
        return prometheus_client.generate_latest(self.registry)
