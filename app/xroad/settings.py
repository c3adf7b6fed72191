"""X-Road settings: client and service identities, endpoints, timeouts and retries.

Values come from the Flask config (``config.py`` reads them from the environment). The same
defaults are used when a client is built outside an application, e.g. by the simulators' CLI.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULTS: dict[str, Any] = {
    "XROAD_CLIENT": "EE/COM/90006414/eksamihaldus",
    "EHIS_XROAD_SERVICE": "EE/GOV/70000740/ehis",
    "KUTSEREGISTER_XROAD_SERVICE": "EE/COM/90006414/kutseregister",
    "EHIS_XROAD_URL": "http://127.0.0.1:8081/ehis",
    "KUTSEREGISTER_XROAD_URL": "http://127.0.0.1:8082/kutseregister",
    "XROAD_CONNECT_TIMEOUT": 5.0,
    "XROAD_READ_TIMEOUT": 60.0,
    "XROAD_RETRIES": 3,
    "XROAD_BACKOFF": 0.5,
    "XROAD_SYSTEM_USER": "EE90006414",
}


@dataclass(frozen=True, slots=True)
class XRoadIdentifier:
    """``instance/memberClass/memberCode/subsystemCode``, e.g. ``EE/GOV/70000740/ehis``."""

    instance: str
    member_class: str
    member_code: str
    subsystem_code: str | None = None

    @classmethod
    def parse(cls, value: str | XRoadIdentifier) -> XRoadIdentifier:
        if isinstance(value, XRoadIdentifier):
            return value
        parts = [p.strip() for p in str(value).strip().strip("/").split("/")]
        if len(parts) not in (3, 4) or not all(parts):
            raise ValueError(
                f"X-Road identifier {value!r} must be instance/memberClass/memberCode[/subsystemCode]"
            )
        return cls(*parts)

    def __str__(self) -> str:
        parts = [self.instance, self.member_class, self.member_code]
        if self.subsystem_code:
            parts.append(self.subsystem_code)
        return "/".join(parts)


@dataclass(frozen=True, slots=True)
class XRoadSettings:
    client: XRoadIdentifier
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    retries: int = 3
    backoff: float = 0.5
    system_user: str = "EE90006414"
    max_backoff: float = 30.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None = None) -> XRoadSettings:
        cfg = resolve_config(config)
        return cls(
            client=XRoadIdentifier.parse(cfg["XROAD_CLIENT"]),
            connect_timeout=float(cfg["XROAD_CONNECT_TIMEOUT"]),
            read_timeout=float(cfg["XROAD_READ_TIMEOUT"]),
            retries=max(0, int(cfg["XROAD_RETRIES"])),
            backoff=max(0.0, float(cfg["XROAD_BACKOFF"])),
            system_user=str(cfg["XROAD_SYSTEM_USER"]),
        )


def env_config() -> dict[str, Any]:
    """The X-Road settings from the environment, with the defaults above."""
    return {key: os.environ.get(key, default) for key, default in DEFAULTS.items()}


def resolve_config(config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Settings from ``config`` (a Flask config or any mapping), else the current app's, else the
    environment; a missing key falls back to its default."""
    if config is None:
        try:
            from flask import current_app, has_app_context

            if has_app_context():
                config = current_app.config
        except ImportError:  # pragma: no cover
            config = None
    source = env_config() if config is None else config
    return {key: source.get(key, default) if source.get(key) not in (None, "") else default
            for key, default in DEFAULTS.items()}


def user_id_for(isikukood: str | None, system_user: str) -> str:
    """``userId`` of the header: ``EE`` + the acting person's personal code, else the system user."""
    if not isikukood:
        return system_user
    code = str(isikukood).strip()
    return code if code[:2].isalpha() else f"EE{code}"
