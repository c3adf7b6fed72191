"""Job kinds: the service that does the work, its queue, its parameters, who may start it."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from flask_babel import lazy_gettext as _l

from app.security import roles as r


@dataclass(frozen=True)
class Param:
    name: str
    label: Any
    kind: str = "str"  # str | int | date
    required: bool = False


@dataclass(frozen=True)
class JobKind:
    name: str
    target: str  # "module:function" of the domain service
    queue: str
    label: Any
    params: tuple[Param, ...] = ()
    # Roles that may start it from the screen (registry staff and admins always may).
    roles: frozenset[str] = field(default_factory=frozenset)
    # For an awarding body user the job is limited to their own body through this parameter.
    scope_param: str | None = None

    def function(self) -> Callable[..., Any]:
        module, func = self.target.split(":")
        return getattr(import_module(module), func)


KINDS: dict[str, JobKind] = {}


def register(name: str, target: str, queue: str, label: Any, params=(), roles=(), scope_param=None) -> None:
    KINDS[name] = JobKind(name, target, queue, label, tuple(params), frozenset(roles), scope_param)


# Kinds that are started by the system, not from the "Start a job" screen.
NOT_ON_SCREEN = {"selftest", "export"}


def startable_by(role_names: set[str]) -> list[JobKind]:
    if role_names & r.UNSCOPED_ROLES:
        return [k for k in KINDS.values() if k.name not in NOT_ON_SCREEN]
    return [k for k in KINDS.values() if k.roles & role_names]


register("selftest", "jobs.selftest:run", "sync", _l("Self-test"),
         params=[Param("n", _l("Number of items"), "int")])
register("routing", "app.services.routing:job", "import", _l("Routing of graduates to awarding bodies"))
register("register_sync", "app.services.register_sync:job", "sync",
         _l("Kutseregister: standards and awarding bodies"),
         params=[Param("full", _l("Full load (1 = yes)"), "int")])
register("ehis_sync", "app.services.ehis_sync:job", "sync", _l("EHIS: schools and curricula"),
         params=[Param("school_ehis_id", _l("School (EHIS id)"), "int")])
register("graduate_import", "app.services.graduate_import:job", "import", _l("EHIS: graduate lists"),
         params=[Param("curriculum_code", _l("Curriculum code"), "int"),
                 Param("school_ehis_id", _l("School (EHIS id)"), "int"),
                 Param("alates", _l("Expected graduation from"), "date"),
                 Param("kuni", _l("Expected graduation until"), "date")])
register("register_export", "app.services.register_export:export_job", "export",
         _l("Kutseregister: enter certificates"), roles=[r.AWARDING_BODY], scope_param="awarding_body_id")
register("reconciliation", "app.services.register_export:reconcile_job", "export",
         _l("Kutseregister: reconcile certificates"),
         params=[Param("alates", _l("Issued from"), "date", True), Param("kuni", _l("Issued until"), "date", True)])
register("statistics", "app.services.statistics:summary_job", "sync", _l("Statistics: update the figures"))
register("open_data", "app.services.statistics:open_data_job", "sync",
         _l("Open data: update the published statistics"))
# A large list or statistics table for one user (app.services.exports; started by the download buttons).
register("export", "app.services.exports:export_job", "export", _l("Export to a file"))
