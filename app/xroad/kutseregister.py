"""Kutseregister adapter: service identities, wrapper names and field mappings of the
Kutseregister services (``contracts/xroad.md`` §4), and the client that speaks them.

Everything register-specific about Kutseregister lives here, so a real schema replaces this
module only. A problem in a nested item (a competence, a right, a committee member) drops that
item and is reported; a problem in a top-level field drops the whole record.
"""
from __future__ import annotations

import datetime as dt

from app.xroad import envelope as env
from app.xroad.client import XRoadClient
from app.xroad.records import RecordReader
from app.xroad.types import (
    AwardingBodyInfo,
    AwardingRightInfo,
    Batch,
    CertificateList,
    CertificateSubmission,
    CommitteeInfo,
    CommitteeMemberInfo,
    ExamLanguage,
    RecordProblem,
    RegisteredCertificate,
    RegisterItem,
    Standard,
    StandardCompetence,
)

NAMESPACE = "http://producers.kutseregister.xtee.riik.ee/producer/kutseregister"
CHANGED_STANDARDS = "muutunudKutsestandardid"
AWARDING_BODIES = "kutseAndjaInfo"
ADD_CERTIFICATE = "kutsetunnistuseLisamine"
BODY_CERTIFICATES = "kutseAndjaTunnistused"
DUPLICATE = "kutsetunnistuseDuplikaat"
REVOKE = "kutsetunnistuseKehtetuks"

CERTIFICATE_TYPES = {"1": "kutsetunnistus", "2": "osakutsetunnistus", "3": "esmane kutse"}
COMMITTEE_ROLES = {"1": "esimees", "2": "aseesimees", "3": "liige"}
DUPLICATE_REASONS = {"1": "originaal on kadunud", "2": "originaal on kasutamiskõlbmatu",
                     "3": "kutse andja viga andmetes"}
# [assumed] ids of eksamikeeled/keel and kutseeksamikeel, by the ISO 639-1 code stored here.
EXAM_LANGUAGE_IDS = {"et": "1", "ru": "2", "en": "3"}
REFERENCE_MAX = 64
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

# CertificateSubmission attribute -> wire element, in the order of the request.
SUBMISSION_FIELDS = {
    "awarding_body": "asutus", "holder_name": "nimi", "isikukood": "isikukood", "cert_type": "tyyp",
    "standard_register_id": "kutsestandard", "specialisation_id": "spetsialiseerumine",
    "partial_qualification_id": "osakutse", "competence_ids": "kompetentsid",
    "extra_field": "lisavali", "educational_qualification": "hariduslikkval",
    "exam_language_id": "kutseeksamikeel", "issue_date": "valjastamisekpv",
    "valid_from": "kehtivusealgus", "valid_to": "kehtivuselopp", "signer_register_id": "allkirjastaja",
    "name_hidden": "nimipeidetud", "birth_date_hidden": "synniaegpeidetud",
    "certificate_hidden": "tunnistuspeidetud", "reference": "taotluseViide",
}


def _items(parent: env.Element, list_name: str, item_name: str, r: RecordReader) -> tuple[RegisterItem, ...]:
    items = []
    for n, el in enumerate(env.path_children(parent, list_name, item_name), 1):
        sub = RecordReader(env.leaf_map(el), f"{list_name}/{item_name}[{n}]/")
        register_id = sub.int("id", required=True)
        name = sub.text("nimetus", required=True)
        if sub.errors:
            r.errors += sub.errors
        else:
            items.append(RegisterItem(register_id, name))
    return tuple(items)


def read_standard(el: env.Element) -> tuple[Standard | None, list[tuple[str, str]], RecordReader]:
    """A standard version, or None; also the problems of dropped nested items."""
    r = RecordReader(env.leaf_map(el))
    register_id = r.int("id", required=True, low=1)
    group = r.int("grupp")
    version = r.int("versioon")
    name = r.text("nimetus", required=True, max_len=255)
    name_en = r.text("nimetusEn", max_len=255)
    level = r.int("ekrtase", required=True, low=1, high=8)
    valid_from = r.date("kehtivusealgus", required=True)
    valid_to = r.date("kehtivuselopp")
    if valid_from and valid_to and valid_to < valid_from:
        r.problem("kehtivuselopp", "kehtivuse lõpp on enne algust")
    field = r.text("valdkond", max_len=120)
    occupation = r.text("kutseala", max_len=120)
    top_errors = len(r.errors)
    partials = _items(el, "osakutsed", "osakutse", r)
    specs = _items(el, "spetsialiseerumised", "spetsialiseerumine", r)
    competences = []
    for n, c in enumerate(env.path_children(el, "kompetentsid", "kompetents"), 1):
        sub = RecordReader(env.leaf_map(c), f"kompetentsid/kompetents[{n}]/")
        cid = sub.int("id", required=True)
        cname = sub.text("nimetus", required=True, max_len=500)
        mandatory = sub.bool("kohustuslik", default=True)
        if sub.errors:
            r.errors += sub.errors
        else:
            competences.append(StandardCompetence(cid, cname, bool(mandatory)))
    nested_errors = r.errors[top_errors:]
    if top_errors:
        return None, nested_errors, r
    return Standard(register_id, group, version, name, name_en, level, valid_from, valid_to, field,
                    occupation, partials, specs, tuple(competences)), nested_errors, r


