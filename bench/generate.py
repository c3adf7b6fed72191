"""Generate a large, consistent dataset into a PostgreSQL database, fast (set-based SQL).

    .venv/bin/python bench/generate.py --database eks_bench_stats --create \\
        --certificates 1000000 --enrolments 200000 --sessions 10000

Master data (standards, awarding bodies with rights and a kutsekomisjon, schools, curricula
linked to standards) is written from Python (a few thousand rows, valid registry codes and
personal codes); the volume rows come from ``INSERT … SELECT … FROM generate_series`` in the
database: persons (valid isikukood), enrolments (graduates routed to the body holding the
right), exam sessions over ten years, registrations, results, confirmed decisions, certificates
from the awards plus historical certificates (labour market, no decision) up to the total.
Secondary indexes of the volume tables are dropped during the load and rebuilt after it.

Everything is deterministic (no random()): the same arguments give the same data. Used by
bench/statistics.py; reusable by other benchmarks: ``generate(url, **sizes)`` returns the counts,
``create_database(url)`` drops, creates and migrates a database and syncs the roles,
``create_users(app, …)`` adds one user per kind of role.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
FIELDS = [
    "Teenindus", "Arhitektuur, geomaatika, ehitus ja kinnisvara", "Toiduainetööstus ja põllumajandus",
    "Sotsiaalhoolekanne", "Transport ja logistika", "Tehnika, tootmine ja töötlemine",
    "Äriteenindus ja muu äritegevus", "Energeetika, mäe- ja keemiatööstus",
    "Infotehnoloogia ja telekommunikatsioon", "Kultuur", "Metsandus", "Tervishoid", "Vara- ja isikukaitse",
]
OCCUPATIONS = ["Kokk", "Juuksur", "Keevitaja", "Elektrik", "Tisler", "Kelner", "Pagar", "Maaler", "Plaatija",
               "Logistik", "Müüja", "Mehhatroonik", "Hooldustöötaja", "Metsur", "IT-tehnik", "Lapsehoidja"]
LEVELS = [2, 3, 3, 4, 4, 4, 4, 4, 5, 5]  # EKR level of standard i: LEVELS[i % 10]
LEVEL_CODE = {2: 421, 3: 431, 4: 442, 5: 452}
BULK_TABLES = ["person", "enrolment", "exam_session", "assessor_assignment", "registration", "result", "decision",
               "certificate", "awarding_body_person"]
DOMAIN_TABLES = ["certificate", "decision", "result", "registration", "assessor_assignment", "exam_session",
                 "enrolment", "person", "curriculum_standard_link", "curriculum", "school", "committee_member",
                 "qualification_committee", "awarding_right", "awarding_body", "occupational_standard"]
SESSIONS_FROM = dt.date(2016, 2, 1)
GRADUATION_FROM = dt.date(2016, 1, 1)
HISTORY_FROM = dt.date(2001, 1, 1)  # 25 years of certificates up to 2026
SPAN_DAYS = 3800  # about ten and a half years of sessions and graduations


# --------------------------------------------------------------------------- identifiers

def registrikood(first: str, n: int) -> str:
    from stdnum.ee import registrikood as rk

    base = f"{first}{n:06d}"
    return base + rk.calc_check_digit(base)


def isikukood(birth: dt.date, serial: int, female: bool) -> str:
    from stdnum.ee import ik

    century = 3 if birth.year < 2000 else 5
    base = f"{century + int(female)}{birth:%y%m%d}{serial:03d}"
    return base + ik.calc_check_digit(base)



def _ik_sql() -> str:
    """isikukood check digit in SQL: weights 1..9,1 mod 11; if 10, weights 3..9,1,2,3; if 10 again, 0."""
    def weighted(weights):
        return " + ".join(f"substr(base, {i + 1}, 1)::int * {w}" for i, w in enumerate(weights))
    s1 = f"({weighted([1, 2, 3, 4, 5, 6, 7, 8, 9, 1])}) % 11"
    s2 = f"({weighted([3, 4, 5, 6, 7, 8, 9, 1, 2, 3])}) % 11"
    return (f"CREATE OR REPLACE FUNCTION pg_temp.ik(base text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ "
            f"SELECT base || (CASE WHEN {s1} < 10 THEN {s1} WHEN {s2} < 10 THEN {s2} ELSE 0 END)::text $$")


IK_FUNCTION = _ik_sql()


# --------------------------------------------------------------------------- database

def create_database(url: str) -> None:
    """Drop and create the database of ``url``, migrate it to the head and sync the roles."""
    name = sa.engine.make_url(url).database
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    app = make_app(url)
    with app.app_context():
        from flask_migrate import upgrade

        from app.security.sync import sync_roles

        upgrade()
        sync_roles(app.appbuilder)
        app.appbuilder.session.remove()


def make_app(url: str, **overrides):
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production")
    os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
    os.environ["DATABASE_URL"] = url
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                       "SESSION_COOKIE_SECURE": False, "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                       "LOG_LEVEL": "WARNING", **overrides})


def create_users(app, password: str = "parool-Bench-1", awarding_body_id: int = 1, school_id: int = 1) -> dict:
    """bench_registry, bench_ab (awarding body 1) and bench_school (school 1); returns name -> role."""
    from app.services.users import create_user

    users = {"bench_registry": ("Registry staff", {}),
             "bench_ab": ("Awarding body user", {"awarding_body_id": awarding_body_id}),
             "bench_school": ("School user", {"school_id": school_id})}
    codes = ["38001085718", "60001019906", "37605030299"]
    with app.app_context():
        sm = app.appbuilder.sm
        for (name, (role, org)), code in zip(users.items(), codes, strict=True):
            if sm.find_user(username=name) is None:
                create_user(sm, username=name, password=password, role=role, isikukood=code,
                            first_name=name, last_name="Bench", email=f"{name}@example.ee", **org)
    return {name: role for name, (role, _) in users.items()}


def _secondary_indexes(conn, tables: list[str]) -> list[tuple[str, str]]:
    """(name, definition) of indexes that back no constraint (those can be rebuilt freely)."""
    rows = conn.execute(sa.text("""
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY(:tables)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
    """), {"tables": tables}).all()
    return [(r[0], r[1]) for r in rows]


# --------------------------------------------------------------------------- the data

def generate(url: str, *, certificates: int = 1_000_000, enrolments: int = 200_000, sessions: int = 10_000,
             persons: int | None = None, standards: int = 540, bodies: int = 30, schools: int = 40,
             curricula_per_school: int = 30, reset: bool = True, log=print) -> dict[str, int]:
    """Fill the database of ``url``; returns the row counts."""
    persons = persons or max(enrolments, certificates // 2)
    curricula = schools * curricula_per_school
    if sessions < standards:
        raise ValueError("at least one exam session per standard is needed (--sessions >= --standards)")
    engine = sa.create_engine(url)
    started = time.perf_counter()

    def step(text: str, sql: str, params: dict | None = None) -> None:
        t = time.perf_counter()
        conn.execute(sa.text(sql), params or {})
        log(f"  {text}: {time.perf_counter() - t:.1f} s")

    with engine.begin() as conn:
        if reset:  # users with an organisation go too (CASCADE): create_users() adds the bench users again
            conn.execute(sa.text(f"TRUNCATE {', '.join(DOMAIN_TABLES)}, awarding_body_person, stat_summary, "
                                 "open_data_stat, stat_refresh RESTART IDENTITY CASCADE"))
        indexes = _secondary_indexes(conn, BULK_TABLES)
        for name, _ in indexes:
            conn.execute(sa.text(f'DROP INDEX "{name}"'))
        conn.execute(sa.text(IK_FUNCTION))
        # The rows are consistent by construction: skip the per-row foreign key triggers while loading
        # (needs a superuser; without one the load is only slower).
        try:
            with conn.begin_nested():
                conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        except sa.exc.DBAPIError:
            log("  (not a superuser: foreign keys are checked row by row)")
        _master_data(conn, standards, bodies, schools, curricula)
        log(f"master data: {standards} standards, {bodies} awarding bodies, {schools} schools, {curricula} curricula")
        p = {"P": persons, "E": enrolments, "X": sessions, "S": standards, "B": bodies, "K": schools,
             "C": curricula, "span": SPAN_DAYS, "sessions_from": SESSIONS_FROM,
             "graduation_from": GRADUATION_FROM, "history_from": HISTORY_FROM, "today": dt.date(2026, 6, 30)}
        step(f"{persons} persons", """
            INSERT INTO person (id, isikukood, birth_date, first_name, last_name)
            SELECT g, pg_temp.ik(
                       (CASE WHEN d < date '2000-01-01' THEN 3 ELSE 5 END + g % 2)::text
                       || to_char(d, 'YYMMDD') || lpad(((g / 20000) % 1000)::text, 3, '0')),
                   d, CASE WHEN g % 2 = 1 THEN (:female)[1 + h.f % cardinality(:female)]
                           ELSE (:male)[1 + h.f % cardinality(:male)] END
                   || CASE WHEN h.f2 % 10 = 0 THEN ' ' || CASE WHEN g % 2 = 1
                           THEN (:female)[1 + h.f2 / 10 % cardinality(:female)]
                           ELSE (:male)[1 + h.f2 / 10 % cardinality(:male)] END ELSE '' END,
                   (:surnames)[1 + h.s % cardinality(:surnames)]
                   || CASE WHEN h.s2 % 25 = 0 THEN '-' || (:surnames)[1 + h.s2 / 25 % cardinality(:surnames)] ELSE '' END
            FROM generate_series(1, :P) AS g, LATERAL (SELECT date '1965-01-01' + (g % 20000) AS d) AS b,
                 -- given names and surname chosen independently (multiplicative hashes modulo the
                 -- largest primes below 2^32): a full name repeats ~25 times in 500,000, not ~1,000
                 LATERAL (SELECT (g::bigint * 2654435761) % 4294967291 AS f, (g::bigint * 2246822519) % 4294967279 AS s,
                                 (g::bigint * 3266489917) % 4294967231 AS f2, (g::bigint * 668265263) % 4294967197 AS s2) AS h
        """, {**p, **_name_lists()})
        step(f"{enrolments} enrolments", """
            INSERT INTO enrolment (id, person_id, curriculum_id, school_id, study_language, study_form, status,
                                   expected_graduation, graduation_date, standard_id, awarding_body_id,
                                   candidate_confirmed, special_arrangements_needed, public_consent)
            SELECT g, g, c, ((c - 1) % :K) + 1, 'et', 'statsionaarne',
                   CASE WHEN g % 20 < 17 THEN 'lopetanud' ELSE 'oppimas' END,
                   day, CASE WHEN g % 20 < 17 THEN day END, s, ((s - 1) % :B) + 1, g % 20 < 17, false, false
            FROM generate_series(1, :E) AS g,
                 LATERAL (SELECT ((g::bigint * 7919) % :C)::int + 1 AS c) AS cc,
                 LATERAL (SELECT ((c - 1) % :S) + 1 AS s,
                                 :graduation_from + ((g::bigint * 37) % :span)::int AS day) AS x
        """, p)
        step(f"{sessions} exam sessions", """
            INSERT INTO exam_session (id, awarding_body_id, standard_id, place_school_id, starts_at, ends_at,
                                      language, capacity, registration_deadline, status)
            SELECT k, ((s - 1) % :B) + 1, s, ((k - 1) % :K) + 1, start, start + interval '6 hours', 'et', 40,
                   start::date - 21, CASE WHEN start::date < :today - 60 THEN 'closed' ELSE 'published' END
            FROM generate_series(1, :X) AS k,
                 LATERAL (SELECT ((k - 1) % :S) + 1 AS s, (k - 1) / :S AS j) AS a,
                 LATERAL (SELECT (:sessions_from + (j * :span / GREATEST((:X + :S - 1) / :S, 1)) + (k % 40))
                                 + time '07:00' AS start) AS b
        """, p)
        # Assessment committees: a chair and two members from a pool of 50 assessors per awarding
        # body (persons at the end of the range), so that an awarding body's person scope has its
        # assessors to probe as well, as in real use.
        step("assessment committees", """
            INSERT INTO assessor_assignment (id, exam_session_id, awarding_body_id, person_id, role, representation,
                                             employer_name)
            SELECT x.id * 3 - 2 + r, x.id, x.awarding_body_id,
                   :P - ((x.awarding_body_id - 1) * 50 + (x.id * 7 + r * 17) % 50),
                   CASE WHEN r = 0 THEN 'chair' ELSE 'member' END, (ARRAY['employer', 'employee', 'teacher'])[r + 1],
                   CASE WHEN r = 0 THEN 'Ettevõte ' || x.awarding_body_id || ' OÜ' END
            FROM exam_session x, generate_series(0, 2) AS r
        """, p)
        step("registrations", """
            INSERT INTO registration (id, exam_session_id, enrolment_id, awarding_body_id, school_id, status,
                                      exam_language, special_arrangements_needed, public_consent)
            SELECT e.id, e.standard_id + :S * (e.id % ((:X - e.standard_id) / :S + 1)), e.id, e.awarding_body_id,
                   e.school_id, 'registered', 'et', false, e.id % 3 = 0
            FROM enrolment e WHERE e.status = 'lopetanud' AND e.id % 11 <> 0
        """, p)
        step("results", """
            INSERT INTO result (id, registration_id, awarding_body_id, school_id, attended, proposal, status)
            SELECT r.id, r.id, r.awarding_body_id, r.school_id, r.id % 17 <> 0,
                   CASE WHEN r.id % 17 = 0 THEN NULL WHEN r.id % 10 = 5 THEN 'refuse' ELSE 'award' END, 'submitted'
            FROM registration r JOIN exam_session x ON x.id = r.exam_session_id WHERE x.status = 'closed'
        """, p)
        step("decisions", """
            INSERT INTO decision (id, registration_id, awarding_body_id, school_id, outcome, awarded_standard_id,
                                  decision_date, protocol_number, legal_basis, reasons, status)
            SELECT res.id, res.registration_id, res.awarding_body_id, res.school_id, res.proposal,
                   CASE WHEN res.proposal = 'award' THEN x.standard_id END,
                   x.starts_at::date + 10 + (res.id % 20), 'P-' || res.id,
                   CASE WHEN res.proposal = 'refuse' THEN 'KutS § 17' END,
                   CASE WHEN res.proposal = 'refuse' THEN 'kompetents hindamata' END, 'confirmed'
            FROM result res JOIN registration r ON r.id = res.registration_id
            JOIN exam_session x ON x.id = r.exam_session_id
            WHERE res.attended
        """, p)
        awarded = conn.execute(sa.text("SELECT count(*) FROM decision WHERE outcome = 'award'")).scalar()
        step(f"{awarded} certificates from decisions", """
            INSERT INTO certificate (id, decision_id, awarding_body_id, school_id, person_id, holder_name, isikukood,
                                     cert_type, standard_id, exam_language, issue_date, valid_from, valid_to,
                                     name_hidden, birth_date_hidden, certificate_hidden, status,
                                     registration_number, register_reference, registered_at, revoked)
            SELECT row_number() OVER (ORDER BY d.id), d.id, d.awarding_body_id, d.school_id, p.id,
                   p.first_name || ' ' || p.last_name, p.isikukood, '1', d.awarded_standard_id, 'et',
                   d.decision_date, d.decision_date, d.decision_date + 1825, false, false, false,
                   CASE d.id % 100 WHEN 1 THEN 'rejected' WHEN 2 THEN 'ready' ELSE 'registered' END,
                   CASE WHEN d.id % 100 NOT IN (1, 2) THEN 'D' || d.id END, 'BENCH-D-' || d.id,
                   CASE WHEN d.id % 100 NOT IN (1, 2) THEN (d.decision_date + 1 + d.id % 10) + time '12:00' END,
                   false
            FROM decision d JOIN registration r ON r.id = d.registration_id
            JOIN enrolment e ON e.id = r.enrolment_id JOIN person p ON p.id = e.person_id
            WHERE d.outcome = 'award'
        """, p)
        history = max(certificates - awarded, 0)
        p["H"], p["offset"] = history, awarded
        step(f"{history} historical certificates", """
            INSERT INTO certificate (id, awarding_body_id, person_id, holder_name, isikukood, cert_type, standard_id,
                                     exam_language, issue_date, valid_from, valid_to, name_hidden,
                                     birth_date_hidden, certificate_hidden, status, registration_number,
                                     register_reference, registered_at, revoked)
            SELECT :offset + g, ((s - 1) % :B) + 1, p.id, p.first_name || ' ' || p.last_name, p.isikukood, '1', s,
                   'et', day, day, day + 1825, false, false, false,
                   CASE WHEN g % 100 = 1 THEN 'rejected' ELSE 'registered' END,
                   CASE WHEN g % 100 <> 1 THEN 'H' || g END, 'BENCH-H-' || g,
                   CASE WHEN g % 100 <> 1 THEN (day + g % 7) + time '12:00' END, false
            FROM generate_series(1, :H) AS g,
                 LATERAL (SELECT ((g::bigint * 104729) % :P)::int + 1 AS pid, ((g::bigint * 31) % :S)::int + 1 AS s,
                                 :history_from + ((g::bigint * 13) % 9125)::int AS day) AS a
            JOIN person p ON p.id = a.pid
        """, p)
        # what the triggers of migration 0009 keep (they do not fire while loading as a replica)
        step("awarding bodies' persons", """
            INSERT INTO awarding_body_person (awarding_body_id, person_id, first_name, last_name)
            SELECT k.awarding_body_id, k.person_id, p.first_name, p.last_name FROM (
                SELECT awarding_body_id, person_id FROM enrolment WHERE awarding_body_id IS NOT NULL
                UNION SELECT awarding_body_id, person_id FROM certificate
                UNION SELECT awarding_body_id, person_id FROM assessor_assignment) k
            JOIN person p ON p.id = k.person_id
        """)
        for table in DOMAIN_TABLES:
            conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"))
        t = time.perf_counter()
        for _, definition in indexes:
            conn.execute(sa.text(definition))
        log(f"  {len(indexes)} secondary indexes rebuilt: {time.perf_counter() - t:.1f} s")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
        counts = {table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
                  for table in reversed(DOMAIN_TABLES)}
    engine.dispose()
    log(f"generated in {time.perf_counter() - started:.1f} s: "
        + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts


def _name_lists() -> dict[str, list[str]]:
    """The simulators' name lists (õ ä ö ü š ž, hyphens, Russian and foreign names), so that a name
    search hits about as many rows as it would in the real register."""
    from app.simulators import names as nm

    return {"male": list(nm.ET_MALE + nm.ET_MALE_HYPHEN + nm.RU_MALE + nm.FOREIGN_MALE),
            "female": list(nm.ET_FEMALE + nm.ET_FEMALE_HYPHEN + nm.RU_FEMALE + nm.FOREIGN_FEMALE),
            "surnames": list(nm.ET_SURNAMES + nm.RU_SURNAMES + nm.FOREIGN_SURNAMES)}


def _master_data(conn, standards: int, bodies: int, schools: int, curricula: int) -> None:
    ins = conn.execute
    ins(sa.text("""INSERT INTO occupational_standard (id, register_id, group_id, version, name, ekr_level, field,
                   occupation, valid_from, cert_validity_years) VALUES (:id, :rid, :id, 1, :name, :lvl, :field,
                   :occ, :vf, 5)"""),
        [{"id": i, "rid": 10_000_000 + i, "name": f"{OCCUPATIONS[i % len(OCCUPATIONS)]} {i}, tase {LEVELS[i % 10]}",
          "lvl": LEVELS[i % 10], "field": FIELDS[i % len(FIELDS)], "occ": OCCUPATIONS[i % len(OCCUPATIONS)],
          "vf": dt.date(2005, 1, 1)} for i in range(1, standards + 1)])
    ins(sa.text("""INSERT INTO awarding_body (id, registrikood, name, committee_member_required)
                   VALUES (:id, :code, :name, false)"""),
        [{"id": i, "code": registrikood("8", 10_000 + i), "name": f"Kutse andja {i:03d}"}
         for i in range(1, bodies + 1)])
    ins(sa.text("""INSERT INTO awarding_right (id, awarding_body_id, standard_id, valid_from)
                   VALUES (:id, :b, :id, :vf)"""),
        [{"id": s, "b": ((s - 1) % bodies) + 1, "vf": dt.date(2005, 1, 1)} for s in range(1, standards + 1)])
    ins(sa.text("INSERT INTO qualification_committee (id, awarding_body_id, name) VALUES (:id, :id, :name)"),
        [{"id": i, "name": f"Kutsekomisjon {i:03d}"} for i in range(1, bodies + 1)])
    ins(sa.text("""INSERT INTO committee_member (id, committee_id, awarding_body_id, register_id, isikukood, name, role)
                   VALUES (:id, :id, :id, :rid, :ik, :name, '1')"""),
        [{"id": i, "rid": 5_000_000 + i, "ik": isikukood(dt.date(1970, 1, 1) + dt.timedelta(days=i), 900, i % 2 == 0),
          "name": f"Esimees {i:03d}"} for i in range(1, bodies + 1)])
    ins(sa.text("INSERT INTO school (id, ehis_id, registrikood, name, status) VALUES (:id, :id, :code, :name, 'open')"),
        [{"id": i, "code": registrikood("7", 20_000 + i), "name": f"Kutsekool {i:02d}"} for i in range(1, schools + 1)])
    rows, links = [], []
    for c in range(1, curricula + 1):
        school = ((c - 1) % schools) + 1
        standard = ((c - 1) % standards) + 1
        rows.append({"id": c, "code": 200_000 + c, "school": school, "name": f"Õppekava {c}",
                     "lvl": LEVEL_CODE.get(LEVELS[standard % 10], 442)})
        links.append({"id": c, "c": c, "school": school, "s": standard})
    ins(sa.text("""INSERT INTO curriculum (id, ehis_code, school_id, name, level_code, status, no_valid_standard)
                   VALUES (:id, :code, :school, :name, :lvl, 'valid', false)"""), rows)
    ins(sa.text("""INSERT INTO curriculum_standard_link (id, curriculum_id, school_id, standard_id)
                   VALUES (:id, :c, :school, :s)"""), links)


def database_url(name: str) -> str:
    base = sa.engine.make_url(ADMIN_URL)
    return base.set(database=name).render_as_string(hide_password=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="eks_bench_stats", help="database name on BENCH_ADMIN_URL's server")
    parser.add_argument("--url", help="full SQLAlchemy URL (instead of --database)")
    parser.add_argument("--create", action="store_true", help="drop, create and migrate the database first")
    parser.add_argument("--users", action="store_true", help="add bench_registry, bench_ab and bench_school")
    parser.add_argument("--certificates", type=int, default=1_000_000)
    parser.add_argument("--enrolments", type=int, default=200_000)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--persons", type=int, default=None, help="default: max(enrolments, certificates / 2)")
    parser.add_argument("--standards", type=int, default=540)
    parser.add_argument("--bodies", type=int, default=30)
    parser.add_argument("--schools", type=int, default=40)
    parser.add_argument("--curricula-per-school", type=int, default=30)
    args = parser.parse_args(argv)
    url = args.url or database_url(args.database)
    if args.create:
        create_database(url)
    generate(url, certificates=args.certificates, enrolments=args.enrolments, sessions=args.sessions,
             persons=args.persons, standards=args.standards, bodies=args.bodies, schools=args.schools,
             curricula_per_school=args.curricula_per_school)
    if args.users:
        create_users(make_app(url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
