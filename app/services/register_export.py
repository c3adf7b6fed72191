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
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import aliased, joinedload

from app.audit import record_bulk
from app.models import (
    AwardingBody,
    Certificate,
    CommitteeMember,
    Competence,
    CompetenceResult,
    Decision,
    OccupationalStandard,
    PartialQualification,
    Person,
    Result,
    Specialisation,
)
from app.models.base import utcnow
from app.services.states import transition_errors
from app.xroad.errors import BusinessError, XRoadError
from app.xroad.kutseregister import EXAM_LANGUAGE_IDS
from app.xroad.types import CertificateSubmission

BATCH = 500


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


# --------------------------------------------------------------------------- the export
#
# Set-based, like the graduate import: per batch one query reads the certificates with every
# value a request needs (no ORM objects, no lazy loads); one statement stores the new references
# (committed before any call); the calls run in the pool while the next batch is prepared; one
# statement per outcome stores the results, and the audit rows go in one insert
# (app.audit.record_bulk). The flush guard's checks hold because the statements only change the
# columns a ready certificate may change (app.services.states.LOCKS) and only where it is still
# ready (ready -> registered | rejected); the field rules are checked before anything is sent.

_COLUMNS = tuple(Certificate.__table__.columns.keys())
_Original = aliased(Certificate)


@dataclass
class _Cert:
    """One certificate of a batch: its stored columns and what the request needs of its parents."""

    values: dict
    body_code: str | None
    standard_register_id: int | None
    validity_years: int | None
    signer_register_id: int | None
    specialisation_register_id: int | None
    partial_register_id: int | None
    subject: str | None  # the holder's isikukood (audit rows)
    original_status: str | None
    original_number: str | None
    original_type: str | None

    @property
    def id(self) -> int:
        return self.values["id"]

    @property
    def record(self) -> str:
        return f"kutsetunnistus {self.id} ({self.values['holder_name']})"


def _load_batch(session, awarding_body_id: int | None, after_id: int, size: int) -> list[_Cert]:
    t = Certificate.__table__
    query = (
        select(*t.columns, AwardingBody.registrikood, OccupationalStandard.register_id.label("_standard"),
               OccupationalStandard.cert_validity_years, CommitteeMember.register_id.label("_signer"),
               Specialisation.register_id.label("_specialisation"),
               PartialQualification.register_id.label("_partial"), Person.isikukood.label("_subject"),
               _Original.status.label("_orig_status"), _Original.registration_number.label("_orig_number"),
               _Original.cert_type.label("_orig_type"))
        .select_from(t)
        .join(AwardingBody, AwardingBody.id == t.c.awarding_body_id)
        .join(OccupationalStandard, OccupationalStandard.id == t.c.standard_id)
        .outerjoin(CommitteeMember, CommitteeMember.id == t.c.signer_id)
        .outerjoin(Specialisation, Specialisation.id == t.c.specialisation_id)
        .outerjoin(PartialQualification, PartialQualification.id == t.c.partial_qualification_id)
        .outerjoin(Person, Person.id == t.c.person_id)
        .outerjoin(_Original, _Original.id == t.c.duplicate_of_id)
        .where(t.c.status == "ready", t.c.id > after_id)
        .order_by(t.c.id).limit(size)
    )
    if awarding_body_id is not None:
        query = query.where(t.c.awarding_body_id == awarding_body_id)
    batch = []
    for row in session.execute(query).mappings():
        batch.append(_Cert({k: row[k] for k in _COLUMNS}, row["registrikood"], row["_standard"],
                           row["cert_validity_years"], row["_signer"], row["_specialisation"], row["_partial"],
                           row["_subject"], row["_orig_status"], row["_orig_number"], row["_orig_type"]))
    return batch


def _batch_errors(cert: _Cert) -> list[tuple[str, str]]:
    """The flush guard's field and cross-field rules on the stored values (with the standard's
    validity years), and what a duplicate needs."""
    values = {**cert.values, "standard": SimpleNamespace(cert_validity_years=cert.validity_years)}
    errors = list(Certificate.validation_errors(values))
    if cert.values["duplicate_of_id"] is not None:
        if cert.original_status != "registered" or not cert.original_number:
            errors.append(("duplicate_of", "originaal ei ole Kutseregistrisse kantud"))
        elif not cert.values["duplicate_reason"]:
            errors.append(("duplicate_reason", "duplikaadi põhjus puudub"))
    return errors