def read_awarding_body(el: env.Element) -> tuple[AwardingBodyInfo | None, RecordReader]:
    r = RecordReader(env.leaf_map(el))
    code = r.registrikood("registrikood", required=True)
    name = r.text("nimetus", required=True, max_len=255)
    if r.errors:
        return None, r
    rights = []
    for n, o in enumerate(env.path_children(el, "oigused", "oigus"), 1):
        sub = RecordReader(env.leaf_map(o), f"oigused/oigus[{n}]/")
        standard = sub.int("kutsestandard", required=True)
        start = sub.date("kehtivAlates", required=True)
        end = sub.date("kehtivKuni")
        if sub.errors:
            r.errors += sub.errors
        else:
            rights.append(AwardingRightInfo(standard, start, end))
    committees = []
    for n, k in enumerate(env.path_children(el, "kutsekomisjonid", "kutsekomisjon"), 1):
        members = []
        for m, liige in enumerate(env.path_children(k, "liikmed", "liige"), 1):
            sub = RecordReader(env.leaf_map(liige), f"kutsekomisjonid/kutsekomisjon[{n}]/liikmed/liige[{m}]/")
            member_id = sub.int("id", required=True)
            isikukood = sub.isikukood("isikukood", required=True)
            member_name = sub.text("nimi", required=True, max_len=255)
            sub.choice("roll", COMMITTEE_ROLES, required=True)
            if sub.errors:
                r.errors += sub.errors
            else:
                members.append(CommitteeMemberInfo(member_id, isikukood, member_name, sub.values["roll"]))
        committees.append(CommitteeInfo(env.child_text(k, "nimetus") or f"{name} kutsekomisjon", tuple(members)))
    languages = tuple(
        ExamLanguage(lid, env.child_text(k, "nimetus") or lid)
        for k in env.path_children(el, "eksamikeeled", "keel")
        if (lid := env.child_text(k, "id")) is not None
    )
    return AwardingBodyInfo(code, name, tuple(rights), tuple(committees), languages), r


def read_certificate(el: env.Element) -> tuple[RegisteredCertificate | None, RecordReader]:
    r = RecordReader(env.leaf_map(el))
    number = r.text("registrinumber", required=True)
    cert = RegisteredCertificate(
        registration_number=number or "",
        holder_name=r.text("nimi"),
        isikukood=r.text("isikukood"),
        cert_type=r.text("tyyp"),
        standard_name=r.text("standard"),
        ekr_level=r.int("ekrtase"),
        issue_date=r.date("valjaantud"),
        valid_from=r.date("kehtibalates"),
        valid_to=r.date("kehtibkuni"),
        duplicate=bool(r.bool("duplikaat", default=False)),
        revoked=bool(r.bool("kehtetu", default=False)),
        standard_register_id=r.int("kutsestandardId"),
        reference=r.text("taotluseViide"),
    )
    # Reconciliation must see every registered number: only a missing number drops the entry;
    # a bad optional field is reported and left empty.
    return (cert if number else None), r


def submission_fields(sub: CertificateSubmission) -> list[tuple[str, object]]:
    """The request children of ``kutsetunnistuseLisamine`` for a submission."""
    if not sub.reference or len(sub.reference) > REFERENCE_MAX:
        raise ValueError(f"taotluseViide must be 1–{REFERENCE_MAX} characters")
    fields: list[tuple[str, object]] = []
    for attr, element in SUBMISSION_FIELDS.items():
        value = getattr(sub, attr)
        if attr == "competence_ids":
            value = [("kompetents", c) for c in value] or None
        fields.append((element, value))
    return fields


