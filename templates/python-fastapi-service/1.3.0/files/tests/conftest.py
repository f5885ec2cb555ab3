"""Fixtures: an application with its own metrics registry and an in-memory span exporter."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.main import create_app
from app.metrics import Metrics


@dataclass
class Service:
    app: FastAPI
    client: TestClient
    metrics: Metrics
    spans: InMemorySpanExporter


@pytest.fixture
def service() -> Iterator[Service]:
    metrics = Metrics()
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    app = create_app(metrics=metrics, tracing=provider)
    with TestClient(app) as client:
        yield Service(app=app, client=client, metrics=metrics, spans=spans)
    provider.shutdown()
