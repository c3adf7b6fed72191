"""The demo's registers: simulators of EHIS and Kutseregister in background threads of the demo
process, and the import and export jobs run against them as JobRuns, so that a newcomer sees
master data and graduate lists arrive through the same jobs production uses.

The simulated world is deterministic (seed and scale below), so a restarted demo finds the same
registers; the Kutseregister simulator takes back the certificates the database says it
registered, so reconciliation agrees and new registration numbers never repeat old ones.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from types import SimpleNamespace

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from app import models as m
from app.simulators import EhisSimulator, KutseregisterSimulator, RunningServer, SimData, serve_in_thread
from app.simulators.kutseregister import StoredCertificate

SEED = 2026
SCALE = 3_000  # graduates over all curricula
CURRICULA = 60
ACTOR = "demo"
IMPORTS = ("register_sync", "ehis_sync", "graduate_import")


def start_registers(app, *, seed: int = SEED, scale: int = SCALE, curricula: int = CURRICULA) -> list[RunningServer]:
    """Serve both simulators on free local ports and point the app's X-Road URLs at them."""
    data = SimData(seed, scale, curricula=curricula)
    kutseregister = KutseregisterSimulator(data)
    servers = [serve_in_thread(EhisSimulator(data)), serve_in_thread(kutseregister)]
    app.config.update(EHIS_XROAD_URL=servers[0].url("/ehis"),
                      KUTSEREGISTER_XROAD_URL=servers[1].url("/kutseregister"))
    with app.app_context():
        kutseregister.restore(registered_certificates(app.appbuilder.session))
    return servers


def registered_certificates(session) -> list[StoredCertificate]:
    certs = session.execute(
        select(m.Certificate).options(joinedload(m.Certificate.awarding_body), joinedload(m.Certificate.standard),
                                      joinedload(m.Certificate.signer), joinedload(m.Certificate.duplicate_of))
        .where(m.Certificate.status == "registered", m.Certificate.registration_number.isnot(None))
    ).scalars().all()
    return [StoredCertificate(
        c.registration_number, c.awarding_body.registrikood, c.holder_name, c.isikukood or "", c.cert_type,
        c.standard.register_id, c.standard.name, c.standard.ekr_level, c.issue_date, c.valid_from, c.valid_to,
        c.register_reference, allkirjastaja=c.signer.register_id if c.signer else None,
        duplikaat=c.duplicate_of is not None,
        duplicate_of=c.duplicate_of.registration_number if c.duplicate_of is not None else None,
        kehtetu=c.revoked) for c in certs]


def run_jobs(app, kinds: Iterable[str], echo: Callable[[str], None] = print) -> list[SimpleNamespace]:
    """Run each job as a JobRun in this process, one after the other; one line per job.
    Returns the runs' outcomes (id, kind, status, counts, message)."""
    from app.services.jobruns import ACTIVE, create_run
    from jobs.registry import KINDS
    from jobs.tasks import run_job

    runs = []
    with app.app_context():
        session = app.appbuilder.session
        # The demo runs jobs only in its own process: a run still "active" is from a stopped demo.
        session.execute(update(m.JobRun).where(m.JobRun.status.in_(ACTIVE))
                        .values(status="failed", message="Demo peatati töö ajal."))
        session.commit()
        for kind in kinds:
            run, _ = create_run(session, kind, {}, actor=ACTOR)
            try:
                status = run_job(run.id, app)
            except Exception as exc:  # recorded on the run; the demo still starts
                status = f"failed ({type(exc).__name__}: {exc})"
            session.expire_all()
            run = session.get(m.JobRun, run.id)
            seconds = run.duration.total_seconds() if run.duration else 0.0
            echo(f"  #{run.id:<4} {str(KINDS[kind].label):<46} {status:<9} created {run.created_count}, "
                 f"updated {run.updated_count}, unchanged {run.unchanged_count}, rejected {run.rejected_count} "
                 f"({seconds:.1f} s)")
            runs.append(SimpleNamespace(**{k: getattr(run, k) for k in (
                "id", "kind", "status", "message", "progress_done", "progress_total", "created_count",
                "updated_count", "unchanged_count", "rejected_count")}))
    return runs
