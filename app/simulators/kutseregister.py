"""Kutseregister simulator (contract §4): standards, awarding bodies, and a certificate store
that validates submissions like the register, is idempotent on (asutus, taotluseViide), and
answers ``kutseAndjaTunnistused`` from what it registered. The store is in memory and
thread-safe."""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, replace
from typing import Any

from lxml import etree

from app.simulators.base import (
    CONFLICT,
    INVALID,
    MISSING,
    NO_RIGHT,
    NOT_MEMBER,
    REVOKED,
    UNKNOWN,
    FaultConfig,
    Refusal,
    Request,
    SoapSimulator,
)
from app.simulators.data import SimBody, SimData
from app.xroad import envelope as env
from app.xroad import kutseregister as adapter
from app.xroad.codes import isikukood_problem

FIRST_NUMBER = 212_001  # types 1 and 3 share this sequence
FIRST_PARTIAL_NUMBER = 1  # type 2: "O" + six digits


@dataclass
class StoredCertificate:
    registrinumber: str
    asutus: str
    nimi: str
    isikukood: str
    tyyp: str
    kutsestandard: int
    standard_name: str
    ekrtase: int
    valjaantud: dt.date
    kehtibalates: dt.date
    kehtibkuni: dt.date | None
    taotluse_viide: str | None
    spetsialiseerumine: int | None = None
    osakutse: int | None = None
    kompetentsid: tuple[int, ...] = ()
    allkirjastaja: int | None = None
    duplikaat: bool = False
    duplicate_of: str | None = None
    duplicate_reason: str | None = None
    kehtetu: bool = False
    kehtetu_pohjus: str | None = None
    otsuse_kp: dt.date | None = None


