"""Deterministic world behind the EHIS and Kutseregister simulators.

``SimData(seed, scale)`` builds the master data at once (standards with versions, schools,
awarding bodies with rights and kutsekomisjonid, curricula with their links) and generates the
graduates of a curriculum only when asked, from ``(seed, curriculum, record number)`` alone, so
100,000 graduates cost little memory and any curriculum can be served first. The same seed and
scale always give the same data. Facts come from ``data/reference.md``; registry codes of
awarding bodies are generated with valid check digits and are illustrative.

Invariants the tests and jobs can rely on:

* at most one awarding body holds a valid right for a standard version on any day;
* Abiaednik, tase 2 (10491530) and Logistik, tase 5 (10632293) have no right holder;
  Pottsepp, tase 4 (10489967) is an expired version; Metsur, tase 4 has only an expired right;
  Kelner, tase 4's right ends on 2026-05-31; Kokk, tase 4's right changed holder;
* curricula 130219, 130220, 222502 and 222202 exist as in the reference;
* some curricula have ``puudubKehtivKutsestandard``, some link an expired version, some two
  standards; the same person sometimes studies in two curricula;
* personal codes are valid and unique per person (``bad_rate`` corrupts chosen records only).
"""
from __future__ import annotations

import bisect
import datetime as dt
import random
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from app.simulators import names as nm
from app.xroad.codes import make_isikukood, make_registrikood

# The "today" of the generated world: statuses and expired rights are relative to it.
SIM_TODAY = dt.date(2025, 9, 1)
UTC = dt.UTC

_M64 = 0xFFFFFFFFFFFFFFFF
_GOLDEN = 0x9E3779B97F4A7C15
_TWO64 = float(1 << 64)


