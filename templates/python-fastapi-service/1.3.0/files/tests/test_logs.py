import io
import json
import logging

from conftest import Service
from opentelemetry.sdk.trace import TracerProvider

from app.logs import JsonFormatter


def capture() -> tuple[io.StringIO, logging.Handler]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    return stream, handler


def test_a_log_line_is_one_json_object() -> None:
    stream, handler = capture()
    logger = logging.getLogger("test.json")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with TracerProvider().get_tracer("test").start_as_current_span("work") as span:
            logger.info("hello %s", "world", extra={"order_id": 42})
    finally:
        logger.removeHandler(handler)
    (line,) = stream.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["message"] == "hello world"
    assert entry["level"] == "info"
    assert entry["logger"] == "test.json"
    assert entry["order_id"] == 42
    assert entry["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert entry["timestamp"].endswith("+00:00")


def test_requests_are_logged_with_their_trace(service: Service) -> None:
    stream, handler = capture()
    logger = logging.getLogger("app.http")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        service.client.get("/v1/hello/ada")
    finally:
        logger.removeHandler(handler)
    (line,) = stream.getvalue().splitlines()
    entry = json.loads(line)
    (span,) = [span for span in service.spans.get_finished_spans() if span.name == "GET /v1/hello/{name}"]
    assert entry["message"] == "request finished"
    assert entry["http_route"] == "/v1/hello/{name}"
    assert entry["http_response_status_code"] == 200
    assert entry["trace_id"] == format(span.context.trace_id, "032x")
