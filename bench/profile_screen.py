"""Where one screen's time goes, in process: wall time, SQL statements and their time, Python time.

    .venv/bin/python bench/profile_screen.py "/personview/list/?_flt_2_last_name=Kuznetsov" --user bench_ab
    .venv/bin/python bench/profile_screen.py /personview/show/42 --sql        # every statement, slowest first
    .venv/bin/python bench/profile_screen.py /personview/show/42 --cprofile   # top functions by own time

Runs against the benchmark database of bench/screens.py (``--database``), with the users that
bench/generate.py --users made. The first request is timed apart (cold caches), then ``--repeat``
warm ones; the figures are means over the warm ones.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections import defaultdict
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import generate  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("path")
    p.add_argument("--user", default="bench_registry")
    p.add_argument("--password", default="parool-Bench-1")
    p.add_argument("--database", default="eks_bench_scale")
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument("--sql", action="store_true", help="print the statements of one warm request")
    p.add_argument("--cprofile", action="store_true", help="print the top functions of the warm requests")
    p.add_argument("--sort", default="tottime", help="cProfile order: tottime or cumulative")
    p.add_argument("--top", type=int, default=35)
    args = p.parse_args(argv)
    app = generate.make_app(generate.database_url(args.database))
    statements: list[tuple[float, str]] = []

    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _start(conn, cursor, statement, params, context, executemany):
        conn.info["t0"] = time.perf_counter()

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _stop(conn, cursor, statement, params, context, executemany):
        statements.append((time.perf_counter() - conn.info.pop("t0"), statement % params if params else statement))

    client = app.test_client()
    r = client.post("/login/", data={"username": args.user, "password": args.password})
    if r.status_code != 302:
        raise SystemExit(f"login failed for {args.user}: HTTP {r.status_code}")
    t = time.perf_counter()
    r = client.get(args.path)
    print(f"{args.path} as {args.user}: HTTP {r.status_code}, {len(r.data) / 1024:.0f} KB, "
          f"first request {1000 * (time.perf_counter() - t):.1f} ms")
    if r.status_code != 200:
        return 1
    profiler = cProfile.Profile() if args.cprofile else None
    walls, sql_times, counts = [], [], []
    last: list[tuple[float, str]] = []
    for _ in range(args.repeat):
        statements.clear()
        t = time.perf_counter()
        if profiler:
            profiler.enable()
        client.get(args.path)
        if profiler:
            profiler.disable()
        walls.append(time.perf_counter() - t)
        sql_times.append(sum(s for s, _ in statements))
        counts.append(len(statements))
        last = list(statements)
    n = len(walls)
    wall, sql = 1000 * sum(walls) / n, 1000 * sum(sql_times) / n
    print(f"warm mean over {n}: {wall:.1f} ms wall, {sql:.1f} ms in {sum(counts) / n:.0f} SQL statements, "
          f"{wall - sql:.1f} ms Python (min wall {1000 * min(walls):.1f} ms)")
    if args.sql:
        by_text: dict[str, float] = defaultdict(float)
        for s, text in last:
            by_text[" ".join(text.split())] += s
        for text, s in sorted(by_text.items(), key=lambda kv: -kv[1]):
            print(f"{1000 * s:7.2f} ms  {text[:400]}")
    if profiler:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