def _mix64(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


class Rng:
    """A small keyed SplitMix64 generator: cheap to create per record, same keys → same numbers."""

    __slots__ = ("s",)

    def __init__(self, *keys: int):
        s = 0
        for k in keys:
            s = _mix64((s ^ (k & _M64)) + _GOLDEN & _M64)
        self.s = s

    def next(self) -> int:
        self.s = (self.s + _GOLDEN) & _M64
        return _mix64(self.s)

    def below(self, n: int) -> int:
        return self.next() % n

    def uniform(self) -> float:
        return self.next() / _TWO64

    def chance(self, p: float) -> bool:
        return self.next() < p * _TWO64

    def choice(self, seq):
        return seq[self.next() % len(seq)]


# --------------------------------------------------------------------------- reference data

FIELDS = {
    "T": "Teenindus",
    "E": "Arhitektuur, geomaatika, ehitus ja kinnisvara",
    "P": "Toiduainetööstus ja põllumajandus",
    "S": "Sotsiaalhoolekanne",
    "L": "Transport ja logistika",
    "M": "Tehnika, tootmine ja töötlemine",
    "A": "Äriteenindus ja muu äritegevus",
    "K": "Energeetika, mäe- ja keemiatööstus",
    "I": "Infotehnoloogia ja telekommunikatsioon",
    "F": "Metsandus",
}

# row id, name, EKR, field, English name, specialisations, partial qualifications, popularity
STANDARDS = (
    (10988847, "Külmamehaanik, tase 4", 4, "M", "Refrigeration Mechanic, level 4",
     ("HC-külmaainetega süsteemid", "HFO-külmaainetega süsteemid", "Ammoniaagi (R-717) süsteemid",
      "Süsihappegaasi (R-744) süsteemid"), (), 2),
    (10884560, "Juuksur, tase 4", 4, "T", "Hairdresser, level 4", (), ("Barber, tase 4",), 4),
    (11240731, "Võrguelektrik, tase 4", 4, "K", "Network Electrician, level 4", (), (), 2),
    (10781518, "IT-süsteemide nooremspetsialist, tase 4", 4, "I", "Junior IT Systems Specialist, level 4",
     (), ("Kasutajatoe tehnik, tase 4", "IT-haldustehnik, tase 4", "IT-tehnik, tase 4"), 6),
    (10489967, "Pottsepp, tase 4", 4, "E", "Stove Builder, level 4", (), ("Küttesüsteemi paigaldaja, tase 4",), 1),
    (10465773, "Kokk, tase 4", 4, "T", "Cook, level 4", (), (), 9),
    (10431606, "Abikokk, tase 3", 3, "T", "Assistant Cook, level 3", (), (), 3),
    (10536894, "Keevitaja, tase 3", 3, "M", "Welder, level 3", (), (), 3),
    (10536937, "Keevitaja, tase 4", 4, "M", "Welder, level 4", (), (), 3),
    (10456003, "Sisetööde elektrik, tase 4", 4, "K", "Indoor Electrician, level 4", (), (), 4),
    (10559015, "Hooldustöötaja, tase 4", 4, "S", "Care Worker, level 4", (), (), 7),
    (10535300, "Plaatija, tase 4", 4, "E", "Tiler, level 4", (), (), 5),
    (10535222, "Maaler, tase 4", 4, "E", "Painter, level 4", (), (), 3),
    (10535053, "Ehituspuusepp, tase 4", 4, "E", "Construction Carpenter, level 4", (), (), 4),
    (10596888, "Mootorsõidukitehnik, tase 4", 4, "L", "Motor Vehicle Technician, level 4", (), (), 5),
    (10468068, "Kondiiter, tase 4", 4, "P", "Confectioner, level 4", (), (), 7),
    (10467994, "Pagar, tase 4", 4, "P", "Baker, level 4", (), (), 3),
    (10449687, "Tisler, tase 4", 4, "M", "Joiner, level 4", (), (), 3),
    (10586768, "Kelner, tase 4", 4, "T", "Waiter, level 4", (), (), 3),
    (10545663, "Mehhatroonik, tase 4", 4, "M", "Mechatronics Technician, level 4", (), (), 2),
    (10414964, "Lapsehoidja, tase 4", 4, "S", "Childminder, level 4", (), (), 3),
    (10491975, "Müüja-klienditeenindaja, tase 4", 4, "A", "Sales Clerk, level 4", (), (), 4),
    (10432667, "Puhastusteenindaja, tase 3", 3, "T", "Cleaning Operative, level 3", (), (), 2),
    (10491530, "Abiaednik, tase 2", 2, "P", "Assistant Gardener, level 2", (), (), 1),
    (10508424, "Raietööline, tase 2", 2, "F", "Logging Worker, level 2", (), (), 1),
    (10454282, "Elektroonikaseadmete koostaja, tase 2", 2, "M", "Electronic Equipment Assembler, level 2", (), (), 1),
    (10466929, "Metsur, tase 4", 4, "F", "Forester, level 4", (), (), 2),
    (10431661, "Meisterkokk, tase 5", 5, "T", "Master Chef, level 5", (), (), 1),
    (10632293, "Logistik, tase 5", 5, "L", "Logistician, level 5", (), (), 2),
)
EXPIRED_STANDARD = 10489967
NO_RIGHT_STANDARDS = (10491530, 10632293)

COMPETENCES = {
    10465773: ("Toitlustuse planeerimine ja korraldamine", "Toitude ja jookide valmistamine",
               "Menüü koostamine ja kalkuleerimine", "Klienditeenindus toitlustuses"),
    10431606: ("Köögi ettevalmistustööd", "Lihtsamate toitude valmistamine", "Puhastustööd köögis"),
    10884560: ("Juuste lõikamine", "Juuste värvimine", "Soengute kujundamine", "Klienditeenindus ja nõustamine"),
    10781518: ("Arvutitöökohtade haldamine", "Kasutajatugi", "Võrguseadmete paigaldamine", "IT-süsteemide haldus"),
    10988847: ("Külmaseadmete paigaldamine", "Külmaseadmete hooldus ja remont", "Külmaainete käitlemine"),
    10559015: ("Kliendi igapäevaelu toetamine", "Isikuhooldus", "Koostöö ja suhtlemine kliendiga",
               "Esmaabi andmine"),
    10535300: ("Aluspindade ettevalmistamine", "Plaatimistööd", "Hüdroisolatsioonitööd"),
    10468068: ("Tainaste valmistamine", "Kondiitritoodete valmistamine", "Toodete kaunistamine"),
    10596888: ("Mootorsõidukite hooldus", "Mootorsõidukite diagnostika", "Elektrisüsteemide remont"),
    10466929: ("Metsauuenduse kavandamine", "Raietööde korraldamine", "Metsakasvatus"),
}
GENERIC_COMPETENCES = ("Töö planeerimine ja ettevalmistamine", "Kutsealased põhitööd",
                       "Töötervishoid ja tööohutus", "Klienditeenindus ja suhtlemine")
OPTIONAL_COMPETENCES = ("Juhendamine ja meeskonnatöö", "Kvaliteedi tagamine")

SCHOOLS = (
    (1041, "Ida-Virumaa Kutsehariduskeskus", "70007742"), (107, "Pärnumaa Kutsehariduskeskus", "70006369"),
    (1400, "Järvamaa Kutsehariduskeskus", "70008546"), (92, "Võrumaa Kutsehariduskeskus", "70005542"),
    (51, "Haapsalu Kutsehariduskeskus", "70003796"), (46, "Kuressaare Ametikool", "70003744"),
    (48, "Rakvere Ametikool", "70003840"), (32, "Tallinna Teeninduskool", "70004637"),
    (31, "Tallinna Ehituskool", "70003951"), (26, "Tallinna Transpordikool", "70004072"),
    (91, "Tallinna Tööstushariduskeskus", "70005559"), (826, "Tartu Kutsehariduskeskus", "75024308"),
    (1017, "Tallinna Kopli Ametikool", "75029429"), (20, "Räpina Aianduskool", "70002420"),
    (18, "Luua Metsanduskool", "70002443"), (13, "Olustvere Teenindus- ja Maamajanduskool", "70002555"),
    (81, "Kehtna Majandus- ja Tehnoloogiakool", "70000846"), (43, "Viljandi Kutseõppekeskus", "70005565"),
    (88, "Valgamaa Kutseõppekeskus", "70005571"), (22, "Hiiumaa Ametikool", "70002549"),
    (49, "Vana-Vigala Tehnika- ja Teeninduskool", "70004643"), (6, "Tallinna Majanduskool", "70003460"),
    (5631, "Eesti Merekool", "70009646"),
)
_SCHOOL_EN = (("Kutsehariduskeskus", "Vocational Education Centre"), ("Ametikool", "Vocational School"),
              ("Kutseõppekeskus", "Vocational Training Centre"))

# Real curricula: code, school, name, level, standard, partial qualification name
REAL_CURRICULA = (
    (130219, 1041, "Juuksur", 442, 10884560, None),
    (130220, 1041, "Juuksur", 441, 10884560, None),
    (222502, 91, "Barber", 443, 10884560, "Barber, tase 4"),
    (222202, 51, "IT-kasutajatoe tehnik", 442, 10781518, "Kasutajatoe tehnik, tase 4"),
)
TWO_STANDARD_PAIRS = ((10536894, 10536937), (10431606, 10465773), (10467994, 10468068))

# name, first digit of the registrikood, standards it holds rights for (current versions)
BODIES = (
    ("Eesti Peakokkade Ühendus", "8", (10465773, 10431606, 10431661)),
    ("Eesti Hotellide ja Restoranide Liit", "8", (10586768,)),
    ("Eesti Elektritööde Ettevõtjate Liit", "8", (10456003, 11240731)),
    ("Eesti Ehitusettevõtjate Liit", "8", (10535300, 10535222, 10535053)),
    ("Eesti Massööride Liit", "8", ()),
    ("Autokutseõppe Liit", "8", (10596888,)),
    ("Sisekaitseakadeemia", "7", ()),
    ("SA Raudteekutsed", "9", ()),
    ("Eesti Külmaliit", "8", (10988847,)),
    ("Eesti Turvaettevõtete Liit", "8", ()),
    ("Eesti Kosmeetikute Liit", "8", (10884560,)),
    ("Eesti Plastliit", "8", ()),
    # generated (illustrative)
    ("Eesti Infotehnoloogia Kutseühing", "8", (10781518,)),
    ("Eesti Keevitusühing", "8", (10536894, 10536937)),
    ("Eesti Hoolekandetöötajate Kutseliit", "8", (10559015, 10414964)),
    ("Eesti Pagarite ja Kondiitrite Liit", "8", (10467994, 10468068)),
    ("Eesti Puidutöötlejate Kutsekoda", "8", (10449687,)),
    ("SA Metsanduse Kutsekeskus", "9", (10466929, 10508424)),
    ("Eesti Kaubanduse ja Teeninduse Kutseliit", "8", (10491975, 10432667)),
    ("Eesti Tehnikatööstuse Kutseühing", "8", (10545663, 10454282)),
    ("Eesti Küttesüsteemide Kutseliit", "8", (10489967,)),
)
FORMER_KOKK_HOLDER = "Eesti Hotellide ja Restoranide Liit"
EXPIRED_RIGHT_STANDARD = 10466929  # Metsur: the only right has expired
KELNER = 10586768
KELNER_RIGHT_END = dt.date(2026, 5, 31)
LANGUAGES = (("1", "eesti"), ("2", "vene"), ("3", "inglise"))

GRADUATE_FIELDS = ("isikukood", "synniaeg", "eesnimi", "perenimi", "koolId", "oppekavaKood",
                   "oppekeel", "oppevorm", "staatus", "eeldatavLopetamineKp", "lopetamiseKp")
BAD_KINDS = ("isikukood_checksum", "missing_last_name", "impossible_date", "unknown_study_form",
             "no_code_no_birth_date", "birth_date_mismatch", "duplicate", "unknown_status")


# --------------------------------------------------------------------------- world objects

@dataclass
class SimStandard:
    register_id: int
    group_id: int
    version: int
    name: str
    name_en: str | None
    ekr: int
    field: str
    occupation: str
    valid_from: dt.date
    valid_to: dt.date | None
    changed_at: dt.datetime
    partials: list[tuple[int, str]] = field(default_factory=list)
    specialisations: list[tuple[int, str]] = field(default_factory=list)
    competences: list[tuple[int, str, bool]] = field(default_factory=list)

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass
class SimSchool:
    kool_id: int
    registrikood: str
    name: str
    name_en: str | None
    status: str = "avatud"


@dataclass
class SimCurriculum:
    code: int
    kool_id: int
    name: str
    name_en: str | None
    level: int
    status: str
    no_standard: bool
    links: list[tuple[int, list[int], list[int]]]
    changed_at: dt.datetime
    count: int = 0
    offset: int = 0


@dataclass
class SimRight:
    standard_id: int
    valid_from: dt.date
    valid_to: dt.date | None

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass
class SimMember:
    register_id: int
    isikukood: str
    name: str
    role: str


@dataclass
class SimBody:
    registrikood: str
    name: str
    rights: list[SimRight] = field(default_factory=list)
    committees: list[tuple[str, list[SimMember]]] = field(default_factory=list)
    languages: list[tuple[str, str]] = field(default_factory=list)

    @property
    def member_ids(self) -> set[int]:
        return {m.register_id for _, members in self.committees for m in members}


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _random_day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _moment(rng: random.Random, start: dt.date, end: dt.date) -> dt.datetime:
    day = _random_day(rng, start, end)
    return dt.datetime.combine(day, dt.time(rng.randrange(7, 18), rng.randrange(60)), tzinfo=UTC)


# People: a person's code is unique by construction. A cohort (young/older × sex) maps the
# person number through an affine bijection onto (birth day, serial) slots of that cohort.
_YOUNG = (dt.date(2001, 1, 1), dt.date(2008, 12, 31))
_OLDER = (dt.date(1966, 1, 1), dt.date(2000, 12, 31))
_MEMBERS = (dt.date(1955, 1, 1), dt.date(1990, 12, 31))


def _slot_date(cohort: tuple[dt.date, dt.date], slot: int) -> tuple[dt.date, int]:
    days = (cohort[1] - cohort[0]).days + 1
    slot %= days * 1000
    return cohort[0] + dt.timedelta(days=slot // 1000), slot % 1000


class SimData:
    """The generated world. ``scale`` is the number of graduate records over all curricula."""

    def __init__(self, seed: int = 1, scale: int = 10_000, *, curricula: int | None = None,
                 bad_rate: float = 0.0, cache_records: int = 400_000):
        self.seed = int(seed)
        self.scale = max(0, int(scale))
        self.bad_rate = float(bad_rate)
        self._cache: OrderedDict[tuple, list] = OrderedDict()
        self._cache_records = cache_records
        self._cached = 0
        self._lock = threading.Lock()
        rng = random.Random(self.seed)
        self._build_standards(rng)
        self._build_schools()
        self._build_bodies(rng)
        self._build_curricula(rng, curricula)

    # ------------------------------------------------------------------ master data
    def _build_standards(self, rng: random.Random) -> None:
        self.standards: list[SimStandard] = []
        used: set[int] = {s[0] for s in STANDARDS}
        counter = {"spec": 12_100_000, "partial": 12_200_000, "comp": 12_300_000}

        def next_id(kind: str) -> int:
            counter[kind] += rng.randrange(1, 40)
            return counter[kind]

        def parts(std: SimStandard, specs, partials, competences) -> None:
            std.specialisations = [(next_id("spec"), n) for n in specs]
            std.partials = [(next_id("partial"), n) for n in partials]
            mandatory = list(competences) + ["Kutset läbiv kompetents"]
            optional = [OPTIONAL_COMPETENCES[rng.randrange(2)]] if rng.random() < 0.5 else []
            std.competences = ([(next_id("comp"), n, True) for n in mandatory]
                               + [(next_id("comp"), n, False) for n in optional])

        for i, (rid, name, ekr, fld, name_en, specs, partials, _pop) in enumerate(STANDARDS):
            occupation = name.rsplit(", tase", 1)[0]
            competences = COMPETENCES.get(rid, GENERIC_COMPETENCES)
            version = rng.randrange(2, 9)
            if rid == EXPIRED_STANDARD:
                valid_from, valid_to = dt.date(2017, 11, 1), dt.date(2022, 10, 31)
            elif rid == EXPIRED_RIGHT_STANDARD:
                valid_from, valid_to = _random_day(rng, dt.date(2019, 1, 1), dt.date(2021, 6, 30)), None
            else:
                valid_from = _random_day(rng, dt.date(2019, 1, 1), dt.date(2024, 6, 30))
                valid_to = _add_years(valid_from, 5 + rng.randrange(3)) if rng.random() < 0.4 else None
            changed = dt.datetime.combine(valid_from - dt.timedelta(days=rng.randrange(10, 60)),
                                          dt.time(10, rng.randrange(60)), tzinfo=UTC)
            current = SimStandard(rid, 90_000 + i * 17, version, name, name_en if rng.random() < 0.8 else None,
                                  ekr, FIELDS[fld], occupation, valid_from, valid_to, changed)
            parts(current, specs, partials, competences)
            self.standards.append(current)
            if rid != EXPIRED_STANDARD and rng.random() < 0.45:
                old_id = rid - rng.randrange(30_000, 400_000)
                while old_id in used:
                    old_id -= 1
                used.add(old_id)
                old = SimStandard(old_id, current.group_id, version - 1, name, current.name_en, ekr,
                                  current.field, occupation, _add_years(valid_from, -5),
                                  valid_from - dt.timedelta(days=1), changed)
                parts(old, specs, partials, competences)
                self.standards.append(old)
        self.standards_by_id = {s.register_id: s for s in self.standards}
        self.current_standards = {s[0]: self.standards_by_id[s[0]] for s in STANDARDS}
        self.older_version = {s.group_id: s for s in self.standards if s.register_id not in self.current_standards}

    def _build_schools(self) -> None:
        self.schools = []
        for kool_id, name, code in SCHOOLS:
            name_en = None
            for et, en in _SCHOOL_EN:
                if name.endswith(et):
                    name_en = name[: -len(et)] + en
            self.schools.append(SimSchool(kool_id, code, name, name_en))
        self.schools_by_id = {s.kool_id: s for s in self.schools}

    def _build_bodies(self, rng: random.Random) -> None:
        self.bodies: list[SimBody] = []
        used_codes = {s.registrikood for s in self.schools}
        used_codes_people: set[str] = set()
        member_id = 40_000
        for name, first, held in BODIES:
            code = make_registrikood(first, rng.randrange(1_000_000))
            while code in used_codes:
                code = make_registrikood(first, rng.randrange(1_000_000))
            used_codes.add(code)
            body = SimBody(code, name)
            for rid in held:
                current = self.standards_by_id[rid]
                if rid == EXPIRED_STANDARD:
                    body.rights.append(SimRight(rid, current.valid_from, current.valid_to))
                    continue
                if rid == EXPIRED_RIGHT_STANDARD:
                    start = current.valid_from
                    body.rights.append(SimRight(rid, start, _add_years(start, 3) - dt.timedelta(days=1)))
                    continue
                start = current.valid_from if rid != 10465773 else _add_years(current.valid_from, 2)
                start = max(start, _random_day(rng, dt.date(2020, 6, 1), dt.date(2023, 12, 31))) \
                    if rid != 10465773 else start
                end = KELNER_RIGHT_END if rid == KELNER else _add_years(start, 5) - dt.timedelta(days=1)
                body.rights.append(SimRight(rid, start, end))
                old = self.older_version.get(current.group_id)
                if old is not None:
                    body.rights.append(SimRight(old.register_id, old.valid_from, old.valid_to))
            n_committees = 2 if len(held) >= 3 else 1
            for k in range(n_committees):
                members = []
                for m in range(rng.randrange(5, 9)):
                    member_id += rng.randrange(1, 30)
                    female = rng.random() < 0.45
                    while True:
                        birth = _random_day(rng, *_MEMBERS)
                        isikukood = make_isikukood(birth, female, rng.randrange(1000))
                        if isikukood not in used_codes_people:
                            used_codes_people.add(isikukood)
                            break
                    given = rng.choice(nm.ET_FEMALE if female else nm.ET_MALE)
                    members.append(SimMember(member_id, isikukood, f"{given} {rng.choice(nm.ET_SURNAMES)}",
                                             "1" if m == 0 else "2" if m == 1 else "3"))
                label = "kutsekomisjon" if n_committees == 1 else f"kutsekomisjon {k + 1}"
                body.committees.append((f"{name} {label}", members))
            body.languages = [LANGUAGES[0]]
            if rng.random() < 0.6:
                body.languages.append(LANGUAGES[1])
            if rng.random() < 0.25:
                body.languages.append(LANGUAGES[2])
            self.bodies.append(body)
        # Kokk, tase 4 changed holder: the former holder's right ended the day before.
        kokk = self.standards_by_id[10465773]
        current_holder = next(b for b in self.bodies if any(r.standard_id == 10465773 for r in b.rights))
        new_start = next(r.valid_from for r in current_holder.rights if r.standard_id == 10465773)
        former = next(b for b in self.bodies if b.name == FORMER_KOKK_HOLDER)
        former.rights.append(SimRight(10465773, kokk.valid_from, new_start - dt.timedelta(days=1)))
        self.bodies_by_code = {b.registrikood: b for b in self.bodies}

    def _build_curricula(self, rng: random.Random, count: int | None) -> None:
        n = count if count is not None else max(12, min(2000, round(self.scale / 300)))
        n = max(n, 1)
        self.curricula: list[SimCurriculum] = []
        used = {c[0] for c in REAL_CURRICULA}
        for code, kool_id, name, level, rid, partial in REAL_CURRICULA[:n]:
            std = self.standards_by_id[rid]
            partial_ids = [pid for pid, pname in std.partials if pname == partial]
            self.curricula.append(SimCurriculum(
                code, kool_id, name, None, level, "kehtiv", False, [(rid, [], partial_ids)],
                _moment(rng, dt.date(2020, 1, 1), dt.date(2025, 8, 31))))
        popular = [s[0] for s in STANDARDS]
        cum = []
        total = 0
        for s in STANDARDS:
            total += s[7]
            cum.append(total)
        school_ids = [s.kool_id for s in self.schools]
        for _ in range(n - len(self.curricula)):
            code = rng.randrange(100_000, 300_000)
            while code in used:
                code = rng.randrange(100_000, 300_000)
            used.add(code)
            rid = popular[bisect.bisect_right(cum, rng.random() * total)]
            std = self.standards_by_id[rid]
            roll = rng.random()
            no_standard = False
            links: list[tuple[int, list[int], list[int]]] = []
            if roll < 0.07:
                no_standard = True
            elif roll < 0.12 and std.group_id in self.older_version:
                links = [(self.older_version[std.group_id].register_id, [], [])]
            elif roll < 0.16:
                pair = TWO_STANDARD_PAIRS[rng.randrange(len(TWO_STANDARD_PAIRS))]
                links = [(r, [], []) for r in pair]
                std = self.standards_by_id[pair[1]]
            else:
                specs = [std.specialisations[rng.randrange(len(std.specialisations))][0]] \
                    if std.specialisations and rng.random() < 0.5 else []
                partials = [std.partials[rng.randrange(len(std.partials))][0]] \
                    if std.partials and rng.random() < 0.3 else []
                links = [(std.register_id, specs, partials)]
            level = {2: 421, 3: 431, 4: rng.choice((441, 442, 443)), 5: rng.choice((452, 453))}[std.ekr]
            suffix = " (jätkuõpe)" if level in (443, 453) and rng.random() < 0.5 else \
                " (töökohapõhine õpe)" if rng.random() < 0.15 else ""
            name_en = std.name_en.rsplit(", level", 1)[0] if std.name_en and rng.random() < 0.4 else None
            self.curricula.append(SimCurriculum(
                code, rng.choice(school_ids), std.occupation + suffix, name_en, level,
                "kehtiv" if rng.random() < 0.94 else "suletud", no_standard, links,
                _moment(rng, dt.date(2020, 1, 1), dt.date(2025, 8, 31))))
        # Graduate counts: random weights, exact total by largest remainders.
        weights = [rng.lognormvariate(0, 0.8) * (0.3 if c.status == "suletud" else 1) for c in self.curricula]
        wsum = sum(weights) or 1.0
        shares = [w * self.scale / wsum for w in weights]
        counts = [int(s) for s in shares]
        rest = self.scale - sum(counts)
        for i in sorted(range(len(shares)), key=lambda i: counts[i] - shares[i])[:rest]:
            counts[i] += 1
        offset = 0
        for c, k in zip(self.curricula, counts, strict=True):
            c.count, c.offset = k, offset
            offset += k
        self.curricula_by_code = {c.code: c for c in self.curricula}

    # ------------------------------------------------------------------ queries
    def holder(self, standard_id: int, day: dt.date) -> SimBody | None:
        """The awarding body holding a valid right for the standard version on ``day``."""
        for body in self.bodies:
            if any(r.standard_id == standard_id and r.valid_on(day) for r in body.rights):
                return body
        return None

    def standards_changed_since(self, moment: dt.datetime) -> list[SimStandard]:
        return [s for s in self.standards if s.changed_at >= moment]

    def new_standard_version(self, standard_id: int, at: dt.datetime, valid_from: dt.date) -> SimStandard:
        """Publish a new version of a standard's group (used by incremental-sync tests): a new row
        id in the same group; the old row gets ``kehtivuselopp`` and both get the change time."""
        old = self.standards_by_id[standard_id]
        new_id = max(self.standards_by_id) + 1
        new = SimStandard(new_id, old.group_id, old.version + 1, old.name, old.name_en, old.ekr,
                          old.field, old.occupation, valid_from, None, at,
                          [(pid + 500_000, n) for pid, n in old.partials],
                          [(sid + 500_000, n) for sid, n in old.specialisations],
                          [(cid + 500_000, n, m) for cid, n, m in old.competences])
        old.valid_to = valid_from - dt.timedelta(days=1)
        old.changed_at = at
        self.standards.append(new)
        self.standards_by_id[new_id] = new
        return new

    # ------------------------------------------------------------------ people and graduates
    def person(self, p: int) -> tuple[str | None, str, str, str, str]:
        """Person number ``p``: (isikukood or None, birth date, given names, surname, language).

        Derived from ``(seed, p)`` alone, so a person studying in two curricula is the same."""
        r = Rng(self.seed, 1, p)
        h = r.next()
        foreign = (h & 0xFFFF) < 1311  # 2 %
        female = ((h >> 16) & 0xFFFF) < 29491  # 45 %
        lang = "foreign" if foreign else ("ru" if ((h >> 32) & 0xFFFF) < 14418 else "et")  # 22 %
        cohort = _YOUNG if (h >> 48) < 51118 else _OLDER  # 78 % young
        birth, serial = _slot_date(cohort, p * 1_000_003 + (self.seed * 7919) % 1_000_000)
        h = r.next()
        if foreign:
            isikukood = None
            birth = cohort[0] + dt.timedelta(days=(h >> 40) % (cohort[1] - cohort[0]).days)
        else:
            isikukood = make_isikukood(birth, female, serial)
        if lang == "et":
            pool = nm.ET_FEMALE if female else nm.ET_MALE
            given = pool[h % len(pool)]
            roll = (h >> 12) % 100
            if roll < 5:
                hyphen = nm.ET_FEMALE_HYPHEN if female else nm.ET_MALE_HYPHEN
                given = hyphen[(h >> 20) % len(hyphen)]
            elif roll < 15:
                given += " " + pool[(h >> 20) % len(pool)]
            surname = nm.ET_SURNAMES[(h >> 28) % len(nm.ET_SURNAMES)]
            if (h >> 36) % 100 < 4:
                surname += "-" + nm.ET_SURNAMES[(h >> 44) % len(nm.ET_SURNAMES)]
        elif lang == "ru":
            pool = nm.RU_FEMALE if female else nm.RU_MALE
            given = pool[h % len(pool)]
            surname = nm.RU_SURNAMES[(h >> 28) % len(nm.RU_SURNAMES)]
            if female:
                surname = nm.feminine(surname)
        else:
            pool = nm.FOREIGN_FEMALE if female else nm.FOREIGN_MALE
            given = pool[h % len(pool)]
            surname = nm.FOREIGN_SURNAMES[(h >> 28) % len(nm.FOREIGN_SURNAMES)]
        return isikukood, birth.isoformat(), given, surname, lang

    def _generate(self, c: SimCurriculum, revision: int) -> list[tuple[str, list[str | None]]]:
        """The records of one curriculum, from streams keyed by (seed, curriculum) only."""
        r = random.Random(self.seed * 1_000_003 + c.code)
        rnd = r.random
        rows: list[tuple[str, list[str | None]]] = []
        kool, code = str(c.kool_id), str(c.code)
        others = self.scale - c.count
        for j in range(c.count):
            p = c.offset + j
            if others > 0 and rnd() < 0.015:
                # studies in another curriculum too (distinct j -> distinct person, none twice here)
                p = (c.offset + c.count + (j * 7919 + self.seed) % others) % self.scale
            isikukood, birth, given, surname, lang = self.person(p)
            x = rnd()
            if lang == "et":
                language = "en" if x < 0.02 else "et"
            elif lang == "ru":
                language = "ru" if x < 0.65 else "et"
            else:
                language = "en" if x < 0.6 else "ru" if x < 0.8 else "et"
            x = rnd()
            form = "statsionaarne" if x < 0.68 else "mittestatsionaarne" if x < 0.82 else "toopohine"
            year = 2024 + int(rnd() * 4)
            if rnd() < 0.72:
                expected = dt.date(year, 6, 10 + int(rnd() * 21))
            else:
                expected = dt.date(year, 1, 1) + dt.timedelta(days=int(rnd() * 365))
            x = rnd()
            late = int(rnd() * 10)
            show_birth = rnd() < 0.25
            graduated = None
            if expected < SIM_TODAY:
                status = ("lopetanud" if x < 0.8 else "valja_arvatud" if x < 0.9
                          else "oppimas" if x < 0.95 else "akadeemilisel_puhkusel")
                if status == "lopetanud":
                    graduated = expected + dt.timedelta(days=late)
                    if graduated > SIM_TODAY:
                        graduated = expected
            else:
                status = "oppimas" if x < 0.85 else "akadeemilisel_puhkusel" if x < 0.93 else "valja_arvatud"
            expected_iso = expected.isoformat()
            rows.append((expected_iso, [
                isikukood, birth if isikukood is None or show_birth else None, given, surname, kool, code,
                language, form, status, expected_iso, graduated.isoformat() if graduated else None,
            ]))
        for rev in range(1, revision + 1):
            # A later call: some students graduated, some changed their surname.
            rr = random.Random(self.seed * 1_000_003 + c.code * 101 + rev)
            for expected_iso, values in rows:
                if rr.random() < 0.05:
                    if values[8] == "oppimas":
                        values[8] = "lopetanud"
                        values[10] = min(expected_iso, SIM_TODAY.isoformat())
                    else:
                        values[3] = f"{values[3]}-{rr.choice(nm.ET_SURNAMES)}"
        if self.bad_rate:
            rb = random.Random(self.seed * 1_000_003 + c.code * 7 + 3)
            previous = None
            for i, (expected_iso, values) in enumerate(rows):
                original = list(values)
                if rb.random() < self.bad_rate:
                    rows[i] = (expected_iso, self._corrupt(rb.choice(BAD_KINDS), values, previous))
                previous = original
        return rows

    @staticmethod
    def _corrupt(kind: str, values: list, previous: list | None) -> list:
        v = list(values)
        if kind == "isikukood_checksum" and v[0]:
            v[0] = v[0][:10] + str((int(v[0][10]) + 1) % 10)
        elif kind == "missing_last_name":
            v[3] = None
        elif kind == "impossible_date":
            v[9] = v[9][:5] + "02-30"
        elif kind == "unknown_study_form":
            v[7] = "kaugõpe"
        elif kind == "no_code_no_birth_date":
            v[0] = v[1] = None
        elif kind == "birth_date_mismatch" and v[0]:
            v[1] = "1999-12-31"
        elif kind == "duplicate" and previous is not None:
            v = list(previous)
        elif kind == "unknown_status":
            v[8] = "katkestanud"
        return v

    def graduates(self, code: int, revision: int = 0) -> list[tuple[str, list[str | None]]]:
        """All graduate records of a curriculum as ``(expected date, wire values)``, in a stable
        order; values follow ``GRADUATE_FIELDS`` (None: element absent)."""
        key = (code, revision)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        rows = self._generate(self.curricula_by_code[code], revision)
        self._remember(key, rows)
        return rows

    def graduates_in_window(self, code: int, alates: dt.date | None, kuni: dt.date | None,
                            revision: int = 0) -> list[tuple[str, list[str | None]]]:
        key = (code, revision, alates, kuni)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        rows = self.graduates(code, revision)
        if alates is not None or kuni is not None:
            low = alates.isoformat() if alates else ""
            high = kuni.isoformat() if kuni else "9999"
            rows = [row for row in rows if low <= row[0] <= high]
            self._remember(key, rows)
        return rows

    def _remember(self, key: tuple, rows: list) -> None:
        with self._lock:
            if key in self._cache:
                return
            self._cache[key] = rows
            self._cached += len(rows)
            while self._cached > self._cache_records and len(self._cache) > 1:
                _, old = self._cache.popitem(last=False)
                self._cached -= len(old)

    def iter_all_graduates(self, revision: int = 0):
        """Every graduate record of every curriculum, without caching (checks and benchmarks)."""
        for c in self.curricula:
            for _, values in self._generate(c, revision):
                yield values
