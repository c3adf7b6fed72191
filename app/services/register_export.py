"""Certificates into Kutseregister, exactly once from the user's point of view.

Every certificate ready for the register gets a stable reference (taotluseViide) that is
committed BEFORE the call; the register is idempotent on it, so a run that died between the
call and the commit simply sends the same reference again and gets the same number back.
Calls run with bounded concurrency; the database is written from this thread only.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.models import AwardingBody, Certificate
from app.xroad.errors import BusinessError, XRoadError
from app.xroad.types import CertificateSubmission

BATCH = 200


def reference_for(cert: Certificate) -> str:
    return f"EKS-{cert.id}"


def submission(cert: Certificate) -> CertificateSubmission:
    return CertificateSubmission(
        awarding_body=cert.awarding_body.registrikood,
        holder_name=cert.holder_name,
        isikukood=cert.isikukood or "",
        cert_type=cert.cert_type,
        standard_register_id=cert.standard.register_id,
        issue_date=cert.issue_date,
        valid_from=cert.valid_from,
        valid_to=cert.valid_to,
        signer_register_id=cert.signer.register_id if cert.signer else 0,
        reference=cert.register_reference,
        specialisation_id=cert.specialisation.register_id if cert.specialisation else None,
        partial_qualification_id=cert.partial_qualification.register_id if cert.partial_qualification else None,
        exam_language_id=cert.exam_language,
        name_hidden=cert.name_hidden,
        birth_date_hidden=cert.birth_date_hidden,
        certificate_hidden=cert.certificate_hidden,
    )


def _ready(session, awarding_body_id: int | None, after_id: int):
    query = (
        select(Certificate)
        .options(joinedload(Certificate.awarding_body), joinedload(Certificate.standard),
                 joinedload(Certificate.signer), joinedload(Certificate.specialisation),
                 joinedload(Certificate.partial_qualification))
        .where(Certificate.status == "ready", Certificate.id > after_id)
        .order_by(Certificate.id).limit(BATCH)
    )
    if awarding_body_id is not None:
        query = query.where(Certificate.awarding_body_id == awarding_body_id)
    return session.execute(query).scalars().unique().all()


def export_certificates(session, client, ctx, awarding_body_id: int | None = None, workers: int = 8) -> None:
    from sqlalchemy import func

    count = select(func.count(Certificate.id)).where(Certificate.status == "ready")
    if awarding_body_id is not None:
        count = count.where(Certificate.awarding_body_id == awarding_body_id)
    ctx.set_total(session.execute(count).scalar())
    last_id = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while True:
            certs = _ready(session, awarding_body_id, last_id)
            if not certs:
                break
            last_id = certs[-1].id
            # 1. the reference is stored before anything is sent
            for cert in certs:
                if not cert.register_reference:
                    cert.register_reference = reference_for(cert)
            session.commit()
            payloads = [(cert, submission(cert)) for cert in certs]
            # 2. bounded concurrent calls; 3. results written here, one commit per batch
            for cert, outcome in zip(certs, pool.map(lambda p: _send(client, p[1]), payloads), strict=True):
                record = f"kutsetunnistus {cert.id} ({cert.holder_name})"
                if isinstance(outcome, str):
                    cert.registration_number = outcome
                    cert.status = "registered"
                    cert.register_errors = None
                    ctx.count(updated=1)
                elif isinstance(outcome, BusinessError):
                    cert.status = "rejected"
                    cert.register_errors = "\n".join(str(e) for e in outcome.errors)
                    for error in outcome.errors:
                        ctx.reject(record, error.element, error.message)
                else:  # transport failure after retries: stays ready for the next run
                    ctx.reject(record, None, f"saatmine ebaõnnestus, proovitakse uuesti: {outcome}")
                ctx.advance()
            session.commit()


def _send(client, payload: CertificateSubmission):
    try:
        return client.kutsetunnistuse_lisamine(payload)
    except BusinessError as exc:
        return exc
    except XRoadError as exc:
        return exc


def reconcile(session, client, ctx, date_from, date_to, awarding_body_id: int | None = None) -> None:
    """Compare local certificates with the register's list per awarding body; repair what can
    be repaired (an entry with our reference that is not marked registered here) and report
    the rest."""
    bodies = select(AwardingBody)
    if awarding_body_id is not None:
        bodies = bodies.where(AwardingBody.id == awarding_body_id)
    bodies = session.execute(bodies).scalars().all()
    ctx.set_total(len(bodies))
    for body in bodies:
        try:
            remote = client.kutse_andja_tunnistused(body.registrikood, date_from, date_to)
        except XRoadError as exc:
            ctx.reject(f"kutse andja {body.registrikood}", None, str(exc))
            ctx.advance()
            continue
        for problem in remote.problems:
            ctx.reject(problem.record, problem.field, problem.reason)
        local = session.execute(
            select(Certificate).where(Certificate.awarding_body_id == body.id,
                                      Certificate.issue_date.between(date_from, date_to))
        ).scalars().all()
        by_number = {c.registration_number: c for c in local if c.registration_number}
        by_reference = {c.register_reference: c for c in local if c.register_reference}
        seen = set()
        for entry in remote.items:
            seen.add(entry.registration_number)
            cert = by_number.get(entry.registration_number) or by_reference.get(entry.reference or "")
            if cert is None:
                continue  # entered by another system: not ours to repair
            if cert.status != "registered" or cert.registration_number != entry.registration_number:
                cert.status = "registered"
                cert.registration_number = entry.registration_number
                cert.register_errors = None
                ctx.count(updated=1)
            else:
                ctx.count(unchanged=1)
            if entry.revoked and not cert.revoked:
                ctx.reject(f"kutsetunnistus {entry.registration_number}", "kehtetu",
                           "registris kehtetu, siin kehtiv: kontrollige kehtetuks tunnistamise otsust")
        for cert in local:
            if cert.status == "registered" and cert.registration_number not in seen:
                ctx.reject(f"kutsetunnistus {cert.registration_number} ({cert.holder_name})", "registrinumber",
                           "märgitud registreerituks, kuid Kutseregistris puudub")
        session.commit()
        ctx.advance()


def export_job(ctx, awarding_body_id: int | None = None) -> None:
    from app.xroad.kutseregister import KutseregisterClient

    session = current_app.appbuilder.session
    with KutseregisterClient.from_config(current_app.config) as client:
        export_certificates(session, client, ctx, awarding_body_id,
                            workers=current_app.config.get("EXPORT_CONCURRENCY", 8))


def reconcile_job(ctx, alates: str, kuni: str, awarding_body_id: int | None = None) -> None:
    import datetime as dt

    from app.xroad.kutseregister import KutseregisterClient

    session = current_app.appbuilder.session
    with KutseregisterClient.from_config(current_app.config) as client:
        reconcile(session, client, ctx, dt.date.fromisoformat(alates), dt.date.fromisoformat(kuni),
                  awarding_body_id)



