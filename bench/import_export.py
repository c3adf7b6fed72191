"""Benchmark: graduate import from the EHIS simulator and certificate export to the
Kutseregister simulator, on PostgreSQL (issue 3, "Benchmark").

    .venv/bin/python bench/import_export.py [--graduates 100000] [--certificates 20000] [--rounds 2]

Each round, from scratch:

1. drops and creates its own database (default ``eks_bench`` on 127.0.0.1:5432, user postgres),
   migrates it, syncs roles;
2. starts the simulators as a separate process (``python -m app.simulators --register both``)
   with a scale chosen so that the linked, valid curricula hold exactly ``--graduates`` records;
   their data is generated once before timing (a real register has its data at hand);
3. runs ``register_sync`` and ``ehis_sync`` through ``jobs.tasks.run_job``;
4. times ``graduate_import`` end to end (EHIS over HTTP -> persons, enrolments, routing, audit
   rows, committed) through ``run_job`` in a fresh worker process, whose peak RSS, CPU and its
   PostgreSQL backends' CPU are measured;
5. times a PostgreSQL ``COPY FROM STDIN`` of the same rows (persons + enrolments) into fresh
   tables with the same columns, indexes and constraints (``LIKE … INCLUDING ALL`` plus the
   same foreign keys, the person one pointing at the copy), and prints import time / COPY time,
   and the ceiling: the graduates/s that even an import doing nothing but that COPY could reach
   here, given the CPU the worker and the simulator spent fetching and reading the pages;
6. inserts ``--certificates`` certificates in status ready (a right valid on the issue date,
   a signer from the body's kutsekomisjon, imported persons' valid personal codes) and times
   ``register_export`` against the Kutseregister simulator in a fresh worker process.

Figures of every round, then best and median, are printed as a table; ``--record`` appends them
to bench/RESULTS.md with the date, the machine and the load.

The machine has few cores: the simulator process, the worker and PostgreSQL share them, so the
CPU seconds each used during the timed job are printed too.
"""
from __future__ import annotations

import sys
from pathlib import Path

# Other scripts live in bench/ (e.g. statistics.py): they must not shadow the standard library.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PYTHON = sys.executable
CLK_TCK = os.sysconf("SC_CLK_TCK")
APP_NAME = "eks-bench-worker"


# --------------------------------------------------------------------------- small helpers

def proc_cpu(pid: int) -> float:
    """utime + stime of a process in seconds (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0.0


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def db_url(args, name: str | None = None) -> str:
    return f"postgresql://{args.pg_user}@{args.pg_host}:{args.pg_port}/{name or args.database}"


def app_config(args) -> dict:
    cfg = {
        "SQLALCHEMY_DATABASE_URI": db_url(args),
        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"application_name": APP_NAME}},
        "EHIS_XROAD_URL": args.ehis_url,
        "KUTSEREGISTER_XROAD_URL": args.kr_url,
        "LOG_LEVEL": "WARNING",
        "RATELIMIT_ENABLED": False,
    }
    if getattr(args, "export_concurrency", None):
        cfg["EXPORT_CONCURRENCY"] = args.export_concurrency
    if getattr(args, "import_writers", None):
        cfg["GRADUATE_IMPORT_WRITERS"] = args.import_writers
    return cfg


def child_env() -> dict:
    env = dict(os.environ)
    env.setdefault("SECRET_KEY", "bench-secret-key-not-for-production")
    env["PYTHONPATH"] = str(ROOT)
    return env


def run_child(args, command: str, *extra: str) -> dict:
    """Run this script in a fresh process (``command``); it prints one JSON line at the end."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        out_path = out.name
    argv = [PYTHON, str(Path(__file__).resolve()), command, "--database", args.database,
            "--pg-host", args.pg_host, "--pg-port", str(args.pg_port), "--pg-user", args.pg_user,
            "--ehis-url", args.ehis_url, "--kr-url", args.kr_url, "--out", out_path, *extra]
    if args.export_concurrency:
        argv += ["--export-concurrency", str(args.export_concurrency)]
    if args.import_writers:
        argv += ["--import-writers", str(args.import_writers)]
    spy = getattr(args, "py_spy", None)
    if spy and command == "_job" and spy[0] == extra[extra.index("--kind") + 1]:
        # sample every thread of the worker (cProfile sees only the main thread)
        argv = [spy[1], "record", "--format", "raw", "--rate", "200", "-o", spy[2], "--", *argv]
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=ROOT, env=child_env())
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{command} failed with exit code {proc.returncode}")
    result = json.loads(Path(out_path).read_text())
    os.unlink(out_path)
    result["process_wall"] = wall
    return result