def _batch_payload(cert: _Cert, competences: dict[int, tuple[int, ...]]):
    v = cert.values
    if v["duplicate_of_id"] is not None:
        return DuplicateOrder(cert.body_code, cert.original_number, cert.original_type, v["duplicate_reason"],
                              v["register_reference"])
    return CertificateSubmission(
        competence_ids=competences.get(cert.id, ()),
        awarding_body=cert.body_code,
        holder_name=v["holder_name"],
        isikukood=v["isikukood"] or "",
        cert_type=v["cert_type"],
        standard_register_id=cert.standard_register_id,
        issue_date=v["issue_date"],
        valid_from=v["valid_from"],
        valid_to=v["valid_to"],
        signer_register_id=cert.signer_register_id or 0,
        reference=v["register_reference"],
        specialisation_id=cert.specialisation_register_id,
        partial_qualification_id=cert.partial_register_id,
        exam_language_id=EXAM_LANGUAGE_IDS.get(v["exam_language"], v["exam_language"]) if v["exam_language"] else None,
        name_hidden=v["name_hidden"],
        birth_date_hidden=v["birth_date_hidden"],
        certificate_hidden=v["certificate_hidden"],
    )


# The three statements on PostgreSQL: the values go as one array per column (a constant
# statement, compiled once, whatever the batch size).
_PG_RESULT_SQL = {
    "registered": text("""
        UPDATE certificate c SET status = 'registered', registration_number = v.number,
            register_errors = NULL, registered_at = v.at
        FROM unnest(CAST(:id AS integer[]), CAST(:ref AS varchar[]), CAST(:number AS varchar[]),
                    CAST(:at AS timestamptz[])) AS v(id, ref, number, at)
        WHERE c.id = v.id AND c.status = 'ready' AND c.register_reference = v.ref
        RETURNING c.id"""),
    "rejected": text("""
        UPDATE certificate c SET status = 'rejected', register_errors = v.errors
        FROM unnest(CAST(:id AS integer[]), CAST(:ref AS varchar[]), CAST(:errors AS text[]))
            AS v(id, ref, errors)
        WHERE c.id = v.id AND c.status = 'ready' AND c.register_reference = v.ref
        RETURNING c.id"""),
    "reference": text("""
        UPDATE certificate c SET register_reference = v.ref
        FROM unnest(CAST(:id AS integer[]), CAST(:ref AS varchar[])) AS v(id, ref)
        WHERE c.id = v.id AND c.status = 'ready' AND c.register_reference IS NULL
        RETURNING c.id"""),
}
_PG_ARRAYS = {"registered": ("id", "ref", "number", "at"), "rejected": ("id", "ref", "errors"),
              "reference": ("id", "ref")}
# ... and elsewhere: column -> key of the row
_RESULT_COLUMNS = {
    "registered": {"status": "status", "registration_number": "number", "register_errors": "errors",
                   "registered_at": "at"},
    "rejected": {"status": "status", "register_errors": "errors"},
    "reference": {"register_reference": "ref"},
}


def _update_ready(session, kind: str, rows: list[dict]) -> set[int]:
    """Store a batch's new references (``kind`` "reference": where the certificate is still ready
    and has none) or its outcomes ("registered", "rejected": where it is still ready and still
    carries the reference sent, ``ref``); returns the ids updated. PostgreSQL: one statement
    (:data:`_PG_RESULT_SQL`); elsewhere (the SQLite demo) one statement per row."""
    if not rows:
        return set()
    if session.get_bind().dialect.name == "postgresql":
        keys = _PG_ARRAYS[kind]
        return set(session.execute(_PG_RESULT_SQL[kind], {k: [r[k] for r in rows] for k in keys}).scalars())
    t = Certificate.__table__
    done = set()
    for r in rows:
        stmt = update(t).where(t.c.id == r["id"], t.c.status == "ready")
        stmt = stmt.where(t.c.register_reference.is_(None) if kind == "reference" else t.c.register_reference == r["ref"])
        if session.execute(stmt.values({col: r[key] for col, key in _RESULT_COLUMNS[kind].items()})).rowcount:
            done.add(r["id"])
    return done


@dataclass
class _Sent:
    """A batch whose calls are on their way: (certificate, payload, future) per certificate."""

    items: list[tuple[_Cert, object, Future]]


