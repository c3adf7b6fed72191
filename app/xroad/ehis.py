"""EHIS adapter: service identities, wrapper names and field mappings of the EHIS services
(``contracts/xroad.md`` §3), and the client that speaks them.

Everything register-specific about EHIS lives here, so a real schema replaces this module only.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from app.xroad import envelope as env
from app.xroad.client import XRoadClient
from app.xroad.codes import isikukood_birth_date, isikukood_problem
from app.xroad.errors import PageError, TransportError
from app.xroad.records import RecordReader
from app.xroad.types import (
    Batch,
    Curriculum,
    CurriculumLink,
    Graduate,
    GraduatePage,
    GraduateRecord,
    RecordProblem,
    School,
)

NAMESPACE = "http://producers.ehis.xtee.riik.ee/producer/ehis"
SCHOOLS = "oppeasutused"
CURRICULA = "oppekavad"
GRADUATES = "kutseoppeLopetajad"

DEFAULT_PAGE_SIZE = 500
MAX_PAGE_SIZE = 1000

SCHOOL_STATUS = {"avatud": "open", "suletud": "closed"}
CURRICULUM_STATUS = {"kehtiv": "valid", "suletud": "closed"}
LEVEL_CODES = {421: 2, 431: 3, 441: 4, 442: 4, 443: 4, 452: 5, 453: 5}
STUDY_FORMS = frozenset({"statsionaarne", "mittestatsionaarne", "toopohine"})
STUDENT_STATUSES = frozenset({"oppimas", "lopetanud", "valja_arvatud", "akadeemilisel_puhkusel"})
NAME_MAX = 255

# Wire element -> Graduate attribute (documentation of the mapping; read_graduate applies it).
GRADUATE_FIELDS = {
    "isikukood": "isikukood", "synniaeg": "birth_date", "eesnimi": "first_name",
    "perenimi": "last_name", "koolId": "school_ehis_id", "oppekavaKood": "curriculum_code",
    "oppekeel": "study_language", "oppevorm": "study_form", "staatus": "status",
    "eeldatavLopetamineKp": "expected_graduation", "lopetamiseKp": "graduation_date",
}


# --------------------------------------------------------------------------- record readers

def read_school(values: dict[str, str | None]) -> tuple[School | None, RecordReader]:
    r = RecordReader(values)
    kool_id = r.int("koolId", required=True, low=1)
    registrikood = r.registrikood("registrikood", required=True)
    name = r.text("nimetus", required=True, max_len=NAME_MAX)
    name_en = r.text("nimetusEn", max_len=NAME_MAX)
    status = r.choice("staatus", SCHOOL_STATUS, required=True)
    if r.errors:
        return None, r
    return School(kool_id, registrikood, name, name_en, status), r


def _ids(el: env.Element | None, list_name: str, r: RecordReader, where: str) -> tuple[int, ...]:
    ids = []
    for n, id_el in enumerate(env.path_children(el, list_name, "reaId"), 1):
        value = env.text_of(id_el)
        try:
            ids.append(env.parse_int(value or ""))
        except ValueError:
            r.problem(f"{where}/{list_name}/reaId[{n}]", f"peab olema täisarv, saadi {value!r}")
    return tuple(ids)


def read_curriculum(el: env.Element) -> tuple[Curriculum | None, RecordReader]:
    r = RecordReader(env.leaf_map(el))
    code = r.int("oppekavaKood", required=True, low=1, high=99_999_999)
    kool_id = r.int("koolId", required=True, low=1)
    name = r.text("nimetus", required=True, max_len=NAME_MAX)
    name_en = r.text("nimetusEn", max_len=NAME_MAX)
    level = r.int("oppeaste", required=True)
    if level is not None and level not in LEVEL_CODES:
        r.problem("oppeaste", f"tundmatu õppeaste {level} (lubatud: {', '.join(map(str, LEVEL_CODES))})")
    status = r.choice("staatus", CURRICULUM_STATUS, required=True)
    standards_el = env.child(el, "kutsestandardid")
    no_standard = False
    links: list[CurriculumLink] = []
    if standards_el is not None:
        flag = env.child_text(standards_el, "puudubKehtivKutsestandard")
        if flag is not None:
            try:
                no_standard = env.parse_bool(flag)
            except ValueError as exc:
                r.problem("kutsestandardid/puudubKehtivKutsestandard", str(exc))
        for n, link_el in enumerate(env.iter_elements(standards_el, "kutsestandard"), 1):
            where = f"kutsestandardid/kutsestandard[{n}]"
            value = env.child_text(link_el, "standardReaId")
            try:
                standard_id = env.parse_int(value) if value is not None else None
            except ValueError:
                standard_id = None
            if standard_id is None:
                r.problem(f"{where}/standardReaId", "puudub" if value is None else f"peab olema täisarv, saadi {value!r}")
                continue
            links.append(CurriculumLink(standard_id, _ids(link_el, "spetsialiseerumised", r, where),
                                        _ids(link_el, "osakutsed", r, where)))
    if r.errors:
        return None, r
    return Curriculum(code, kool_id, name, name_en, level, LEVEL_CODES[level], status, no_standard, tuple(links)), r


def _plain_date(text: str | None) -> dt.date | None:
    if text is None or len(text) != 10 or text[4] != "-" or text[7] != "-" or not text.isascii():
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _plain_id(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() and text.isascii() and text[0] != "0" else None


def _fast_graduate(values: dict[str, str | None], curriculum_code: int) -> Graduate | None:
    """The common case of a clean record, without collecting problems. None means "look closer":
    :func:`read_graduate` then applies the full rules (it accepts everything this accepts)."""
    isikukood = values.get("isikukood")
    birth_text = values.get("synniaeg")
    birth = _plain_date(birth_text)
    if birth_text is not None and birth is None:
        return None
    if isikukood is not None:
        if isikukood_problem(isikukood) or (birth is not None and isikukood_birth_date(isikukood) != birth):
            return None
    elif birth is None:
        return None
    first, last = values.get("eesnimi"), values.get("perenimi")
    if not first or not last or len(first) > NAME_MAX or len(last) > NAME_MAX:
        return None
    school, code = _plain_id(values.get("koolId")), _plain_id(values.get("oppekavaKood"))
    if school is None or code != curriculum_code:
        return None
    language, form, status = values.get("oppekeel"), values.get("oppevorm"), values.get("staatus")
    if language is not None and not (len(language) == 2 and language.isascii() and language.isalpha()):
        return None
    if (form is not None and form not in STUDY_FORMS) or status not in STUDENT_STATUSES:
        return None
    expected = _plain_date(values.get("eeldatavLopetamineKp"))
    graduated_text = values.get("lopetamiseKp")
    graduated = _plain_date(graduated_text)
    if expected is None or (graduated_text is not None and graduated is None):
        return None
    return Graduate(isikukood, birth, first, last, school, code, language.lower() if language else None,
                    form, status, expected, graduated)


def read_graduate(values: dict[str, str | None], curriculum_code: int) -> tuple[Graduate | None, RecordReader]:
    """One ``lopetaja``; every bad field is recorded, none raises."""
    graduate = _fast_graduate(values, curriculum_code)
    if graduate is not None:
        return graduate, RecordReader(values)
    r = RecordReader(values)
    isikukood = r.isikukood("isikukood")
    birth_date = r.date("synniaeg")
    if values.get("isikukood") is None and values.get("synniaeg") is None:
        r.problem("synniaeg", "isikukoodita õppuril peab olema sünniaeg")
    if isikukood and birth_date:
        if isikukood_birth_date(isikukood) != birth_date:
            r.problem("synniaeg", f"sünniaeg {birth_date.isoformat()} ei vasta isikukoodile")
    first_name = r.text("eesnimi", required=True, max_len=NAME_MAX)
    last_name = r.text("perenimi", required=True, max_len=NAME_MAX)
    school = r.int("koolId", required=True, low=1)
    code = r.int("oppekavaKood", required=True, low=1)
    if code is not None and code != curriculum_code:
        r.problem("oppekavaKood", f"kirje kuulub õppekavasse {code}, päriti õppekava {curriculum_code}")
    language = r.text("oppekeel")
    if language is not None and not (len(language) == 2 and language.isascii() and language.isalpha()):
        r.problem("oppekeel", f"keel peab olema kahetäheline ISO 639-1 kood, saadi {language!r}")
    form = r.choice("oppevorm", STUDY_FORMS)
    status = r.choice("staatus", STUDENT_STATUSES, required=True)
    expected = r.date("eeldatavLopetamineKp", required=True)
    graduated = r.date("lopetamiseKp")
    if r.errors:
        return None, r
    return Graduate(isikukood, birth_date, first_name, last_name, school, code,
                    language.lower() if language else None, form, status, expected, graduated), r


def _who(values: dict[str, str | None]) -> str:
    if values.get("isikukood"):
        return f"isikukood {values['isikukood']}"
    name = " ".join(v for v in (values.get("eesnimi"), values.get("perenimi")) if v)
    return name or "nimeta"


# --------------------------------------------------------------------------- the stream

class GraduateStream:
    """The graduates of one curriculum, fetched page by page until ``kirjeteArv`` are held.

    Iterate for :class:`GraduateRecord` items, or use :meth:`pages` to get them a page at a time
    (for batch upserts). ``total`` is known after the first page. A person who appears twice in
    the stream is reported as a problem on the second record. A page that fails after every
    retry raises :class:`PageError` (with the page and the number of records already delivered);
    with ``skip_failed_pages`` a failure after the first page is recorded in ``failed_pages``
    and the stream goes on with the next page.
    """

    def __init__(self, client: EhisClient, curriculum_code: int, alates: dt.date | None,
                 kuni: dt.date | None, page_size: int, skip_failed_pages: bool = False,
                 prefetch: bool = True):
        self.client = client
        self.curriculum_code = int(curriculum_code)
        self.alates = alates
        self.kuni = kuni
        self.page_size = page_size
        self.skip_failed_pages = skip_failed_pages
        self.prefetch = prefetch
        self.total: int | None = None
        self.received = 0
        self.rejected = 0
        self.failed_pages: list[PageError] = []
        self.warnings: list[str] = []

    def __iter__(self) -> Iterator[GraduateRecord]:
        for page in self.pages():
            yield from page.records

    def _fields(self, page: int) -> list[tuple[str, object]]:
        return [("oppekavaKood", self.curriculum_code), ("lopetamineAlates", self.alates),
                ("lopetamineKuni", self.kuni), ("leht", page), ("lehePikkus", self.page_size)]

    def pages(self) -> Iterator[GraduatePage]:
        """Pages of records; each iteration starts again from the first page."""
        self.total, self.received, self.rejected = None, 0, 0
        self.failed_pages, self.warnings = [], []
        code = self.curriculum_code
        seen: dict[tuple, int] = {}
        page = 1
        label = self.client.label(GRADUATES)
        # While one page is read, the next is already on its way (HTTP and XML parsing in a
        # worker thread; both release the GIL), so the register and the reader overlap.
        executor = ThreadPoolExecutor(1, thread_name_prefix="ehis-prefetch") if self.prefetch else None
        ahead: tuple[int, Future] | None = None
        try:
            while True:
                try:
                    if ahead is not None and ahead[0] == page:
                        message = ahead[1].result()
                    else:
                        message = self.client.call(GRADUATES, self._fields(page))
                    ahead = None
                except TransportError as exc:
                    ahead = None
                    error = PageError(exc.cause, service=exc.service, attempts=exc.attempts, fault=exc.fault,
                                      key=f"õppekava {code}", page=page, records_done=self.received)
                    if page == 1 or self.total is None or not self.skip_failed_pages:
                        raise error from exc
                    self.failed_pages.append(error)
                    self.received += self.page_size  # the records of that page are not known
                    if self.received >= self.total:
                        return
                    page += 1
                    continue
                wrapper = message.wrapper
                total_text = env.child_text(wrapper, "kirjeteArv")
                if total_text is not None:
                    try:
                        self.total = env.parse_int(total_text)
                    except ValueError:
                        self.warnings.append(f"{label}: kirjeteArv {total_text!r} ei ole arv")
                elements = env.path_children(wrapper, "lopetajad", "lopetaja")
                after = self.received + len(elements)
                more = bool(elements) and (after < self.total if self.total is not None
                                           else len(elements) >= self.page_size)
                if more and executor is not None:
                    ahead = (page + 1, executor.submit(self.client.call, GRADUATES, self._fields(page + 1)))
                records: list[GraduateRecord] = []
                for el in elements:
                    self.received += 1
                    position = self.received
                    values = env.leaf_map(el)
                    graduate, reader = read_graduate(values, code)
                    if graduate is not None:
                        key = graduate.person_key
                        first = seen.get(key)
                        if first is not None:
                            reader.problem("isikukood" if graduate.isikukood else "eesnimi",
                                           f"sama isik on selle õppekava vastuses mitmes kirjes (esimene: kirje {first})")
                            graduate = None
                        else:
                            seen[key] = position
                    problems: tuple[RecordProblem, ...] = ()
                    if graduate is None:
                        self.rejected += 1
                        problems = tuple(reader.to_problems(
                            f"õppekava {code} kirje {position} ({_who(values)})"))
                    records.append(GraduateRecord(page, position, graduate, problems))
                yield GraduatePage(page, self.total if self.total is not None else self.received, records)
                if not elements and self.total is not None and self.received < self.total:
                    self.warnings.append(
                        f"{label}: õppekava {code} – kirjeteArv {self.total}, saadi {self.received}")
                if not more:
                    return
                page += 1
        finally:
            if executor is not None:
                executor.shutdown(wait=False, cancel_futures=True)


# --------------------------------------------------------------------------- the client

class EhisClient(XRoadClient):
    """EHIS over X-Road. Use one per job: ``with EhisClient.from_config() as ehis: ...``."""

    register_name = "EHIS"
    namespace = NAMESPACE
    url_setting = "EHIS_XROAD_URL"
    service_setting = "EHIS_XROAD_SERVICE"

    def oppeasutused(self, kool_id: int | None = None) -> Batch[School]:
        """Vocational schools (all, or the one with ``kool_id``)."""
        message = self.call(SCHOOLS, [("koolId", kool_id)])
        batch: Batch[School] = Batch()
        for n, el in enumerate(env.path_children(message.wrapper, "oppeasutused", "oppeasutus"), 1):
            values = env.leaf_map(el)
            school, reader = read_school(values)
            if school is None:
                batch.problems += reader.to_problems(f"õppeasutus {values.get('koolId') or n}")
            else:
                batch.items.append(school)
        return batch

    def oppekavad(self, kool_id: int | None = None,
                  muutunud_alates: dt.datetime | dt.date | None = None) -> Batch[Curriculum]:
        """Curricula with their links to standard versions (all, one school's, or changed since)."""
        if isinstance(muutunud_alates, dt.date) and not isinstance(muutunud_alates, dt.datetime):
            muutunud_alates = dt.datetime.combine(muutunud_alates, dt.time(), tzinfo=dt.UTC)
        message = self.call(CURRICULA, [("koolId", kool_id), ("muutunudAlates", muutunud_alates)])
        batch: Batch[Curriculum] = Batch()
        for n, el in enumerate(env.path_children(message.wrapper, "oppekavad", "oppekava"), 1):
            curriculum, reader = read_curriculum(el)
            if curriculum is None:
                batch.problems += reader.to_problems(f"õppekava {reader.values.get('oppekavaKood') or n}")
            else:
                batch.items.append(curriculum)
        return batch

    def kutseoppe_lopetajad(self, oppekava_kood: int, alates: dt.date | None = None,
                            kuni: dt.date | None = None, page_size: int = DEFAULT_PAGE_SIZE, *,
                            skip_failed_pages: bool = False, prefetch: bool = True) -> GraduateStream:
        """Graduating students of one curriculum whose expected graduation date is in
        [alates, kuni]; a lazy stream of :class:`GraduateRecord` (see :class:`GraduateStream`)."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1–{MAX_PAGE_SIZE}")
        return GraduateStream(self, oppekava_kood, alates, kuni, page_size, skip_failed_pages, prefetch)
