"""Screens at ten times Estonia's scale, under load (issue 6): gunicorn + wrk on loopback.

    .venv/bin/python bench/screens.py              # generate the data if missing, then measure
    .venv/bin/python bench/screens.py --generate   # always generate a fresh dataset first

1. The dataset comes from bench/generate.py (the statistics benchmark's generator): 1,000,000
   certificates, 500,000 persons, 200,000 enrolments, 10,000 exam sessions with registrations,
   results and decisions, 30 awarding bodies, 40 schools, over 25 years.
2. The app runs under gunicorn (3 sync workers) on 127.0.0.1 with the production settings
   (CSRF on; the session cookie comes from a real login form, the API token from the API login).
3. For each screen, as registry staff and as the user of awarding body 1: wrk with 8 connections
   for a fixed time (requests/s, p50, p95, errors), then wrk with one connection (the server time
   of a single request, mean). Beside them: the same figures for the 500-row reference list
   (occupational standards, as registry staff).

Targets: every screen >= 100 requests/s with p95 <= 150 ms under 8 connections on 2 cores,
single request <= 30 ms, no errors. Prints a table (``--markdown`` for the README) and appends it
to bench/RESULTS.md with ``--record``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote_plus

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import generate  # noqa: E402

PASSWORD = "parool-Bench-1"
TARGET_RPS, TARGET_P95_MS, TARGET_SINGLE_MS = 100, 150, 30
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
               + summary.errors.status + summary.errors.timeout
  io.write(string.format('WRKJSON {"requests": %d, "seconds": %f, "p50": %f, "p95": %f, "mean": %f, "errors": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency.mean / 1000, errors))
end
"""


def sample_ids(url: str) -> dict:
    """Real records to look at: a person of awarding body 1 with a certificate, and so on."""
    engine = sa.create_engine(url)
    with engine.connect() as c:
        q = lambda sql: c.execute(sa.text(sql)).scalar()  # noqa: E731
        cert = q("SELECT max(id) FROM certificate WHERE awarding_body_id = 1")
        person = q(f"SELECT person_id FROM certificate WHERE id = {cert}")
        first, last, ik = c.execute(sa.text(f"SELECT first_name, last_name, isikukood FROM person WHERE id = {person}")).one()
        enrolment = q("SELECT max(id) FROM enrolment WHERE awarding_body_id = 1")
        registration = q("SELECT max(id) FROM registration WHERE awarding_body_id = 1")
    engine.dispose()
    return {"cert": cert, "person": person, "name": f"{first} {last}", "last": last, "ik": ik,
            "enrolment": enrolment, "registration": registration}


