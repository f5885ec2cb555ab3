"""`python -m app`: serve the application with uvicorn, draining before shutdown.

On SIGTERM (or SIGINT) `/readyz` starts failing at once, so Kubernetes stops sending traffic;
`SHUTDOWN_DELAY_SECONDS` later the server stops accepting connections and finishes the requests
in flight. A second signal stops it immediately.
"""

from __future__ import annotations

import logging
import threading
from types import FrameType

import uvicorn
from fastapi import FastAPI
from opentelemetry import trace

from app.logs import configure_logging
from app.main import create_app, version
from app.objectives import SERVICE_NAME
from app.settings import Settings
from app.telemetry import tracer_provider

log = logging.getLogger("app")


class DrainingServer(uvicorn.Server):
    """A uvicorn server that fails readiness for a while before it stops."""

    def __init__(self, config: uvicorn.Config, app: FastAPI, delay_seconds: float) -> None:
        super().__init__(config)
        self.service = app
        self.delay_seconds = delay_seconds
        self.draining = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.draining or self.delay_seconds <= 0:
            super().handle_exit(sig, frame)
            return
        self.draining = True
        self.service.state.ready = False
        log.info("draining before shutdown", extra={"signal": sig, "delay_seconds": self.delay_seconds})
        timer = threading.Timer(self.delay_seconds, super().handle_exit, args=(sig, None))
        timer.daemon = True
        timer.start()


def main() -> None:
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    provider = tracer_provider(SERVICE_NAME, version())
    trace.set_tracer_provider(provider)
    app = create_app(tracing=provider)
    config = uvicorn.Config(
        app,
        host="0.0.0.0",  # noqa: S104 - a container listens on all its interfaces
        port=settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=20,
    )
    log.info("starting", extra={"port": settings.port, "version": version()})
    try:
        DrainingServer(config, app, settings.shutdown_delay_seconds).run()
    finally:
        provider.shutdown()


if __name__ == "__main__":
    main()
