"""OpenTelemetry tracing, and the middleware that measures and logs every API request.

Tracing is FastAPI's native OpenTelemetry support: one server span per request, named
`METHOD /route/{template}`, with the semantic-convention attributes, continuing the caller's W3C
trace context, and child spans for dependencies, the endpoint and serialization. Spans are
exported over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set; the other standard `OTEL_*` variables apply too.
Without an endpoint, spans are still created, so logs carry trace ids, but nothing is exported.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import MutableMapping
from typing import Any

from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from app.metrics import KNOWN_METHODS, Metrics

log = logging.getLogger("app.http")

# Probes and scrapes are not API traffic: they are neither traced, measured nor logged, so that
# they do not count against the service level objectives.
UNINSTRUMENTED_PATHS = frozenset({"/livez", "/readyz", "/metrics"})


def is_uninstrumented(scope: MutableMapping[str, Any]) -> bool:
    """True for probe and scrape requests (FastAPI's `telemetry={"exclude": ...}`)."""
    return scope.get("path") in UNINSTRUMENTED_PATHS


def tracer_provider(service_name: str, version: str, exporter: SpanExporter | None = None) -> TracerProvider:
    """A tracer provider for the service; `OTEL_RESOURCE_ATTRIBUTES` adds resource attributes."""
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name, SERVICE_VERSION: version}))
    if exporter is None and (
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    ):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


class RequestMetricsMiddleware:
    """ASGI middleware: one `http.server.request.duration` measurement and one JSON log line per
    API request. It runs inside the request's server span, so the log line carries its trace id."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or is_uninstrumented(scope):
            await self.app(scope, receive, send)
            return

        start = time.perf_counter()
        method = scope["method"] if scope["method"] in KNOWN_METHODS else "_OTHER"
        status = 500

        async def send_and_capture(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_capture)
        except Exception:
            status = 500
            raise
        finally:
            # The router stores the matched route in the scope; unmatched paths have none, and
            # are recorded without a route so that raw paths never become label values.
            route = getattr(scope.get("route"), "path", None) or ""
            seconds = time.perf_counter() - start
            self.metrics.observe_request(method, route, status, seconds)
            log.info(
                "request finished",
                extra={
                    "http_request_method": method,
                    "http_route": route,
                    "url_path": scope["path"],
                    "http_response_status_code": status,
                    "duration_ms": round(seconds * 1000, 3),
                },
            )
