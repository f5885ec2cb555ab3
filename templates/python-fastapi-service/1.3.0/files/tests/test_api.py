from conftest import Service


def test_hello_greets(service: Service) -> None:
    response = service.client.get("/v1/hello/ada")
    assert response.status_code == 200
    assert response.json() == {"message": "Hello, ada!"}


def test_hello_refuses_long_names(service: Service) -> None:
    response = service.client.get("/v1/hello/" + "a" * 65)
    assert response.status_code == 400
    assert response.json() == {"error": "name is longer than 64 characters"}


def test_unknown_path_is_404(service: Service) -> None:
    assert service.client.get("/nope").status_code == 404
