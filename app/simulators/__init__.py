"""Simulators of EHIS and Kutseregister over X-Road (``contracts/xroad.md``), served over real
HTTP for the demo, the tests and the benchmarks.

    data = SimData(seed=1, scale=100_000)
    ehis = serve_in_thread(EhisSimulator(data))
    kr = serve_in_thread(KutseregisterSimulator(data, FaultConfig(fault_rate=0.1)))
    ... ehis.url("/ehis") ...

Run as a process: ``python -m app.simulators --register both --port 8081``.
"""
from app.simulators.base import FaultConfig, PathDispatcher
from app.simulators.data import SimData
from app.simulators.ehis import EhisSimulator
from app.simulators.kutseregister import KutseregisterSimulator
from app.simulators.server import RunningServer, serve_in_thread

__all__ = ["EhisSimulator", "FaultConfig", "KutseregisterSimulator", "PathDispatcher", "RunningServer",
           "SimData", "serve_in_thread"]
