"""Job kinds: the service that does the work, its queue, and its screen label."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class JobKind:
    name: str
    target: str  # "module:function" of the domain service
    queue: str
    label: Any

    def function(self) -> Callable[..., Any]:
        module, func = self.target.split(":")
        return getattr(import_module(module), func)


KINDS: dict[str, JobKind] = {}


def register(name: str, target: str, queue: str, label: Any) -> None:
    KINDS[name] = JobKind(name, target, queue, label)


# A harmless job for checking the machinery end to end (and for tests of it).
register("selftest", "jobs.selftest:run", "sync", _l("Self-test"))
register("routing", "app.services.routing:job", "import", _l("Routing of graduates to awarding bodies"))
