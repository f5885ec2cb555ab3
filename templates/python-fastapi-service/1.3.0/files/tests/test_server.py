import signal
import time

import pytest
import uvicorn

from app.__main__ import DrainingServer
from app.main import create_app
from app.settings import Settings


def test_sigterm_fails_readiness_then_stops() -> None:
    app = create_app()
    server = DrainingServer(uvicorn.Config(app), app, delay_seconds=0.05)
    server.handle_exit(signal.SIGTERM, None)
    assert app.state.ready is False
    assert server.should_exit is False
    deadline = time.monotonic() + 5
    while not server.should_exit and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.should_exit is True


def test_settings_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "9090")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    assert Settings.from_env() == Settings(port=9090, log_level="debug", shutdown_delay_seconds=5)
    monkeypatch.setenv("PORT", "http")
    with pytest.raises(ValueError, match="PORT must be a whole number"):
        Settings.from_env()
