"""Run the simulators as their own process.

    python -m app.simulators --register both --port 8081 --seed 1 --scale 100000

With ``both``, EHIS listens on ``--port`` and Kutseregister on ``--kutseregister-port`` (default
``--port`` + 1); each server also answers the other register under its path (``/ehis``,
``/kutseregister``), so either URL layout works. The defaults match ``EHIS_XROAD_URL`` and
``KUTSEREGISTER_XROAD_URL`` (http://127.0.0.1:8081/ehis, http://127.0.0.1:8082/kutseregister).
"""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time

from app.simulators.base import OUTCOMES, FaultConfig, PathDispatcher
from app.simulators.data import SimData
from app.simulators.ehis import EhisSimulator
from app.simulators.kutseregister import KutseregisterSimulator
from app.simulators.server import serve_in_thread


def _rate(value: str) -> float:
    rate = float(value)
    if not 0 <= rate <= 1:
        raise argparse.ArgumentTypeError("a rate is a share between 0 and 1")
    return rate


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m app.simulators", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--register", choices=("ehis", "kutseregister", "both"), default="both")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=None,
                   help="port (default 8081 for ehis and both, 8082 for kutseregister)")
    p.add_argument("--kutseregister-port", type=int, default=None, help="with --register both (default --port + 1)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--scale", type=int, default=10_000, help="number of graduates over all curricula")
    p.add_argument("--curricula", type=int, default=None, help="number of curricula (default: scale / 300, at least 12)")
    p.add_argument("--bad-rate", type=_rate, default=0.0, help="share of graduate records with bad data")
    p.add_argument("--revision", type=int, default=0, help="EHIS data revision (later calls: changed records)")
    p.add_argument("--quirks", action="store_true",
                   help="answer with other prefixes, a default namespace, CDATA, comments and unknown elements")
    g = p.add_argument_group("fault injection")
    g.add_argument("--latency-ms", type=float, default=0.0)
    g.add_argument("--error-rate", type=_rate, default=0.0, help="HTTP 503 with a plain-text body")
    g.add_argument("--fault-rate", type=_rate, default=0.0, help="HTTP 500 with a SOAP Fault")
    g.add_argument("--timeout-rate", type=_rate, default=0.0, help="no answer for --timeout-seconds")
    g.add_argument("--malformed-rate", type=_rate, default=0.0, help="HTTP 200 with a truncated body")
    g.add_argument("--lost-reply-rate", type=_rate, default=0.0,
                   help="changing services: done, then the reply is lost")
    g.add_argument("--lost-reply-mode", choices=("drop", "hang"), default="drop")
    g.add_argument("--timeout-seconds", type=float, default=30.0)
    g.add_argument("--fault-seed", type=int, default=None, help="default: --seed")
    g.add_argument("--fault-script", default="",
                   help=f"comma-separated outcomes of the first requests ({', '.join(OUTCOMES)})")
    g.add_argument("--fault-services", default="", help="comma-separated service codes random faults are limited to")
    p.add_argument("--log-level", default="INFO")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    started = time.perf_counter()
    data = SimData(args.seed, args.scale, curricula=args.curricula, bad_rate=args.bad_rate)

    def faults() -> FaultConfig:
        return FaultConfig(
            latency_ms=args.latency_ms, error_rate=args.error_rate, fault_rate=args.fault_rate,
            timeout_rate=args.timeout_rate, malformed_rate=args.malformed_rate,
            lost_reply_rate=args.lost_reply_rate, lost_reply_mode=args.lost_reply_mode,
            timeout_seconds=args.timeout_seconds,
            seed=args.seed if args.fault_seed is None else args.fault_seed,
            services=tuple(s for s in args.fault_services.split(",") if s) or None,
            script=[s.strip() for s in args.fault_script.split(",") if s.strip()],
        )

    ehis = EhisSimulator(data, faults(), quirks=args.quirks, revision=args.revision)
    kutseregister = KutseregisterSimulator(data, faults(), quirks=args.quirks)
    both = {"ehis": ehis, "kutseregister": kutseregister}
    servers = []
    if args.register in ("ehis", "both"):
        port = args.port if args.port is not None else 8081
        servers.append((serve_in_thread(PathDispatcher(ehis, **both), args.host, port), "ehis", "EHIS"))
    if args.register in ("kutseregister", "both"):
        if args.register == "both":
            port = args.kutseregister_port or servers[0][0].port + 1
        else:
            port = args.port if args.port is not None else 8082
        servers.append((serve_in_thread(PathDispatcher(kutseregister, **both), args.host, port),
                        "kutseregister", "Kutseregister"))
    log = logging.getLogger("app.simulators")
    log.info("data: seed %s, %s graduates in %s curricula, %s standard versions, %s awarding bodies (%.2f s)",
             data.seed, data.scale, len(data.curricula), len(data.standards), len(data.bodies),
             time.perf_counter() - started)
    for running, path, label in servers:
        log.info("%s simulator: %s", label, running.url(f"/{path}"))
    sys.stdout.flush()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    for running, _, _ in servers:
        running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
