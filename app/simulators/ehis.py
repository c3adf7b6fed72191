"""EHIS simulator: ``oppeasutused``, ``oppekavad`` and ``kutseoppeLopetajad`` (contract §3)."""
from __future__ import annotations

from typing import Any

from lxml import etree

from app.simulators.base import INVALID, OUT_OF_RANGE, UNKNOWN, FaultConfig, Request, SoapSimulator
from app.simulators.data import GRADUATE_FIELDS, SimData
from app.xroad import ehis as adapter


class EhisSimulator(SoapSimulator):
    name = "EHIS"
    namespace = adapter.NAMESPACE
    default_service = "EE/GOV/70000740/ehis"
    prefix = "ehis"

    def __init__(self, data: SimData | None = None, faults: FaultConfig | None = None, *,
                 quirks: bool = False, service: str | None = None, revision: int = 0):
        super().__init__(data, faults, quirks=quirks, service=service)
        self.revision = revision  # > 0: later calls return changed statuses and surnames
        self.handlers = {
            adapter.SCHOOLS: self.oppeasutused,
            adapter.CURRICULA: self.oppekavad,
            adapter.GRADUATES: self.kutseoppe_lopetajad,
        }

    def state(self) -> dict[str, Any]:
        return {**super().state(), "revision": self.revision}

    def update(self, values: dict[str, Any]) -> None:
        if "revision" in values:
            self.revision = int(values.pop("revision"))
        super().update(values)

    def _school(self, req: Request) -> int | None:
        kool_id = req.int("koolId")
        if kool_id is not None and kool_id not in self.data.schools_by_id:
            req.errors.add("koolId", UNKNOWN, f"Õppeasutust koolId={kool_id} ei leitud")
        return kool_id

    def oppeasutused(self, req: Request, out: etree._Element) -> None:
        kool_id = self._school(req)
        req.errors.raise_if_any()
        parent = etree.SubElement(out, "oppeasutused")
        sub = etree.SubElement
        for s in self.data.schools:
            if kool_id is not None and s.kool_id != kool_id:
                continue
            el = sub(parent, "oppeasutus")
            sub(el, "koolId").text = str(s.kool_id)
            sub(el, "registrikood").text = s.registrikood
            sub(el, "nimetus").text = self.text(s.name)
            if s.name_en:
                sub(el, "nimetusEn").text = s.name_en
            sub(el, "staatus").text = s.status
            if self.quirks:
                sub(el, "aadress").text = "Eesti"

    def oppekavad(self, req: Request, out: etree._Element) -> None:
        kool_id = self._school(req)
        since = req.datetime("muutunudAlates")
        req.errors.raise_if_any()
        parent = etree.SubElement(out, "oppekavad")
        sub = etree.SubElement
        for c in self.data.curricula:
            if (kool_id is not None and c.kool_id != kool_id) or (since is not None and c.changed_at < since):
                continue
            el = sub(parent, "oppekava")
            sub(el, "oppekavaKood").text = str(c.code)
            sub(el, "koolId").text = str(c.kool_id)
            sub(el, "nimetus").text = self.text(c.name)
            if c.name_en:
                sub(el, "nimetusEn").text = c.name_en
            sub(el, "oppeaste").text = str(c.level)
            sub(el, "staatus").text = c.status
            standards = sub(el, "kutsestandardid")
            if c.no_standard:
                sub(standards, "puudubKehtivKutsestandard").text = "1"
            for standard_id, specs, partials in c.links:
                link = sub(standards, "kutsestandard")
                sub(link, "standardReaId").text = str(standard_id)
                for list_name, ids in (("spetsialiseerumised", specs), ("osakutsed", partials)):
                    if ids:
                        holder = sub(link, list_name)
                        for rid in ids:
                            sub(holder, "reaId").text = str(rid)

    def kutseoppe_lopetajad(self, req: Request, out: etree._Element) -> None:
        code = req.int("oppekavaKood", required=True)
        if code is not None and code not in self.data.curricula_by_code:
            req.errors.add("oppekavaKood", UNKNOWN, f"Õppekava {code} ei leitud")
        alates = req.date("lopetamineAlates")
        kuni = req.date("lopetamineKuni")
        if alates and kuni and kuni < alates:
            req.errors.add("lopetamineKuni", INVALID, "lopetamineKuni on varasem kui lopetamineAlates")
        page = req.int("leht")
        size = req.int("lehePikkus")
        page = 1 if page is None and "leht" not in req.values else page
        size = adapter.DEFAULT_PAGE_SIZE if size is None and "lehePikkus" not in req.values else size
        if page is not None and page < 1:
            req.errors.add("leht", OUT_OF_RANGE, f"leht peab olema vähemalt 1, saadi {page}")
        if size is not None and not 1 <= size <= adapter.MAX_PAGE_SIZE:
            req.errors.add("lehePikkus", OUT_OF_RANGE,
                           f"lehePikkus peab olema vahemikus 1–{adapter.MAX_PAGE_SIZE}, saadi {size}")
        req.errors.raise_if_any()
        rows = self.data.graduates_in_window(code, alates, kuni, self.revision)
        sub = etree.SubElement
        sub(out, "kirjeteArv").text = str(len(rows))
        sub(out, "leht").text = str(page)
        sub(out, "lehePikkus").text = str(size)
        parent = sub(out, "lopetajad")
        make = parent.makeelement  # makeelement + extend: half the time of SubElement per field
        quirks = self.quirks
        names = ("eesnimi", "perenimi")
        for _, values in rows[(page - 1) * size: page * size]:
            record = make("lopetaja")
            parent.append(record)
            fields = []
            for name, value in zip(GRADUATE_FIELDS, values, strict=True):
                if value is not None:
                    field = make(name)
                    field.text = etree.CDATA(value) if quirks and name in names else value
                    fields.append(field)
            record.extend(fields)
            if quirks:
                record.append(etree.Comment(" simulaator "))
                sub(record, "muudetud").text = "2025-08-01T10:00:00+03:00"