class KutseregisterClient(XRoadClient):
    """Kutseregister over X-Road. Use one per job: ``with KutseregisterClient.from_config() as kr:``."""

    register_name = "Kutseregister"
    namespace = NAMESPACE
    url_setting = "KUTSEREGISTER_XROAD_URL"
    service_setting = "KUTSEREGISTER_XROAD_SERVICE"

    def muutunud_kutsestandardid(self, alates: dt.datetime | dt.date | None = None) -> Batch[Standard]:
        """Standard versions changed since ``alates`` (inclusive); None means a full load."""
        if alates is None:
            alates = EPOCH
        elif not isinstance(alates, dt.datetime):
            alates = dt.datetime.combine(alates, dt.time(), tzinfo=dt.UTC)
        message = self.call(CHANGED_STANDARDS, [("alates", alates)])
        batch: Batch[Standard] = Batch()
        for n, el in enumerate(env.path_children(message.wrapper, "kutsestandardid", "kutsestandard"), 1):
            standard, nested, reader = read_standard(el)
            record = f"kutsestandard {reader.values.get('id') or n}"
            if standard is None:
                batch.problems += reader.to_problems(record)
            else:
                batch.items.append(standard)
                batch.problems += [RecordProblem(record, f, why, reader.values) for f, why in nested]
        return batch

    def kutse_andja_info(self, asutus: str | None = None) -> Batch[AwardingBodyInfo]:
        """Awarding bodies (all, or the one with registrikood ``asutus``)."""
        message = self.call(AWARDING_BODIES, [("asutus", asutus)])
        batch: Batch[AwardingBodyInfo] = Batch()
        for n, el in enumerate(env.path_children(message.wrapper, "kutseAndjad", "kutseAndja"), 1):
            body, reader = read_awarding_body(el)
            problems = reader.to_problems(f"kutse andja {reader.values.get('registrikood') or n}")
            if body is not None:
                batch.items.append(body)
            batch.problems += problems
        return batch

    def kutsetunnistuse_lisamine(self, submission: CertificateSubmission) -> str:
        """Enter a certificate; returns its registration number (a string).

        Safe to repeat: the register is idempotent on (asutus, taotluseViide), so a retry after a
        lost reply returns the number already given. Register refusals raise BusinessError.
        """
        message = self.call(ADD_CERTIFICATE, submission_fields(submission), require=("registrinumber",))
        return env.child_text(message.wrapper, "registrinumber")

    def kutse_andja_tunnistused(self, asutus: str, alates: dt.date | None = None,
                                kuni: dt.date | None = None) -> CertificateList:
        """Certificates of one awarding body issued in [alates, kuni] (for reconciliation)."""
        message = self.call(BODY_CERTIFICATES, [("asutus", asutus), ("valjastatudalgus", alates),
                                                ("valjastatudlopp", kuni)])
        result = CertificateList()
        total = env.child_text(message.wrapper, "kirjeid")
        entries = env.path_children(message.wrapper, "kutsetunnistused", "kutsetunnistus")
        try:
            result.total = env.parse_int(total) if total is not None else len(entries)
        except ValueError:
            result.total = len(entries)
        for n, el in enumerate(entries, 1):
            cert, reader = read_certificate(el)
            result.problems += reader.to_problems(f"kutsetunnistus {reader.values.get('registrinumber') or n}")
            if cert is not None:
                result.items.append(cert)
        return result

    def kutsetunnistuse_duplikaat(self, asutus: str, registrinumber: str, tyyp: str, pohjus: str, *,
                                  taotluse_viide: str, kommentaar: str | None = None) -> str:
        """Order a duplicate; returns the duplicate's registration number. ``taotluse_viide`` is
        this duplicate request's stable reference (the register is idempotent on it)."""
        if not taotluse_viide or len(taotluse_viide) > REFERENCE_MAX:
            raise ValueError(f"taotluse_viide must be 1–{REFERENCE_MAX} characters")
        message = self.call(DUPLICATE, [
            ("asutus", asutus), ("registrinumber", registrinumber), ("tyyp", tyyp), ("pohjus", pohjus),
            ("kommentaar", kommentaar), ("taotluseViide", taotluse_viide),
        ], require=("registrinumber",))
        return env.child_text(message.wrapper, "registrinumber")

    def kutsetunnistuse_kehtetuks(self, asutus: str, registrinumber: str, pohjus: str,
                                  otsuse_kp: dt.date) -> None:
        """Revoke a certificate. Revoking a revoked certificate again succeeds."""
        self.call(REVOKE, [("asutus", asutus), ("registrinumber", registrinumber), ("pohjus", pohjus),
                           ("otsuseKp", otsuse_kp)])
