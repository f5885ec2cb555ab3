from conftest import Service
from fastapi.testclient import TestClient
from opentelemetry.trace import SpanKind, StatusCode

PARENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "00f067aa0ba902b7"


def server_spans(service: Service) -> list:
    return [span for span in service.spans.get_finished_spans() if span.kind == SpanKind.SERVER]


def test_each_request_is_a_server_span(service: Service) -> None:
    service.client.get("/v1/hello/ada")
    (span,) = server_spans(service)
    assert span.name == "GET /v1/hello/{name}"
    assert span.kind == SpanKind.SERVER
    assert span.attributes["http.request.method"] == "GET"
    assert span.attributes["http.route"] == "/v1/hello/{name}"
    assert span.attributes["http.response.status_code"] == 200
    assert span.status.status_code == StatusCode.UNSET


def test_the_callers_trace_continues(service: Service) -> None:
    service.client.get("/v1/hello/ada", headers={"traceparent": f"00-{PARENT_TRACE}-{PARENT_SPAN}-01"})
    (span,) = server_spans(service)
    assert format(span.context.trace_id, "032x") == PARENT_TRACE
    assert format(span.parent.span_id, "016x") == PARENT_SPAN


def test_server_errors_mark_the_span(service: Service) -> None:
    @service.app.get("/v1/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    client = TestClient(service.app, raise_server_exceptions=False)
    assert client.get("/v1/boom").status_code == 500
    (span,) = server_spans(service)
    assert span.status.status_code == StatusCode.ERROR
    assert span.attributes["error.type"] == "RuntimeError"
    assert 'http_response_status_code="500"' in service.metrics.render().decode()
