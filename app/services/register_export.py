"""Certificates into Kutseregister, exactly once from the user's point of view.

Every certificate ready for the register gets a stable reference (taotluseViide) that is
committed BEFORE the call; the register is idempotent on it, so a run that died between the
call and the commit simply sends the same reference again and gets the same number back.
Calls run with bounded concurrency; the database is written from this thread only.

A reference is ``<prefix>-<certificate id>-<random>``: the random part keeps two installations
(or a restored copy of the database) that talk to the same register from ever sharing one.

A duplicate (a certificate with ``duplicate_of``) goes the same way through
``kutsetunnistuseDuplikaat`` (idempotent on its own reference) and gets its own number. After the
ready certificates, revocations of registered certificates are sent (``kutsetunnistuseKehtetuks``,
harmless to repeat) and ``revocation_sent_at`` records that the register has them. Each
certificate carries the competences its holder passed in the exam decided on.
"""
from __future__ import annotations

import datetime as dt
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.models import AwardingBody, Certificate, Competence, CompetenceResult, Decision, Result
from app.models.base import utcnow
from app.services.states import transition_errors
from app.xroad.errors import BusinessError, XRoadError
from app.xroad.kutseregister import EXAM_LANGUAGE_IDS
from app.xroad.types import CertificateSubmission

BATCH = 200


DEFAULT_PREFIX = "EKS"
RECONCILE_DAYS = 90  # the default period of a reconciliation (e.g. a scheduled one)


def reference_prefix() -> str:
    try:
        return current_app.config.get("REGISTER_REFERENCE_PREFIX") or DEFAULT_PREFIX
    except RuntimeError:  # outside an application
        return DEFAULT_PREFIX


def reference_for(cert: Certificate, prefix: str | None = None) -> str:
    return f"{prefix or reference_prefix()}-{cert.id}-{secrets.token_hex(6)}"


def submission(cert: Certificate, competence_ids: tuple[int, ...] = ()) -> CertificateSubmission:
    return CertificateSubmission(
        competence_ids=tuple(competence_ids),
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
        exam_language_id=EXAM_LANGUAGE_IDS.get(cert.exam_language, cert.exam_language) if cert.exam_language else None,
        name_hidden=cert.name_hidden,
        birth_date_hidden=cert.birth_date_hidden,
        certificate_hidden=cert.certificate_hidden,
    )


@dataclass(frozen=True)
class DuplicateOrder:
    """A duplicate (a Certificate with duplicate_of) goes to ``kutsetunnistuseDuplikaat``."""

    awarding_body: str
    original_number: str
    cert_type: str
    reason: str
    reference: str


def _payload(cert: Certificate, competences: dict[int, tuple[int, ...]]):
    if cert.duplicate_of_id is not None:
        return DuplicateOrder(cert.awarding_body.registrikood, cert.duplicate_of.registration_number,
                              cert.duplicate_of.cert_type, cert.duplicate_reason, cert.register_reference)
    return submission(cert, competences.get(cert.id, ()))


def _duplicate_errors(cert: Certificate) -> list[tuple[str, str]]:
    if cert.duplicate_of_id is None:
        return []
    if cert.duplicate_of.status != "registered" or not cert.duplicate_of.registration_number:
        return [("duplicate_of", "originaal ei ole Kutseregistrisse kantud")]
    if not cert.duplicate_reason:
        return [("duplicate_reason", "duplikaadi põhjus puudub")]
    return []


def passed_competence_ids(session, cert_ids: list[int]) -> dict[int, tuple[int, ...]]:
    """Register ids of the competences each certificate's holder passed in the exam decided on."""
    if not cert_ids:
        return {}
    query = (
        select(Certificate.id, Competence.register_id)
        .join(Decision, Decision.id == Certificate.decision_id)
        .join(Result, Result.registration_id == Decision.registration_id)
        .join(CompetenceResult, CompetenceResult.result_id == Result.id)
        .join(Competence, Competence.id == CompetenceResult.competence_id)
        .where(Certificate.id.in_(cert_ids), CompetenceResult.passed.is_(True),
               Competence.standard_id == Certificate.standard_id)
        .order_by(Certificate.id, Competence.register_id)
    )
    found: dict[int, list[int]] = {}
    for cert_id, register_id in session.execute(query):
        found.setdefault(cert_id, []).append(register_id)
    return {k: tuple(v) for k, v in found.items()}


