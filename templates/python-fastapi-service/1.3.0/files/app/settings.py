"""Runtime settings, read from the environment once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _int(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ValueError(f"{name} must be between {minimum} and {maximum}, not {value}")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment."""

    port: int = 8080
    log_level: str = "info"
    shutdown_delay_seconds: int = 5

    @classmethod
    def from_env(cls) -> Settings:
        level = os.environ.get("LOG_LEVEL", "info").strip().lower() or "info"
        if level not in {"debug", "info", "warning", "error", "critical"}:
            raise ValueError(f"LOG_LEVEL must be debug, info, warning, error or critical, not {level!r}")
        return cls(
            port=_int("PORT", 8080, 1, 65535),
            log_level=level,
            shutdown_delay_seconds=_int("SHUTDOWN_DELAY_SECONDS", 5, 0, 300),
        )