def deep_pages(base: str, api_header: str) -> dict[str, int]:
    """Per list, the page holding row 9 976, or the user's last page when their list is shorter
    (a page past the end would be answered without a query). Counts come from the API, which
    applies the user's scope as the screens do (capped at 10 001)."""
    name, value = api_header.split(": ", 1)
    pages = {}
    for view in ("CertificateView", "PersonView", "EnrolmentView", "RegistrationView"):
        resource = view.removesuffix("View").lower()
        r = httpx.get(f"{base}/api/v1/{resource}/?q=(page_size:1)", headers={name: value}, timeout=60)
        r.raise_for_status()
        pages[view] = min(399, (r.json()["count"] - 1) // 25)
    return pages


def screens(ids: dict, deep: dict[str, int]) -> list[tuple[str, str]]:
    """(name, path) of every screen the issue lists."""
    name, last, ik = quote_plus(ids["name"]), quote_plus(ids["last"]), ids["ik"]
    out = []
    for view, text_col, order, pk in [("CertificateView", "holder_name", "issue_date", ids["cert"]),
                                      ("PersonView", "last_name", "birth_date", ids["person"]),
                                      ("EnrolmentView", "person", "expected_graduation", ids["enrolment"]),
                                      ("RegistrationView", "enrolment", "status", ids["registration"])]:
        base = f"/{view.lower()}/list/"
        text = {"holder_name": f"_flt_2_holder_name={name}", "last_name": f"_flt_2_last_name={last}",
                "person": f"_flt_0_person={name}", "enrolment": f"_flt_0_enrolment={name}"}[text_col]
        code = {"holder_name": f"_flt_3_isikukood={ik}", "last_name": f"_flt_3_isikukood={ik}",
                "person": f"_flt_0_person={ik}", "enrolment": f"_flt_0_enrolment={ik}"}[text_col]
        short = view.removesuffix("View").lower()
        out += [(f"{short}: first page", base), (f"{short}: name search", f"{base}?{text}"),
                (f"{short}: isikukood", f"{base}?{code}"),
                (f"{short}: sorted by date", f"{base}?_oc_{view}={order}&_od_{view}=asc"),
                (f"{short}: deep page (row {deep[view] * 25 + 1:,})".replace(",", " "),
                 f"{base}?page_{view}={deep[view]}"),
                (f"{short}: detail with tabs", f"/{view.lower()}/show/{pk}")]
    out += [("API certificate list", "/api/v1/certificate/"), ("API certificate get", f"/api/v1/certificate/{ids['cert']}")]
    return out


def interpreter() -> str:
    """The Python that gunicorn runs on (this one): its build moves every figure (README)."""
    return f"Python {platform.python_version()} at {os.path.realpath(sys.executable)}"


def start_server(url: str, port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "SESSION_COOKIE_SECURE": "false", "LOG_LEVEL": "WARNING"}
    env["SECRET_KEY"] = secrets.token_hex(32)  # every worker must sign sessions with the same key
    env.pop("REDIS_URL", None)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    proc = subprocess.Popen([gunicorn, "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
                             "app:create_app()"], cwd=ROOT, env=env, start_new_session=True)
    for _ in range(120):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login/", timeout=2).status_code < 500:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def login(base: str, username: str) -> tuple[str, str]:
    """(session cookie header, API bearer header) through the real login form and API login."""
    with httpx.Client(base_url=base, follow_redirects=False) as client:
        page = client.get("/login/").text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        r = client.post("/login/", data={"username": username, "password": PASSWORD, "csrf_token": token})
        assert r.status_code == 302 and "login" not in r.headers.get("location", ""), f"login failed for {username}"
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        r = client.post("/api/v1/security/login", json={"username": username, "password": PASSWORD, "provider": "db"})
        r.raise_for_status()
    return f"Cookie: {cookie}", f"Authorization: Bearer {r.json()['access_token']}"


def wrk(url: str, header: str, connections: int, seconds: int, script: str) -> dict:
    out = subprocess.run(["wrk", "-t", str(min(connections, 2)), "-c", str(connections), "-d", f"{seconds}s",
                          "--timeout", "10s", "-s", script, "-H", header, url],
                         capture_output=True, text=True, check=True).stdout
    result = json.loads(out.split("WRKJSON ", 1)[1].splitlines()[0])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def check(base: str, path: str, header: str) -> int:
    name, value = header.split(": ", 1)
    r = httpx.get(base + path, headers={name: value}, timeout=30)
    if r.status_code != 200:
        raise SystemExit(f"{path}: HTTP {r.status_code}")
    return len(r.content)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database", default="eks_bench_scale")
    p.add_argument("--generate", action="store_true", help="generate a fresh dataset first")
    p.add_argument("--duration", type=int, default=8, help="seconds of load per screen")
    p.add_argument("--single-duration", type=int, default=3, help="seconds of one-connection requests per screen")
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--workers", type=int, default=3)
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--only", help="only screens whose name contains this text")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    p.add_argument("--record", action="store_true", help="append the table to bench/RESULTS.md")
    args = p.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    url = generate.database_url(args.database)
    engine = sa.create_engine(generate.database_url("postgres"))
    with engine.connect() as c:
        exists = c.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": args.database}).first()
    engine.dispose()
    if args.generate or not exists:
        generate.create_database(url)
        generate.generate(url)
        generate.create_users(generate.make_app(url))
    ids = sample_ids(url)
    proc = start_server(url, args.port, args.workers)
    base = f"http://127.0.0.1:{args.port}"
    rows = []
    try:
        headers = {user: login(base, user) for user in ("bench_registry", "bench_ab")}
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(WRK_SCRIPT)
        plan = [("reference: 500-row list (standards)", "/standardview/list/", "bench_registry")]
        for user in ("bench_registry", "bench_ab"):
            plan += [(name, path, user) for name, path in screens(ids, deep_pages(base, headers[user][1]))]
        for name, path, user in plan:
            if args.only and args.only not in name and not name.startswith("reference"):
                continue  # the reference runs always: figures compare only within one run
            header = headers[user][1 if path.startswith("/api/") else 0]
            size = check(base, path, header)
            load = wrk(base + path, header, args.connections, args.duration, f.name)
            single = wrk(base + path, header, 1, args.single_duration, f.name)
            row = {"screen": name, "user": "registry" if user == "bench_registry" else "awarding body",
                   "rps": load["rps"], "p50": load["p50"], "p95": load["p95"], "errors": load["errors"],
                   "single": single["mean"], "kb": size / 1024}
            rows.append(row)
            print(f"{row['screen']:<38} {row['user']:<13} {row['rps']:7.1f}/s  p50 {row['p50']:6.1f}  "
                  f"p95 {row['p95']:6.1f}  single {row['single']:5.1f} ms  err {row['errors']}  {row['kb']:.0f} KB",
                  flush=True)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    table = markdown(rows, args)
    if args.markdown:
        print(table)
    if args.record:
        with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as out:
            out.write(f"\n## Screens under load ({time.strftime('%Y-%m-%d %H:%M')}, load average "
                      f"{os.getloadavg()[0]:.2f})\n\n`python bench/screens.py` (gunicorn {args.workers} workers, "
                      f"wrk {args.connections} connections x {args.duration} s per screen; {interpreter()})"
                      f"\n\n{table}\n")
    met = [r for r in rows if r["rps"] >= TARGET_RPS and r["p95"] <= TARGET_P95_MS
           and r["single"] <= TARGET_SINGLE_MS and r["errors"] == 0]
    print(f"\nserver: {interpreter()}")
    print(f"{len(met)} of {len(rows)} screens meet every target (>= {TARGET_RPS}/s, p95 <= {TARGET_P95_MS} ms, "
          f"single <= {TARGET_SINGLE_MS} ms, no errors)")
    if rows and rows[0]["screen"].startswith("reference"):
        ref = rows[0]["rps"]
        print(f"slowest screen vs the 500-row reference: {min(r['rps'] for r in rows) / ref:.2f} of its requests/s")
    return 0


def markdown(rows: list[dict], args) -> str:
    lines = ["| screen | user | req/s | p50 ms | p95 ms | single ms | errors | page KB |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['screen']} | {r['user']} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | "
              f"{r['single']:.1f} | {r['errors']} | {r['kb']:.0f} |" for r in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