def _ready(session, awarding_body_id: int | None, after_id: int):
    query = (
        select(Certificate)
        .options(joinedload(Certificate.awarding_body), joinedload(Certificate.standard),
                 joinedload(Certificate.signer), joinedload(Certificate.specialisation),
                 joinedload(Certificate.partial_qualification), joinedload(Certificate.duplicate_of))
        .where(Certificate.status == "ready", Certificate.id > after_id)
        .order_by(Certificate.id).limit(BATCH)
    )
    if awarding_body_id is not None:
        query = query.where(Certificate.awarding_body_id == awarding_body_id)
    return session.execute(query).scalars().unique().all()


def export_certificates(session, client, ctx, awarding_body_id: int | None = None, workers: int = 8) -> None:
    count = select(func.count(Certificate.id)).where(Certificate.status == "ready")
    if awarding_body_id is not None:
        count = count.where(Certificate.awarding_body_id == awarding_body_id)
    revocations = _revocations(session, awarding_body_id)
    ctx.set_total(session.execute(count).scalar() + len(revocations))
    last_id = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while True:
            certs = _ready(session, awarding_body_id, last_id)
            if not certs:
                break
            last_id = certs[-1].id
            # 1. the reference is stored before anything is sent (payloads are built first: the
            #    commit expires the loaded rows)
            prefix = reference_prefix()
            sendable = []
            for cert in certs:
                errors = _local_errors(cert) + _duplicate_errors(cert)
                if errors:  # stored before the checks existed: the flush guard refuses any change
                    for field, reason in errors:
                        ctx.reject(f"kutsetunnistus {cert.id} ({cert.holder_name})", field,
                                   f"{reason}: parandage tunnistuse andmed", awarding_body_id=cert.awarding_body_id)
                    ctx.advance()
                    continue
                if not cert.register_reference:
                    cert.register_reference = reference_for(cert, prefix)
                sendable.append(cert)
            competences = passed_competence_ids(session, [c.id for c in sendable if c.duplicate_of_id is None])
            payloads = [(cert.id, cert.awarding_body_id, cert.holder_name, _payload(cert, competences))
                        for cert in sendable]
            session.commit()
            # 2. bounded concurrent calls; 3. results written here, one commit per batch
            results = {}
            for (cert_id, body_id, holder, _), outcome in zip(
                    payloads, pool.map(lambda p: _send(client, p[3]), payloads), strict=True):
                record = f"kutsetunnistus {cert_id} ({holder})"
                if isinstance(outcome, str):
                    results[cert_id] = {"status": "registered", "registration_number": outcome,
                                        "register_errors": None, "registered_at": utcnow()}
                    ctx.count(updated=1)
                elif isinstance(outcome, BusinessError):
                    results[cert_id] = {"status": "rejected",
                                        "register_errors": "\n".join(str(e) for e in outcome.errors)}
                    for error in outcome.errors:
                        ctx.reject(record, error.element, error.message, awarding_body_id=body_id)
                else:  # transport failure after retries: stays ready for the next run
                    ctx.reject(record, None, f"saatmine ebaõnnestus, proovitakse uuesti: {outcome}",
                               awarding_body_id=body_id)
                ctx.advance()
            if results:  # one query reloads the rows the commit expired; ORM updates keep the audit trail
                for cert in session.execute(select(Certificate).where(Certificate.id.in_(list(results)))).scalars():
                    for key, value in results[cert.id].items():
                        setattr(cert, key, value)
            session.commit()
    send_revocations(session, client, ctx, revocations)


def _revocations(session, awarding_body_id: int | None) -> list[int]:
    """Registered certificates revoked here whose revocation the register does not have yet."""
    query = select(Certificate.id).where(
        Certificate.status == "registered", Certificate.revoked.is_(True), Certificate.revocation_sent_at.is_(None),
        Certificate.registration_number.is_not(None)).order_by(Certificate.id)
    if awarding_body_id is not None:
        query = query.where(Certificate.awarding_body_id == awarding_body_id)
    return list(session.execute(query).scalars())


def send_revocations(session, client, ctx, cert_ids: list[int]) -> None:
    """``kutsetunnistuseKehtetuks`` per revoked certificate (repeating one is harmless); the
    time the register accepted it is stored, a failure is listed and retried by the next run."""
    for cert_id in cert_ids:
        cert = session.execute(select(Certificate).options(joinedload(Certificate.awarding_body))
                               .where(Certificate.id == cert_id)).scalar_one()
        record = f"kutsetunnistus {cert.registration_number} ({cert.holder_name})"
        try:
            client.kutsetunnistuse_kehtetuks(cert.awarding_body.registrikood, cert.registration_number,
                                             cert.revoked_reason or "", cert.revoked_date or cert.issue_date)
        except BusinessError as exc:
            for error in exc.errors:
                ctx.reject(record, error.element, f"kehtetuks tunnistamine: {error.message}",
                           awarding_body_id=cert.awarding_body_id)
        except XRoadError as exc:
            ctx.reject(record, None, f"kehtetuks tunnistamise saatmine ebaõnnestus, proovitakse uuesti: {exc}",
                       awarding_body_id=cert.awarding_body_id)
        else:
            cert.revocation_sent_at = utcnow()
            ctx.count(updated=1)
        ctx.advance()
        session.commit()


