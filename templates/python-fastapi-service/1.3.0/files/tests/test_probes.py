from conftest import Service


def test_livez_is_ok(service: Service) -> None:
    response = service.client.get("/livez")
    assert response.status_code == 200
    assert response.text == "ok"


def test_readyz_fails_while_draining(service: Service) -> None:
    assert service.client.get("/readyz").status_code == 200
    service.app.state.ready = False
    response = service.client.get("/readyz")
    assert response.status_code == 503
    assert response.text == "shutting down"


def test_probes_are_not_measured_or_traced(service: Service) -> None:
    for path in ("/livez", "/readyz", "/metrics"):
        service.client.get(path)
    assert "http_server_request_duration_seconds_count{" not in service.metrics.render().decode()
    assert service.spans.get_finished_spans() == ()