def _prepare(session, client, ctx, pool, certs: list[_Cert], prefix: str) -> _Sent:
    """Check a batch, give every sendable certificate its reference (committed here, before any
    call) and start the calls."""
    sendable, new_refs = [], []
    for cert in certs:
        errors = _batch_errors(cert)
        if errors:  # stored before the checks existed: listed with the field to fix, stays ready
            for field, reason in errors:
                ctx.reject(cert.record, field, f"{reason}: parandage tunnistuse andmed",
                           awarding_body_id=cert.values["awarding_body_id"])
            ctx.advance()
            continue
        if not cert.values["register_reference"]:
            ref = f"{prefix}-{cert.id}-{secrets.token_hex(6)}"
            new_refs.append({"id": cert.id, "ref": ref})
            cert.values["register_reference"] = ref
        sendable.append(cert)
    if new_refs:
        stored = _update_ready(session, "reference", new_refs)
        subjects = {c.id: c.subject for c in sendable}
        record_bulk(session.connection(), "Certificate", [
            (r["id"], "update", {"register_reference": (None, r["ref"])}, subjects[r["id"]])
            for r in new_refs if r["id"] in stored])
        fresh = {r["id"] for r in new_refs}  # changed meanwhile (not ready, or a reference): next run
        gone = [c for c in sendable if c.id in fresh and c.id not in stored]
        if gone:
            ctx.advance(len(gone))
            sendable = [c for c in sendable if c.id not in fresh or c.id in stored]
    session.commit()
    competences = passed_competence_ids(session, [c.id for c in sendable if c.values["duplicate_of_id"] is None])
    session.commit()  # no transaction stays open while the calls run
    items = []
    for cert in sendable:
        payload = _batch_payload(cert, competences)
        items.append((cert, payload, pool.submit(_send, client, payload)))
    return _Sent(items)


def _store(session, ctx, sent: _Sent) -> None:
    """Wait for a batch's calls and store their outcomes: registered with the number, rejected
    with the register's errors (in Estonian, as the register gives them), a transport failure
    left ready for the next run (the same reference is sent again)."""
    registered, rejected = [], []
    for cert, _payload, future in sent.items:
        outcome = future.result()
        row = {"id": cert.id, "ref": cert.values["register_reference"], "cert": cert}
        if isinstance(outcome, str):
            registered.append({**row, "status": "registered", "number": outcome, "errors": None, "at": utcnow()})
        elif isinstance(outcome, BusinessError):
            rejected.append({**row, "status": "rejected", "errors": "\n".join(str(e) for e in outcome.errors),
                             "outcome": outcome})
        else:  # transport failure after retries: stays ready for the next run
            ctx.reject(cert.record, None, f"saatmine ebaõnnestus, proovitakse uuesti: {outcome}",
                       awarding_body_id=cert.values["awarding_body_id"])
    done = _update_ready(session, "registered", registered) | _update_ready(session, "rejected", rejected)
    events = []
    for r in registered + rejected:
        cert = r["cert"]
        body_id = cert.values["awarding_body_id"]
        if r["status"] == "rejected":
            for error in r["outcome"].errors:
                ctx.reject(cert.record, error.element, error.message, awarding_body_id=body_id)
        elif r["id"] in done:
            ctx.count(updated=1)
        else:
            ctx.reject(cert.record, "status", f"Kutseregister kandis tunnistuse numbriga {r['number']}, kuid "
                       "tunnistust muudeti saatmise ajal ja tulemust siin ei salvestatud: käivitage võrdlus "
                       "Kutseregistriga", awarding_body_id=body_id)
        if r["id"] not in done:  # no longer ready or another reference (changed meanwhile)
            continue
        new = {"status": r["status"], "register_errors": r["errors"]}
        if r["status"] == "registered":
            new.update(registration_number=r["number"], registered_at=r["at"])
        changes = {k: (cert.values[k], value) for k, value in new.items() if cert.values[k] != value}
        events.append((cert.id, "update", changes, cert.subject))
    record_bulk(session.connection(), "Certificate", events)
    session.commit()
    ctx.advance(len(sent.items))


def export_certificates(session, client, ctx, awarding_body_id: int | None = None, workers: int = 8) -> None:
    count = select(func.count(Certificate.id)).where(Certificate.status == "ready")
    if awarding_body_id is not None:
        count = count.where(Certificate.awarding_body_id == awarding_body_id)
    revocations = _revocations(session, awarding_body_id)
    ctx.set_total(session.execute(count).scalar() + len(revocations))
    prefix = reference_prefix()
    last_id = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        in_flight: _Sent | None = None
        while True:
            # the next batch is read and its references committed while the calls of the one
            # before are still running, so the pool never waits for the database
            certs = _load_batch(session, awarding_body_id, last_id, BATCH)
            sent = None
            if certs:
                last_id = certs[-1].id
                sent = _prepare(session, client, ctx, pool, certs, prefix)
            if in_flight is not None:
                _store(session, ctx, in_flight)
            if not certs:
                break
            in_flight = sent
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