def _local_errors(cert: Certificate) -> list[tuple[str, str]]:
    """The flush guard's checks on the stored columns (no relationship loads)."""
    values = {attr.key: getattr(cert, attr.key) for attr in Certificate.__mapper__.column_attrs}
    return Certificate.validation_errors(values)


def _send(client, payload: CertificateSubmission | DuplicateOrder):
    try:
        if isinstance(payload, DuplicateOrder):
            return client.kutsetunnistuse_duplikaat(payload.awarding_body, payload.original_number,
                                                    payload.cert_type, payload.reason,
                                                    taotluse_viide=payload.reference)
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
    prefix = reference_prefix()
    for body in bodies:
        try:
            remote = client.kutse_andja_tunnistused(body.registrikood, date_from, date_to)
        except XRoadError as exc:
            ctx.reject(f"kutse andja {body.registrikood}", None, str(exc), awarding_body_id=body.id)
            ctx.advance()
            continue
        for problem in remote.problems:
            ctx.reject(problem.record, problem.field, problem.reason, awarding_body_id=body.id)
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
            if cert is None and entry.reference and entry.reference.startswith(prefix + "-"):
                # ours, but issued outside the period here (the date was changed locally)
                cert = session.execute(select(Certificate).where(
                    Certificate.register_reference == entry.reference)).scalar_one_or_none()
                if cert is None:
                    ctx.reject(f"kutsetunnistus {entry.registration_number} ({entry.holder_name})",
                               "taotluseViide",
                               f"Kutseregistris on kanne meie viitega {entry.reference}, kuid siin sellist "
                               "tunnistust ei ole", awarding_body_id=body.id)
                    continue
            if cert is None:
                continue  # entered by another system: not ours to repair
            if cert.status != "registered" or cert.registration_number != entry.registration_number:
                problems = transition_errors("Certificate", cert.status, "registered") + _local_errors(cert)
                if problems or (cert.status == "registered" and cert.registration_number):
                    ctx.reject(f"kutsetunnistus {cert.id} ({cert.holder_name})", "registrinumber",
                               f"Kutseregistris kandena {entry.registration_number}, siin "
                               f"{cert.registration_number or 'registreerimata'} (olek {cert.status}): "
                               "kontrollige ja parandage käsitsi", awarding_body_id=body.id)
                    continue
                cert.status = "registered"
                cert.registration_number = entry.registration_number
                cert.register_errors = None
                cert.registered_at = cert.registered_at or utcnow()
                ctx.count(updated=1)
            else:
                ctx.count(unchanged=1)
            if entry.revoked and not cert.revoked:
                ctx.reject(f"kutsetunnistus {entry.registration_number}", "kehtetu",
                           "registris kehtetu, siin kehtiv: kontrollige kehtetuks tunnistamise otsust",
                           awarding_body_id=body.id)
        for cert in local:
            if cert.status == "registered" and cert.registration_number not in seen:
                ctx.reject(f"kutsetunnistus {cert.registration_number} ({cert.holder_name})", "registrinumber",
                           "märgitud registreerituks, kuid Kutseregistris puudub", awarding_body_id=body.id)
        session.commit()
        ctx.advance()


def export_job(ctx, awarding_body_id: int | None = None) -> None:
    from app.xroad.kutseregister import KutseregisterClient

    session = current_app.appbuilder.session
    with KutseregisterClient.from_config(current_app.config) as client:
        export_certificates(session, client, ctx, awarding_body_id,
                            workers=current_app.config.get("EXPORT_CONCURRENCY", 8))


def reconcile_job(ctx, alates: str, kuni: str, awarding_body_id: int | None = None) -> None:

    from app.xroad.kutseregister import KutseregisterClient

    session = current_app.appbuilder.session
    with KutseregisterClient.from_config(current_app.config) as client:
        reconcile(session, client, ctx, dt.date.fromisoformat(alates), dt.date.fromisoformat(kuni),
                  awarding_body_id)