# --------------------------------------------------------------------------- simulator

def importable(data) -> int:
    """Graduate records the import job takes: valid curricula linked to a standard."""
    return sum(c.count for c in data.curricula if c.status == "kehtiv" and c.links)


def choose_scale(seed: int, target: int, curricula: int) -> tuple[int, int]:
    """The smallest simulator scale whose importable records reach ``target`` (curricula fixed,
    so the count grows with the scale)."""
    from app.simulators.data import SimData

    low, high = target, target * 2
    while importable(SimData(seed, high, curricula=curricula)) < target:
        high *= 2
    while low < high:
        mid = (low + high) // 2
        if importable(SimData(seed, mid, curricula=curricula)) >= target:
            high = mid
        else:
            low = mid + 1
    return low, importable(SimData(seed, low, curricula=curricula))


class Simulators:
    def __init__(self, seed: int, scale: int, curricula: int):
        self.port = free_port()
        self.kr_port = free_port()
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "app.simulators", "--register", "both", "--port", str(self.port),
             "--kutseregister-port", str(self.kr_port), "--seed", str(seed), "--scale", str(scale),
             "--curricula", str(curricula), "--log-level", "WARNING"],
            cwd=ROOT, env=child_env())
        self.ehis_url = f"http://127.0.0.1:{self.port}/ehis"
        self.kr_url = f"http://127.0.0.1:{self.kr_port}/kutseregister"
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{self.kr_port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the simulators did not start")
            time.sleep(0.1)

    def cpu(self) -> float:
        return proc_cpu(self.proc.pid)

    def rss_mb(self) -> float:
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def warm(self, codes: list[int]) -> None:
        """Generate every curriculum's graduate list once (the simulator caches it), so the
        timed import measures serving and importing, not the data generator."""
        from app.xroad.ehis import EhisClient
        from app.xroad.settings import DEFAULTS, XRoadSettings

        cfg = {**DEFAULTS, "EHIS_XROAD_URL": self.ehis_url}
        with EhisClient(self.ehis_url, cfg["EHIS_XROAD_SERVICE"], XRoadSettings.from_config(cfg)) as client:
            for code in codes:
                stream = client.kutseoppe_lopetajad(code, page_size=1, prefetch=False)
                next(iter(stream.pages()), None)

    def state(self) -> dict:
        import httpx

        return httpx.get(f"http://127.0.0.1:{self.kr_port}/kutseregister/_sim", timeout=10).json()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --------------------------------------------------------------------------- database

def recreate_database(args) -> None:
    import psycopg2

    conn = psycopg2.connect(db_url(args, args.admin_database))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()", (args.database,))
        cur.execute(f'DROP DATABASE IF EXISTS "{args.database}"')
        cur.execute(f'CREATE DATABASE "{args.database}"')
    conn.close()


PERSON_COLUMNS = "id, isikukood, birth_date, first_name, last_name"
ENROLMENT_COLUMNS = ("id, person_id, curriculum_id, school_id, study_language, study_form, status, "
                     "expected_graduation, graduation_date, standard_id, awarding_body_id, routing_problem, "
                     "candidate_confirmed, confirmed_at")


def measure_copy(args) -> dict:
    """COPY the imported persons and enrolments into fresh tables with the same columns,
    indexes and constraints; returns the seconds of the COPY (both tables, one commit)."""
    import psycopg2

    conn = psycopg2.connect(db_url(args))
    with conn.cursor() as cur:
        buffers = {}
        for table, columns in (("person", PERSON_COLUMNS), ("enrolment", ENROLMENT_COLUMNS)):
            buf = io.StringIO()
            cur.copy_expert(f"COPY (SELECT {columns} FROM {table} ORDER BY id) TO STDOUT", buf)
            buffers[table] = buf
        cur.execute("DROP TABLE IF EXISTS bench_copy_enrolment, bench_copy_person")
        cur.execute("CREATE TABLE bench_copy_person (LIKE person INCLUDING ALL)")
        cur.execute("CREATE TABLE bench_copy_enrolment (LIKE enrolment INCLUDING ALL)")
        # the same foreign keys as the real table (LIKE does not copy them), person -> the copy
        cur.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = 'enrolment'::regclass AND contype = 'f'")
        for (definition,) in cur.fetchall():
            cur.execute("ALTER TABLE bench_copy_enrolment ADD " +
                        definition.replace("REFERENCES person(", "REFERENCES bench_copy_person("))
        conn.commit()
        cur.execute("SELECT pg_backend_pid()")
        backend = cur.fetchone()[0]
        cpu0 = proc_cpu(backend)
        started = time.perf_counter()
        for table, columns in (("person", PERSON_COLUMNS), ("enrolment", ENROLMENT_COLUMNS)):
            buf = buffers[table]
            buf.seek(0)
            cur.copy_expert(f"COPY bench_copy_{table} ({columns}) FROM STDIN", buf)
        conn.commit()
        elapsed = time.perf_counter() - started
        copy_cpu = proc_cpu(backend) - cpu0
        cur.execute("SELECT (SELECT count(*) FROM bench_copy_person), (SELECT count(*) FROM bench_copy_enrolment)")
        persons, enrolments = cur.fetchone()
        cur.execute("DROP TABLE bench_copy_enrolment, bench_copy_person")
        conn.commit()
    conn.close()
    return {"copy_seconds": elapsed, "copy_cpu": copy_cpu, "copy_persons": persons, "copy_enrolments": enrolments}


def create_certificates(args, n: int) -> dict:
    """``n`` certificates ready for the register, valid for the simulator: the body holds a right
    for the standard valid on the issue date, the signer is a member of its kutsekomisjon, the
    holder is an imported person with a valid personal code. One multi-row insert per 5,000."""
    import psycopg2
    from psycopg2.extras import execute_values

    conn = psycopg2.connect(db_url(args))
    today = dt.date.today()
    with conn.cursor() as cur:
        cur.execute("""
            SELECT r.awarding_body_id, r.standard_id, r.valid_from, r.valid_to
            FROM awarding_right r
            WHERE r.valid_from <= %s
              AND EXISTS (SELECT 1 FROM committee_member m WHERE m.awarding_body_id = r.awarding_body_id)
            ORDER BY r.id""", (today,))
        combos = []
        for body_id, standard_id, valid_from, valid_to in cur.fetchall():
            issued = min(today, valid_to) if valid_to else today
            if issued >= valid_from:
                combos.append((body_id, standard_id, issued))
        cur.execute("SELECT awarding_body_id, array_agg(id ORDER BY id) FROM committee_member GROUP BY 1")
        signers = dict(cur.fetchall())
        cur.execute("SELECT id, isikukood, first_name || ' ' || last_name FROM person "
                    "WHERE isikukood IS NOT NULL ORDER BY id LIMIT %s", (n,))
        persons = cur.fetchall()
        if len(persons) < n:  # e.g. --graduates 0: holders of their own, with valid personal codes
            persons += add_persons(cur, n - len(persons))
        rows = []
        for i, (person_id, code, name) in enumerate(persons):
            body_id, standard_id, issued = combos[i % len(combos)]
            body_signers = signers[body_id]
            rows.append((body_id, person_id, name, code, "1", standard_id, issued, issued,
                         body_signers[i % len(body_signers)], False, False, False, "ready", False))
        started = time.perf_counter()
        for k in range(0, len(rows), 5000):
            execute_values(cur, """
                INSERT INTO certificate (awarding_body_id, person_id, holder_name, isikukood, cert_type,
                    standard_id, issue_date, valid_from, signer_id, name_hidden, birth_date_hidden,
                    certificate_hidden, status, revoked) VALUES %s""", rows[k:k + 5000], page_size=5000)
        conn.commit()
        elapsed = time.perf_counter() - started
    conn.close()
    return {"certificates": len(rows), "combos": len(combos), "insert_seconds": elapsed}


def add_persons(cur, n: int) -> list[tuple[int, str, str]]:
    """``n`` persons with valid personal codes not used yet (born 1960-2004, serials 900-999,
    which the simulator's graduates do not use), for certificates without an import before."""
    from psycopg2.extras import execute_values

    from app.xroad.codes import make_isikukood

    cur.execute("SELECT isikukood FROM person WHERE isikukood IS NOT NULL")
    used = {row[0] for row in cur.fetchall()}
    rows, day, serial = [], dt.date(1960, 1, 1), 900
    while len(rows) < n:
        code = make_isikukood(day, serial % 2 == 0, serial)
        if code not in used:
            used.add(code)
            rows.append((code, day, "Õnne-Mari", f"Kõiv-Šmidt{len(rows)}"))
        serial += 1
        if serial > 999:
            serial, day = 900, day + dt.timedelta(days=1)
    return execute_values(cur, "INSERT INTO person (isikukood, birth_date, first_name, last_name) VALUES %s "
                          "RETURNING id, isikukood, first_name || ' ' || last_name", rows, page_size=5000,
                          fetch=True)


def scalar(args, sql: str):
    import psycopg2

    conn = psycopg2.connect(db_url(args))
    with conn.cursor() as cur:
        cur.execute(sql)
        value = cur.fetchone()[0]
    conn.close()
    return value


# --------------------------------------------------------------------------- child commands

def child_setup(args) -> dict:
    """Migrate, sync roles, and load master data through the jobs."""
    from app import create_app

    app = create_app(app_config(args))
    out = {}
    with app.app_context():
        from flask_migrate import upgrade

        from app.security.sync import sync_roles

        started = time.perf_counter()
        upgrade()
        sync_roles(app.appbuilder)
        out["migrate_seconds"] = time.perf_counter() - started
        for kind in ("register_sync", "ehis_sync"):
            out[kind] = _run(app, kind)
    return out


def _run(app, kind: str, **params) -> dict:
    from app.models import JobRun
    from app.services.jobruns import create_run
    from jobs.tasks import run_job

    with app.app_context():
        session = app.appbuilder.session
        run, created = create_run(session, kind, params, actor="bench")
        run_id = run.id
        session.close()
    started = time.perf_counter()
    status = run_job(run_id, app)
    elapsed = time.perf_counter() - started
    with app.app_context():
        session = app.appbuilder.session
        run = session.get(JobRun, run_id)
        result = {"status": status, "seconds": elapsed, "total": run.progress_total, "done": run.progress_done,
                  "created": run.created_count, "updated": run.updated_count, "unchanged": run.unchanged_count,
                  "rejected": run.rejected_count, "message": run.message}
        session.close()
    return result


def child_job(args) -> dict:
    """One job in this (fresh) process, as a worker runs it; with the process's peak RSS and
    CPU and the CPU of its PostgreSQL backends."""
    started = time.perf_counter()
    from app import create_app

    app = create_app(app_config(args))
    startup = time.perf_counter() - started
    backends: dict[int, float] = {}  # every PostgreSQL backend the job opens: pid -> CPU at open
    with app.app_context():
        from sqlalchemy import event

        def remember(dbapi_connection, record):
            with dbapi_connection.cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                pid = cur.fetchone()[0]
            backends[pid] = proc_cpu(pid)

        event.listen(app.appbuilder.session.get_bind(), "connect", remember)
    rss_before = _vm("VmRSS")
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    profile, thread_profiles = None, []
    if args.profile:
        import cProfile
        import threading

        def profile_thread(*_):  # threads started from now on (the export's HTTP calls) profile themselves
            sys.setprofile(None)
            thread_profiles.append(cProfile.Profile())
            thread_profiles[-1].enable()

        threading.setprofile(profile_thread)
        profile = cProfile.Profile()
        profile.enable()
    result = _run(app, args.kind)
    if profile is not None:
        import pstats

        profile.disable()
        threading.setprofile(None)
        stats = pstats.Stats(profile)
        for other in thread_profiles:
            stats.add(other)
        stats.dump_stats(args.profile)
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    result["startup_seconds"] = startup
    # register_export.export_job: current_app.config.get("EXPORT_CONCURRENCY", 8)
    result["concurrency"] = app.config.get("EXPORT_CONCURRENCY", 8)
    result["worker_cpu"] = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["rss_before_mb"] = rss_before
    with app.app_context():
        from sqlalchemy import text

        session = app.appbuilder.session
        pids = {row[0] for row in session.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE application_name = :n AND datname = current_database()"),
            {"n": APP_NAME})}
        # backends still open (their CPU since they opened) and those closed meanwhile (lost)
        result["pg_backends"] = len(pids | set(backends))
        result["pg_backends_closed"] = len(set(backends) - pids)
        result["pg_cpu"] = sum(proc_cpu(pid) - backends.get(pid, 0.0) for pid in pids)
        session.close()
    return result


