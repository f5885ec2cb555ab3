"""The HTTP surface: probes, metrics and the API."""

from __future__ import annotations

import logging
import os

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from opentelemetry.sdk.trace import TracerProvider

from app.metrics import CONTENT_TYPE, Metrics
from app.objectives import SERVICE_DESCRIPTION, SERVICE_NAME
from app.telemetry import RequestMetricsMiddleware, is_uninstrumented, tracer_provider

log = logging.getLogger("app")

MAX_NAME_LENGTH = 64


def version() -> str:
    """The version of the running code: the commit the image was built from (`SERVICE_VERSION`)."""
    return os.environ.get("SERVICE_VERSION", "dev")


def create_app(metrics: Metrics | None = None, tracing: TracerProvider | None = None) -> FastAPI:
    """Builds the application. Tests pass their own metrics and tracer provider."""
    metrics = metrics or Metrics()
    tracing = tracing or tracer_provider(SERVICE_NAME, version())

    app = FastAPI(
        title=SERVICE_NAME,
        description=SERVICE_DESCRIPTION,
        version=version(),
        # FastAPI's native OpenTelemetry traces; metrics come from RequestMetricsMiddleware, under
        # the names the alert rules and the dashboard read.
        telemetry={"tracer_provider": tracing, "metrics": False, "exclude": is_uninstrumented},
    )
    app.state.ready = True
    app.state.metrics = metrics
    app.add_middleware(RequestMetricsMiddleware, metrics=metrics)

    @app.get("/livez", response_class=PlainTextResponse, include_in_schema=False)
    def livez() -> str:
        """Liveness: the process serves HTTP."""
        return "ok"

    @app.get("/readyz", response_class=PlainTextResponse, include_in_schema=False)
    def readyz(request: Request) -> PlainTextResponse:
        """Readiness: the service wants traffic (false while it drains before shutting down)."""
        if request.app.state.ready:
            return PlainTextResponse("ready")
        return PlainTextResponse("shutting down", status_code=503)

    @app.get("/metrics", include_in_schema=False)
    def metrics_endpoint() -> Response:
        """Prometheus text format, scraped by the OpenTelemetry Collector."""
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    @app.get("/v1/hello/{name}")
    def hello(name: str) -> JSONResponse:
        """The example endpoint: replace it with the service's own API."""
        if len(name) > MAX_NAME_LENGTH:
            return JSONResponse({"error": f"name is longer than {MAX_NAME_LENGTH} characters"}, status_code=400)
        metrics.hello_requests.inc()
        log.debug("greeting", extra={"name": name})
        return JSONResponse({"message": f"Hello, {name}!"})

    return app
