#!/usr/bin/env python3
"""The one command for a newcomer: `python3 run.py` brings up a working demo.

It creates .venv and installs requirements.txt on first use, then (on SQLite, no Redis needed)
compiles the translations, applies the migrations, syncs the roles, starts simulators of EHIS
and Kutseregister in background threads and loads master data and graduate lists from them
through the import jobs (JobRuns, printed one line each), seeds illustrative exam data on top,
enters the finished certificates into the simulated Kutseregister with the export job, prints
the URL and one login per role, and serves the app. Options: --host, --port.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / "bin" / "python"


def ensure_venv() -> None:
    """Re-run this script with .venv's Python, creating the venv and installing requirements."""
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    marker = VENV / ".requirements-installed"
    requirements = ROOT / "requirements.txt"
    if not VENV_PYTHON.exists():
        print("Creating .venv …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    if not marker.exists() or marker.stat().st_mtime < requirements.stat().st_mtime:
        print("Installing requirements.txt into .venv (first start takes a minute or two) …", flush=True)
        subprocess.run([str(VENV_PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "-r", str(requirements)], check=True)
        marker.touch()
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]])


def compile_translations() -> None:
    """Compile translations/*/LC_MESSAGES/*.po when a .mo is missing or older."""
    stale = [po for po in ROOT.glob("translations/*/LC_MESSAGES/*.po")
             if not po.with_suffix(".mo").exists() or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime]
    if stale:
        pybabel = Path(sys.executable).parent / "pybabel"
        done = subprocess.run([str(pybabel), "compile", "-d", str(ROOT / "translations")],
                              capture_output=True, text=True)
        if done.returncode:
            print(done.stderr, file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description="Start the Eksamihaldus demo on SQLite.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()

    ensure_venv()
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    # Before the app (and config.py) is imported: plain HTTP on localhost, limits in memory.
    os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
    os.environ.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    compile_translations()

    from flask_migrate import upgrade

    from app import create_app
    from app.demo import logins_path, organisation_of, seed
    from app.demo_registers import IMPORTS, run_jobs, start_registers
    from app.security.sync import sync_roles

    app = create_app()
    with app.app_context():
        upgrade()
        sync_roles(app.appbuilder)
    servers = start_registers(app)
    print(f"Simulated registers: EHIS {servers[0].url('/ehis')}, Kutseregister {servers[1].url('/kutseregister')}")
    print("Loading master data and graduate lists through the import jobs:", flush=True)
    run_jobs(app, IMPORTS)
    with app.app_context():
        print("Seeding illustrative exam data on top …", flush=True)
        logins = seed(app.appbuilder)
    print("Entering certificates ready for the register through the export job:", flush=True)
    run_jobs(app, ["register_export"])
    with app.app_context():
        notes = {username: organisation_of(app.appbuilder, username) for _, username, _ in logins}
        database = app.config["SQLALCHEMY_DATABASE_URI"]
        saved = logins_path()

    url = f"http://{args.host}:{args.port}"
    lines = [f"Eksamihaldus demo: {url}", f"Database: {database}",
             "Master data and graduates come from the simulated EHIS and Kutseregister through the jobs",
             "(Jobs: /jobrunview/list/); exam data are illustrative. Logins (role, username / password):"]
    lines += [f"  {role:<20} {username:<10} / {password}   {notes[username]}".rstrip()
              for role, username, password in logins]
    if not logins:
        lines.append("  (none: the database already had data without demo users)")
    lines.append(f"Logins are kept in {saved}. Stop with Ctrl+C.")
    width = max(len(line) for line in lines)
    print("\n" + "=" * width + "\n" + "\n".join(lines) + "\n" + "=" * width + "\n", flush=True)
    app.run(host=args.host, port=args.port, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