class KutseregisterSimulator(SoapSimulator):
    name = "Kutseregister"
    namespace = adapter.NAMESPACE
    default_service = "EE/COM/90006414/kutseregister"
    prefix = "kr"
    mutating = frozenset({adapter.ADD_CERTIFICATE, adapter.DUPLICATE, adapter.REVOKE})
    errors_in_success = mutating

    def __init__(self, data: SimData | None = None, faults: FaultConfig | None = None, *,
                 quirks: bool = False, service: str | None = None):
        super().__init__(data, faults, quirks=quirks, service=service)
        self.handlers = {
            adapter.CHANGED_STANDARDS: self.muutunud_kutsestandardid,
            adapter.AWARDING_BODIES: self.kutse_andja_info,
            adapter.ADD_CERTIFICATE: self.kutsetunnistuse_lisamine,
            adapter.BODY_CERTIFICATES: self.kutse_andja_tunnistused,
            adapter.DUPLICATE: self.kutsetunnistuse_duplikaat,
            adapter.REVOKE: self.kutsetunnistuse_kehtetuks,
        }
        self._store_lock = threading.RLock()
        self._certificates: dict[str, StoredCertificate] = {}
        self._by_reference: dict[tuple[str, str, str], str] = {}
        self._next = {"main": FIRST_NUMBER, "partial": FIRST_PARTIAL_NUMBER}
        self.today = dt.date.today

    # ------------------------------------------------------------------ inspection (tests)
    def certificates(self) -> list[StoredCertificate]:
        with self._store_lock:
            return list(self._certificates.values())

    def certificate(self, number: str) -> StoredCertificate | None:
        with self._store_lock:
            return self._certificates.get(number)

    def state(self) -> dict[str, Any]:
        return {**super().state(), "certificates": len(self._certificates)}

    def restore(self, certificates) -> int:
        """Take back what an earlier run of the simulator registered (e.g. the demo's database
        after a restart), so reconciliation agrees and new numbers do not repeat old ones."""
        n = 0
        with self._store_lock:
            for cert in certificates:
                self._certificates[cert.registrinumber] = cert
                if cert.taotluse_viide:
                    service = adapter.DUPLICATE if cert.duplikaat else adapter.ADD_CERTIFICATE
                    self._by_reference[(service, cert.asutus, cert.taotluse_viide)] = cert.registrinumber
                number = cert.registrinumber
                if number.startswith("O") and number[1:].isdigit():
                    self._next["partial"] = max(self._next["partial"], int(number[1:]) + 1)
                elif number.isdigit():
                    self._next["main"] = max(self._next["main"], int(number) + 1)
                n += 1
        return n

    def _next_number(self, tyyp: str) -> str:
        if tyyp == "2":
            number = f"O{self._next['partial']:06d}"
            self._next["partial"] += 1
        else:
            number = str(self._next["main"])
            self._next["main"] += 1
        return number

    # ------------------------------------------------------------------ read services
    def muutunud_kutsestandardid(self, req: Request, out: etree._Element) -> None:
        since = req.datetime("alates", required=True)
        req.errors.raise_if_any()
        sub = etree.SubElement
        parent = sub(out, "kutsestandardid")
        for s in self.data.standards_changed_since(since):
            el = sub(parent, "kutsestandard")
            sub(el, "id").text = str(s.register_id)
            sub(el, "grupp").text = str(s.group_id)
            sub(el, "versioon").text = str(s.version)
            sub(el, "nimetus").text = self.text(s.name)
            if s.name_en:
                sub(el, "nimetusEn").text = s.name_en
            sub(el, "ekrtase").text = str(s.ekr)
            sub(el, "kehtivusealgus").text = s.valid_from.isoformat()
            if s.valid_to:
                sub(el, "kehtivuselopp").text = s.valid_to.isoformat()
            sub(el, "valdkond").text = s.field
            sub(el, "kutseala").text = s.occupation
            sub(el, "muudetud").text = s.changed_at.isoformat()
            for list_name, item_name, items in (("osakutsed", "osakutse", s.partials),
                                                ("spetsialiseerumised", "spetsialiseerumine", s.specialisations)):
                holder = sub(el, list_name)
                for rid, name in items:
                    item = sub(holder, item_name)
                    sub(item, "id").text = str(rid)
                    sub(item, "nimetus").text = name
            holder = sub(el, "kompetentsid")
            for rid, name, mandatory in s.competences:
                item = sub(holder, "kompetents")
                sub(item, "id").text = str(rid)
                sub(item, "nimetus").text = self.text(name)
                sub(item, "kohustuslik").text = ("1" if mandatory else "0") if self.quirks else env.format_value(mandatory)

    def _body(self, req: Request, name: str = "asutus", *, required: bool = True) -> SimBody | None:
        code = req.text(name, required=required)
        if code is None:
            return None
        body = self.data.bodies_by_code.get(code)
        if body is None:
            req.errors.add(name, UNKNOWN, f"Kutse andjat registrikoodiga {code} ei leitud")
        return body

    def kutse_andja_info(self, req: Request, out: etree._Element) -> None:
        only = self._body(req, required=False)
        req.errors.raise_if_any()
        sub = etree.SubElement
        parent = sub(out, "kutseAndjad")
        for b in self.data.bodies:
            if only is not None and b is not only:
                continue
            el = sub(parent, "kutseAndja")
            sub(el, "registrikood").text = b.registrikood
            sub(el, "nimetus").text = self.text(b.name)
            rights = sub(el, "oigused")
            for r in b.rights:
                o = sub(rights, "oigus")
                sub(o, "kutsestandard").text = str(r.standard_id)
                sub(o, "kehtivAlates").text = r.valid_from.isoformat()
                if r.valid_to:
                    sub(o, "kehtivKuni").text = r.valid_to.isoformat()
            committees = sub(el, "kutsekomisjonid")
            for name, members in b.committees:
                k = sub(committees, "kutsekomisjon")
                sub(k, "nimetus").text = name
                liikmed = sub(k, "liikmed")
                for m in members:
                    liige = sub(liikmed, "liige")
                    sub(liige, "id").text = str(m.register_id)
                    sub(liige, "isikukood").text = m.isikukood
                    sub(liige, "nimi").text = self.text(m.name)
                    sub(liige, "roll").text = m.role
            languages = sub(el, "eksamikeeled")
            for lid, lname in b.languages:
                keel = sub(languages, "keel")
                sub(keel, "id").text = lid
                sub(keel, "nimetus").text = lname

    def kutse_andja_tunnistused(self, req: Request, out: etree._Element) -> None:
        body = self._body(req)
        start = req.date("valjastatudalgus")
        end = req.date("valjastatudlopp")
        req.errors.raise_if_any()
        with self._store_lock:
            found = [c for c in self._certificates.values()
                     if c.asutus == body.registrikood
                     and (start is None or c.valjaantud >= start) and (end is None or c.valjaantud <= end)]
        sub = etree.SubElement
        sub(out, "kirjeid").text = str(len(found))
        parent = sub(out, "kutsetunnistused")
        for c in found:
            el = sub(parent, "kutsetunnistus")
            sub(el, "registrinumber").text = c.registrinumber
            sub(el, "nimi").text = self.text(c.nimi)
            sub(el, "isikukood").text = c.isikukood
            sub(el, "tyyp").text = c.tyyp
            sub(el, "standard").text = c.standard_name
            sub(el, "ekrtase").text = str(c.ekrtase)
            sub(el, "valjaantud").text = c.valjaantud.isoformat()
            sub(el, "kehtibalates").text = c.kehtibalates.isoformat()
            if c.kehtibkuni:
                sub(el, "kehtibkuni").text = c.kehtibkuni.isoformat()
            sub(el, "duplikaat").text = env.format_value(c.duplikaat)
            sub(el, "kehtetu").text = env.format_value(c.kehtetu)
            sub(el, "kutsestandardId").text = str(c.kutsestandard)
            if c.taotluse_viide:
                sub(el, "taotluseViide").text = c.taotluse_viide

    # ------------------------------------------------------------------ changing services
    def kutsetunnistuse_lisamine(self, req: Request, out: etree._Element) -> None:
        errors = req.errors
        body = self._body(req)
        reference = req.text("taotluseViide", max_len=adapter.REFERENCE_MAX)
        with self._store_lock:
            if body is not None and reference:
                known = self._by_reference.get((adapter.ADD_CERTIFICATE, body.registrikood, reference))
                if known is not None:  # idempotent: the number already given, nothing new
                    etree.SubElement(out, "registrinumber").text = known
                    req.errors.items.clear()
                    return
            name = req.text("nimi", required=True, max_len=500)
            isikukood = req.text("isikukood", required=True)
            if isikukood is not None and (why := isikukood_problem(isikukood)):
                errors.add("isikukood", INVALID, f"Isikukood {isikukood} on vigane: {why}")
            tyyp = req.text("tyyp", required=True)
            if tyyp is not None and tyyp not in adapter.CERTIFICATE_TYPES:
                errors.add("tyyp", INVALID, f"Tundmatu tunnistuse tüüp {tyyp} (lubatud 1, 2, 3)")
            standard_id = req.int("kutsestandard", required=True)
            standard = self.data.standards_by_id.get(standard_id) if standard_id is not None else None
            if standard_id is not None and standard is None:
                errors.add("kutsestandard", UNKNOWN, f"Kutsestandardit {standard_id} ei leitud")
            issued = req.date("valjastamisekpv", required=True)
            valid_from = req.date("kehtivusealgus", required=True)
            valid_to = req.date("kehtivuselopp")
            if valid_from and valid_to and valid_to < valid_from:
                errors.add("kehtivuselopp", INVALID, "Kehtivuse lõpp on varasem kui kehtivuse algus")
            if body is not None and standard is not None and issued is not None:
                if not any(r.standard_id == standard.register_id and r.valid_on(issued) for r in body.rights):
                    errors.add("kutsestandard", NO_RIGHT,
                               f"Kutse andjal {body.registrikood} puudub kehtiv kutse andmise õigus "
                               f"kutsestandardile {standard.register_id} seisuga {issued.isoformat()}")
            partial = req.int("osakutse")
            if tyyp == "2" and partial is None and "osakutse" not in req.values:
                errors.add("osakutse", MISSING, "Osakutsetunnistusel on osakutse kohustuslik")
            if partial is not None:
                if tyyp in ("1", "3"):
                    errors.add("osakutse", INVALID, "Osakutse on lubatud ainult osakutsetunnistusel (tyyp 2)")
                elif standard is not None and partial not in {pid for pid, _ in standard.partials}:
                    errors.add("osakutse", UNKNOWN, f"Osakutse {partial} ei kuulu kutsestandardisse {standard_id}")
            spec = req.int("spetsialiseerumine")
            if spec is not None and standard is not None and spec not in {sid for sid, _ in standard.specialisations}:
                errors.add("spetsialiseerumine", UNKNOWN,
                           f"Spetsialiseerumine {spec} ei kuulu kutsestandardisse {standard_id}")
            competences = []
            for n, el in enumerate(env.path_children(req.wrapper, "kompetentsid", "kompetents"), 1):
                text = env.text_of(el)
                try:
                    competences.append(env.parse_int(text or ""))
                except ValueError:
                    errors.add("kompetents", INVALID, f"kompetents nr {n} ({text!r}) ei ole täisarv")
            if standard is not None:
                known_ids = {cid for cid, _, _ in standard.competences}
                for cid in competences:
                    if cid not in known_ids:
                        errors.add("kompetents", UNKNOWN, f"Kompetents {cid} ei kuulu kutsestandardisse {standard_id}")
            language = req.text("kutseeksamikeel")
            if language is not None and body is not None and language not in {lid for lid, _ in body.languages}:
                errors.add("kutseeksamikeel", UNKNOWN, f"Kutse andja {body.registrikood} ei korralda eksameid keeles {language}")
            signer = req.int("allkirjastaja", required=True)
            if signer is not None and body is not None and signer not in body.member_ids:
                errors.add("allkirjastaja", NOT_MEMBER,
                           f"Allkirjastaja {signer} ei ole kutse andja {body.registrikood} kutsekomisjoni liige")
            for flag in ("nimipeidetud", "synniaegpeidetud", "tunnistuspeidetud"):
                req.bool(flag)
            errors.raise_if_any()
            number = self._next_number(tyyp)
            self._certificates[number] = StoredCertificate(
                number, body.registrikood, name, isikukood, tyyp, standard.register_id, standard.name,
                standard.ekr, issued, valid_from, valid_to, reference, spec, partial, tuple(competences), signer)
            if reference:
                self._by_reference[(adapter.ADD_CERTIFICATE, body.registrikood, reference)] = number
        etree.SubElement(out, "registrinumber").text = number

    def _own_certificate(self, req: Request, body: SimBody | None) -> StoredCertificate | None:
        number = req.text("registrinumber", required=True)
        if number is None or body is None:
            return None
        cert = self._certificates.get(number)
        if cert is None or cert.asutus != body.registrikood:
            req.errors.add("registrinumber", UNKNOWN,
                           f"Kutse andjal {body.registrikood} ei ole kutsetunnistust registrinumbriga {number}")
            return None
        return cert

    def kutsetunnistuse_duplikaat(self, req: Request, out: etree._Element) -> None:
        errors = req.errors
        body = self._body(req)
        reference = req.text("taotluseViide", max_len=adapter.REFERENCE_MAX)
        with self._store_lock:
            if body is not None and reference:
                known = self._by_reference.get((adapter.DUPLICATE, body.registrikood, reference))
                if known is not None:
                    etree.SubElement(out, "registrinumber").text = known
                    errors.items.clear()
                    return
            cert = self._own_certificate(req, body)
            tyyp = req.text("tyyp", required=True)
            if tyyp is not None and tyyp not in adapter.CERTIFICATE_TYPES:
                errors.add("tyyp", INVALID, f"Tundmatu tunnistuse tüüp {tyyp} (lubatud 1, 2, 3)")
            elif tyyp is not None and cert is not None and tyyp != cert.tyyp:
                errors.add("tyyp", CONFLICT, f"Kutsetunnistuse {cert.registrinumber} tüüp on {cert.tyyp}, mitte {tyyp}")
            reason = req.text("pohjus", required=True)
            if reason is not None and reason not in adapter.DUPLICATE_REASONS:
                errors.add("pohjus", INVALID, f"Tundmatu duplikaadi põhjus {reason} (lubatud 1, 2, 3)")
            req.text("kommentaar", max_len=2000)
            if cert is not None and cert.kehtetu:
                errors.add("registrinumber", REVOKED,
                           f"Kehtetuks tunnistatud kutsetunnistusest {cert.registrinumber} ei väljastata duplikaati")
            errors.raise_if_any()
            number = self._next_number(cert.tyyp)
            self._certificates[number] = replace(
                cert, registrinumber=number, valjaantud=self.today(), taotluse_viide=reference,
                duplikaat=True, duplicate_of=cert.registrinumber, duplicate_reason=reason)
            if reference:
                self._by_reference[(adapter.DUPLICATE, body.registrikood, reference)] = number
        etree.SubElement(out, "registrinumber").text = number

    def kutsetunnistuse_kehtetuks(self, req: Request, out: etree._Element) -> None:
        body = self._body(req)
        with self._store_lock:
            cert = self._own_certificate(req, body)
            reason = req.text("pohjus", required=True, max_len=2000)
            decided = req.date("otsuseKp", required=True)
            req.errors.raise_if_any()
            if cert.kehtetu:
                return  # revoking again succeeds and changes nothing
            for c in self._certificates.values():
                if c is cert or c.duplicate_of == cert.registrinumber:
                    c.kehtetu, c.kehtetu_pohjus, c.otsuse_kp = True, reason, decided


__all__ = ["KutseregisterSimulator", "Refusal", "StoredCertificate"]