def _vm(key: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


# --------------------------------------------------------------------------- one round

def one_round(args, number: int) -> dict:
    from app.simulators.data import SimData

    r: dict = {"round": number, "load_start": loadavg()}
    curricula = args.curricula or max(12, round(args.graduates / 300))
    scale, expected = choose_scale(args.seed, args.graduates, curricula)
    r.update(scale=scale, curricula=curricula, expected=expected)
    data = SimData(args.seed, scale, curricula=curricula)
    codes = [c.code for c in data.curricula if c.status == "kehtiv" and c.links]
    del data

    recreate_database(args)
    sims = Simulators(args.seed, scale, curricula)
    try:
        args.ehis_url, args.kr_url = sims.ehis_url, sims.kr_url
        t = time.perf_counter()
        if not args.cold:
            sims.warm(codes)
        r["warm_seconds"] = time.perf_counter() - t
        setup = run_child(args, "_setup")
        for kind in ("register_sync", "ehis_sync"):
            if setup[kind]["status"] not in ("succeeded", "partial"):
                raise SystemExit(f"{kind}: {setup[kind]}")
        r["setup"] = setup

        # ---- graduate import
        print(f"[round {number}] graduate import: {expected:,} graduates in {len(codes)} curricula "
              f"(simulator scale {scale:,}) ...", flush=True)
        sim_cpu0 = sims.cpu()
        r["load_import"] = loadavg()
        extra = ["--kind", "graduate_import"]
        if args.profile_import:
            extra += ["--profile", args.profile_import]
        imp = run_child(args, "_job", *extra)
        imp["sim_cpu"] = sims.cpu() - sim_cpu0
        if imp["status"] not in ("succeeded", "partial"):
            raise SystemExit(f"graduate_import: {imp}")
        imp["enrolments"] = scalar(args, "SELECT count(*) FROM enrolment")
        imp["persons"] = scalar(args, "SELECT count(*) FROM person")
        imp["audit_rows"] = scalar(args, "SELECT count(*) FROM audit_event WHERE entity IN ('Person', 'Enrolment')")
        imp["routed"] = scalar(args, "SELECT count(*) FROM enrolment WHERE awarding_body_id IS NOT NULL")
        imp["problems"] = scalar(args, "SELECT count(*) FROM enrolment WHERE routing_problem IS NOT NULL")
        r["import"] = imp
        r["copy"] = measure_copy(args)

        # ---- register export
        if args.certificates:
            r["cert_setup"] = create_certificates(args, args.certificates)
            print(f"[round {number}] register export: {args.certificates:,} certificates ...", flush=True)
            sim_cpu0 = sims.cpu()
            r["load_export"] = loadavg()
            extra = ["--kind", "register_export"]
            if args.profile_export:
                extra += ["--profile", args.profile_export]
            exp = run_child(args, "_job", *extra)
            exp["sim_cpu"] = sims.cpu() - sim_cpu0
            exp["registered"] = scalar(args, "SELECT count(*) FROM certificate WHERE status = 'registered'")
            exp["register_count"] = sims.state().get("certificates")
            r["export"] = exp
            r["concurrency"] = exp["concurrency"]
        r["sim_peak_rss_mb"] = sims.rss_mb()
    finally:
        sims.stop()
    r["load_end"] = loadavg()
    return r


# --------------------------------------------------------------------------- report

def ceiling_seconds(r: dict) -> float:
    """The least time any import could take on this machine in this run: the CPU of a bare COPY of
    the rows (no lookups, routing or audit rows) plus the CPU the worker and the simulator spent
    fetching and reading them, spread over every core with nothing else running."""
    imp = r["import"]
    return (r["copy"]["copy_cpu"] + imp["worker_cpu"] + imp["sim_cpu"]) / (os.cpu_count() or 1)


def figures(r: dict) -> dict:
    imp = r["import"]
    f = {
        "graduates": imp["done"],
        "import_s": imp["seconds"],
        "graduates_per_s": imp["done"] / imp["seconds"],
        "copy_s": r["copy"]["copy_seconds"],
        "copy_ratio": imp["seconds"] / r["copy"]["copy_seconds"],
        "pg_cpu_ratio": imp["pg_cpu"] / max(r["copy"]["copy_cpu"], 0.01),
        "ceiling_per_s": imp["done"] / ceiling_seconds(r),
        "import_peak_mb": imp["peak_rss_mb"],
        "import_cpu": f'{imp["worker_cpu"]:.1f} / {imp["pg_cpu"]:.1f} / {imp["sim_cpu"]:.1f}',
        "load": r["load_import"],
    }
    if "export" in r:
        exp = r["export"]
        f.update({
            "certificates": exp["done"],
            "export_s": exp["seconds"],
            "certificates_per_s": exp["done"] / exp["seconds"],
            "concurrency": exp["concurrency"],
            "export_peak_mb": exp["peak_rss_mb"],
            "export_cpu": f'{exp["worker_cpu"]:.1f} / {exp["pg_cpu"]:.1f} / {exp["sim_cpu"]:.1f}',
            "export_load": r["load_export"],
        })
    return f


COLUMNS = (
    ("graduates", "graduates", "{:,}"),
    ("import_s", "import s", "{:.2f}"),
    ("graduates_per_s", "graduates/s", "{:,.0f}"),
    ("copy_s", "COPY s", "{:.2f}"),
    ("copy_ratio", "import/COPY", "{:.1f}"),
    ("pg_cpu_ratio", "PG CPU import/COPY", "{:.1f}"),
    ("ceiling_per_s", "ceiling graduates/s", "{:,.0f}"),
    ("import_peak_mb", "import peak MB", "{:.0f}"),
    ("import_cpu", "import CPU s worker/pg/sim", "{}"),
    ("certificates", "certificates", "{:,}"),
    ("export_s", "export s", "{:.2f}"),
    ("certificates_per_s", "certificates/s", "{:,.0f}"),
    ("concurrency", "concurrency", "{}"),
    ("export_peak_mb", "export peak MB", "{:.0f}"),
    ("export_cpu", "export CPU s worker/pg/sim", "{}"),
    ("load", "load 1/5/15 (import)", "{}"),
)


def table(rows: list[tuple[str, dict]]) -> str:
    cols = [c for c in COLUMNS if any(c[0] in f for _, f in rows)]
    header = ["", *[c[1] for c in cols]]
    body = [[label, *[c[2].format(f[c[0]]) if c[0] in f else "" for c in cols]] for label, f in rows]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(lines)


def summary_rows(results: list[dict]) -> list[tuple[str, dict]]:
    per_round = [(f"round {r['round']}", figures(r)) for r in results]
    rows = list(per_round)
    if len(per_round) > 1:
        fs = [f for _, f in per_round]
        best, median = {}, {}
        for key, _, _ in COLUMNS:
            values = [f[key] for f in fs if key in f]
            if not values or isinstance(values[0], str) or key in ("graduates", "certificates", "concurrency"):
                continue
            lower_better = key in ("import_s", "copy_ratio", "pg_cpu_ratio", "import_peak_mb", "export_s",
                                   "export_peak_mb", "copy_s")
            best[key] = min(values) if lower_better else max(values)
            median[key] = statistics.median(values)
        rows += [("best", best), ("median", median)]
    return rows


def machine() -> str:
    free = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.rstrip()
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    pg = scalar_admin("SHOW server_version")
    return (f"nproc {os.cpu_count()} ({cpu}); Python {platform.python_version()}; PostgreSQL {pg}\n\n"
            f"```\n$ free -h\n{free}\n```")


_ARGS = None


def scalar_admin(sql: str):
    import psycopg2

    conn = psycopg2.connect(db_url(_ARGS, _ARGS.admin_database))
    with conn.cursor() as cur:
        cur.execute(sql)
        value = cur.fetchone()[0]
    conn.close()
    return value


def details(r: dict) -> str:
    imp, setup = r["import"], r["setup"]
    ceiling = ceiling_seconds(r)
    lines = [
        f"round {r['round']}: simulator scale {r['scale']:,}, {r['curricula']} curricula; "
        f"data generated before timing in {r['warm_seconds']:.1f} s",
        f"  register_sync {setup['register_sync']['seconds']:.2f} s ({setup['register_sync']['status']}), "
        f"ehis_sync {setup['ehis_sync']['seconds']:.2f} s ({setup['ehis_sync']['status']})",
        f"  import: {imp['status']}, created {imp['created']:,}, updated {imp['updated']:,}, "
        f"unchanged {imp['unchanged']:,}, rejected {imp['rejected']:,}; enrolments {imp['enrolments']:,}, "
        f"persons {imp['persons']:,}, audit rows {imp['audit_rows']:,}, routed {imp['routed']:,}, "
        f"with routing problem {imp['problems']:,}",
        f"  import worker: job {imp['seconds']:.2f} s (+{imp['startup_seconds']:.1f} s app start), "
        f"peak RSS {imp['peak_rss_mb']:.0f} MB (after app start {imp['rss_before_mb']:.0f} MB), "
        f"CPU worker {imp['worker_cpu']:.1f} s, PostgreSQL backends {imp['pg_cpu']:.1f} s "
        f"({imp['pg_backends']}), simulator {imp['sim_cpu']:.1f} s; load {r['load_import']}",
        f"  COPY: {r['copy']['copy_persons']:,} persons + {r['copy']['copy_enrolments']:,} enrolments "
        f"in {r['copy']['copy_seconds']:.2f} s (PostgreSQL CPU {r['copy']['copy_cpu']:.1f} s)",
        f"  ceiling: COPY CPU + worker CPU + simulator CPU over {os.cpu_count()} cores = "
        f"{ceiling:.2f} s, at most {imp['done'] / ceiling:,.0f} graduates/s for any import "
        "that reads the same pages here",
    ]
    if "export" in r:
        exp = r["export"]
        lines += [
            f"  export: {exp['status']}, registered {exp['registered']:,} (register holds "
            f"{exp['register_count']:,}), rejected {exp['rejected']:,}; job {exp['seconds']:.2f} s, "
            f"peak RSS {exp['peak_rss_mb']:.0f} MB, CPU worker {exp['worker_cpu']:.1f} s, PostgreSQL "
            f"{exp['pg_cpu']:.1f} s, simulator {exp['sim_cpu']:.1f} s; concurrency {r['concurrency']}; "
            f"load {r['load_export']}",
        ]
    lines.append(f"  simulator peak RSS {r['sim_peak_rss_mb']:.0f} MB")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    global _ARGS
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", nargs="?", default="bench", choices=("bench", "_setup", "_job"),
                   help=argparse.SUPPRESS)
    p.add_argument("--graduates", type=int, default=100_000)
    p.add_argument("--certificates", type=int, default=20_000)
    p.add_argument("--rounds", type=int, default=2, help="measure this many times (fresh database each)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--curricula", type=int, default=None, help="default: graduates / 300")
    p.add_argument("--cold", action="store_true", help="do not generate the simulator's data before timing")
    p.add_argument("--export-concurrency", type=int, default=None,
                   help="EXPORT_CONCURRENCY for the export job (default: the application's)")
    p.add_argument("--import-writers", type=int, default=None,
                   help="GRADUATE_IMPORT_WRITERS for the import job (default: the application's)")
    p.add_argument("--record", action="store_true", help="append the figures to bench/RESULTS.md")
    p.add_argument("--json", default=None, help="also write every round's raw figures to this file")
    p.add_argument("--note", default="", help="a line for RESULTS.md (what changed)")
    p.add_argument("--profile-import", default=None, help="write a cProfile of the import worker here")
    p.add_argument("--profile-export", default=None, help="write a cProfile of the export worker here (every thread)")
    p.add_argument("--py-spy", nargs=3, metavar=("KIND", "PY_SPY", "OUT"), default=None,
                   help="sample the worker of job KIND with the py-spy binary PY_SPY into OUT (collapsed stacks)")
    p.add_argument("--database", default="eks_bench")
    p.add_argument("--admin-database", default="postgres")
    p.add_argument("--pg-host", default="127.0.0.1")
    p.add_argument("--pg-port", type=int, default=5432)
    p.add_argument("--pg-user", default="postgres")
    # child processes
    p.add_argument("--ehis-url", default="")
    p.add_argument("--kr-url", default="")
    p.add_argument("--out", default=None, help=argparse.SUPPRESS)
    p.add_argument("--kind", default=None, help=argparse.SUPPRESS)
    p.add_argument("--profile", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    _ARGS = args

    if args.command != "bench":
        result = child_setup(args) if args.command == "_setup" else child_job(args)
        Path(args.out).write_text(json.dumps(result, default=str))
        return 0

    results = []
    for number in range(1, args.rounds + 1):
        results.append(one_round(args, number))
        print(details(results[-1]), flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(results, default=str, indent=1))
    rows = summary_rows(results)
    print()
    print(table(rows))
    if args.record:
        record(args, results, rows)
    return 0


def record(args, results: list[dict], rows: list[tuple[str, dict]]) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    head = "" if path.exists() else (
        "# Benchmark results\n\nWritten by `bench/import_export.py --record` (see its docstring for what is "
        "measured). CPU columns: seconds of CPU used during the timed job by the worker process, its "
        "PostgreSQL backends and the simulator process.\n")
    now = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    text = [f"\n## {now} (commit {commit})\n"]
    if args.note:
        text.append(f"{args.note}\n")
    text.append(f"`bench/import_export.py --graduates {args.graduates} --certificates {args.certificates} "
                f"--rounds {args.rounds}`; {machine()}\n")
    text.append(table(rows) + "\n")
    text.append("```\n" + "\n".join(details(r) for r in results) + "\n```\n")
    with path.open("a") as f:
        f.write(head + "\n".join(text))
    print(f"recorded in {path}")


if __name__ == "__main__":
    sys.exit(main())
