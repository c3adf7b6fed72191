"""The simulators: deterministic, realistic data; the SOAP surface; fault injection; the CLI.

Pure HTTP on 127.0.0.1 (no database). Timings are printed (run with ``-s``), not asserted.
"""
from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from stdnum.ee import ik, registrikood

from app.simulators import (
    EhisSimulator,
    FaultConfig,
    KutseregisterSimulator,
    PathDispatcher,
    SimData,
    serve_in_thread,
)
from app.simulators.data import (
    EXPIRED_RIGHT_STANDARD,
    EXPIRED_STANDARD,
    KELNER,
    KELNER_RIGHT_END,
    NO_RIGHT_STANDARDS,
    REAL_CURRICULA,
    SIM_TODAY,
)
from app.xroad import EhisClient, KutseregisterClient
from app.xroad import envelope as env
from app.xroad.codes import isikukood_birth_date
from app.xroad.settings import XRoadIdentifier

ROOT = Path(__file__).resolve().parents[1]
CLIENT_ID = XRoadIdentifier.parse("EE/COM/90006414/eksamihaldus")
EHIS_ID = XRoadIdentifier.parse("EE/GOV/70000740/ehis")
EHIS_NS = "http://producers.ehis.xtee.riik.ee/producer/ehis"


@pytest.fixture(scope="module")
def world() -> SimData:
    return SimData(3, 20_000)


def all_graduates(data: SimData) -> list[tuple[int, list]]:
    return [(c.code, values) for c in data.curricula for _, values in data.graduates(c.code)]


# --------------------------------------------------------------------------- data

def test_same_seed_same_data_other_seed_other_data():
    a, b, c = SimData(11, 2_000), SimData(11, 2_000), SimData(12, 2_000)
    assert [(x.code, x.kool_id, x.level, x.count, x.links) for x in a.curricula] == \
           [(x.code, x.kool_id, x.level, x.count, x.links) for x in b.curricula]
    assert [(s.register_id, s.valid_from, s.competences) for s in a.standards] == \
           [(s.register_id, s.valid_from, s.competences) for s in b.standards]
    assert [(x.registrikood, x.rights, x.committees) for x in a.bodies] == \
           [(x.registrikood, x.rights, x.committees) for x in b.bodies]
    # graduates: same in any order of asking (generated per curriculum on demand)
    last = a.curricula[-1].code
    assert a.graduates(last) == b.graduates(last)
    for x in reversed(b.curricula):
        b.graduates(x.code)
    assert all_graduates(a) == all_graduates(b)
    assert all_graduates(a) != all_graduates(c)
    assert sum(x.count for x in a.curricula) == 2_000


def test_personal_and_registry_codes_are_valid(world):
    codes: dict[str, tuple[str, str]] = {}
    foreign = 0
    for _, v in all_graduates(world):
        isikukood, birth, first, last = v[:4]
        if isikukood is None:
            foreign += 1
            assert birth is not None
            continue
        assert ik.is_valid(isikukood), isikukood
        if birth:
            assert isikukood_birth_date(isikukood).isoformat() == birth
        # one code, one person: the same code always carries the same name
        assert codes.setdefault(isikukood, (first, last)) == (first, last)
    assert foreign > 0
    for body in world.bodies:
        assert registrikood.is_valid(body.registrikood), body
        for _, members in body.committees:
            assert all(ik.is_valid(m.isikukood) for m in members)
            assert [m.role for m in members][:2] == ["1", "2"] and {m.role for m in members[2:]} == {"3"}
    for school in world.schools:
        assert registrikood.is_valid(school.registrikood), school
    assert len({b.registrikood for b in world.bodies} | {s.registrikood for s in world.schools}) == \
        len(world.bodies) + len(world.schools)


def test_graduates_look_real(world):
    rows = [v for _, v in all_graduates(world)]
    text = " ".join(f"{v[2]} {v[3]}" for v in rows)
    for letter in "õäöüšž":
        assert letter in text.lower(), letter
    assert any("-" in v[3] for v in rows) and any("-" in v[2] for v in rows)
    assert any(" " in v[2] for v in rows) and any("'" in v[3] for v in rows)
    assert {v[8] for v in rows} == {"oppimas", "lopetanud", "valja_arvatud", "akadeemilisel_puhkusel"}
    assert {v[7] for v in rows} == {"statsionaarne", "mittestatsionaarne", "toopohine"}
    assert {v[6] for v in rows} == {"et", "ru", "en"}
    years = Counter(v[9][:4] for v in rows)
    assert set(years) == {"2024", "2025", "2026", "2027"}
    for v in rows:
        if v[8] == "lopetanud":
            assert v[10] and v[10] <= SIM_TODAY.isoformat()
    people = Counter()
    for _, v in all_graduates(world):
        if v[0]:
            people[v[0]] += 1
    assert any(n > 1 for n in people.values())  # somebody studies in two curricula
    for c in world.curricula:
        ids = [v[0] for _, v in world.graduates(c.code) if v[0]]
        assert len(ids) == len(set(ids))  # but nobody twice in one curriculum


def test_master_data_follows_the_reference(world):
    by_code = world.curricula_by_code
    for code, kool_id, _, level, standard, _ in REAL_CURRICULA:
        assert (by_code[code].kool_id, by_code[code].level, by_code[code].links[0][0]) == (kool_id, level, standard)
    assert by_code[222502].links[0][2]  # Barber: the partial qualification
    levels = {421: 2, 431: 3, 441: 4, 442: 4, 443: 4, 452: 5, 453: 5}
    for c in world.curricula:
        assert c.level in levels
        if c.links:
            assert levels[c.level] == max(world.standards_by_id[s].ekr for s, _, _ in c.links)
    assert any(c.no_standard for c in world.curricula)
    current = set(world.current_standards)
    assert any(s not in current for c in world.curricula for s, _, _ in c.links)  # an expired version linked
    assert any(len(c.links) == 2 for c in world.curricula)
    groups = Counter(s.group_id for s in world.standards)
    assert max(groups.values()) == 2 and world.standards_by_id[EXPIRED_STANDARD].valid_to < SIM_TODAY
    for day in (dt.date(2024, 6, 15), dt.date(2026, 6, 15), dt.date(2027, 6, 15)):
        for s in world.standards:
            holders = [b for b in world.bodies if any(r.standard_id == s.register_id and r.valid_on(day) for r in b.rights)]
            assert len(holders) <= 1, (s.name, day)
    assert all(world.holder(rid, dt.date(2025, 6, 1)) is None for rid in NO_RIGHT_STANDARDS)
    assert world.holder(EXPIRED_RIGHT_STANDARD, SIM_TODAY) is None
    assert world.holder(KELNER, KELNER_RIGHT_END) is not None
    assert world.holder(KELNER, KELNER_RIGHT_END + dt.timedelta(days=1)) is None
    assert any(not b.rights for b in world.bodies)


def test_bad_rate_corrupts_only_chosen_records():
    clean, dirty = SimData(4, 3_000), SimData(4, 3_000, bad_rate=0.1)
    a, b = all_graduates(clean), all_graduates(dirty)
    changed = sum(1 for x, y in zip(a, b, strict=True) if x != y)
    assert 0.05 * len(a) < changed < 0.15 * len(a)


def test_generation_of_100000_graduates_is_fast_enough():
    started = time.perf_counter()
    data = SimData(1, 100_000)
    n = sum(1 for _ in data.iter_all_graduates())
    elapsed = time.perf_counter() - started
    assert n == 100_000
    print(f"\ngenerated {n} graduates in {len(data.curricula)} curricula in {elapsed:.2f} s "
          f"({n / elapsed:,.0f} records/s)")


# --------------------------------------------------------------------------- SOAP surface

def _post(url: str, body: bytes) -> httpx.Response:
    return httpx.post(url, content=body, headers={"Content-Type": env.CONTENT_TYPE, "SOAPAction": '""'})


def _request(service_code: str, fields, service=EHIS_ID, namespace=EHIS_NS) -> tuple[bytes, str]:
    return env.build_request(client=CLIENT_ID, service=service, service_code=service_code,
                             namespace=namespace, fields=fields, user_id="EE38001085718")


def test_response_echoes_header_and_uses_the_producer_namespace(world):
    running = serve_in_thread(EhisSimulator(world))
    try:
        body, message_id = _request("oppeasutused", [("koolId", 1041)])
        response = _post(running.url("/ehis"), body)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/xml")
        msg = env.parse_response(response.content, "oppeasutused")
        assert msg.message_id == message_id and msg.user_id == "EE38001085718"
        assert msg.client == CLIENT_ID and msg.service == EHIS_ID and msg.service_code == "oppeasutused"
        assert msg.wrapper.tag == f"{{{EHIS_NS}}}oppeasutusedResponse"
        assert all(c.tag.startswith("{") is False for c in msg.wrapper.iter() if c is not msg.wrapper)
        assert httpx.get(running.url("/health")).text == "ok"
        assert httpx.get(running.url("/ehis")).status_code == 405
    finally:
        running.stop()


def test_requests_the_register_would_reject_get_a_soap_fault(world):
    running = serve_in_thread(EhisSimulator(world))
    try:
        url = running.url("/ehis")
        cases = {
            b"<not-xml": "Vigane päring",
            env.to_bytes(env.envelope()[0]): "Body on tühi",
        }
        no_header = env.envelope()
        env.add_fields(no_header[1], [("oppeasutused", [("koolId", 1)])])
        cases[env.to_bytes(no_header[0])] = "X-Road päis puudub"
        cases[_request("tundmatu", [])[0]] = "Tundmatu teenus tundmatu"
        cases[_request("oppeasutused", [], service=XRoadIdentifier.parse("EE/GOV/1/x"))[0]] = "ei ole selles turvaserveris"
        for body, text in cases.items():
            response = _post(url, body)
            assert response.status_code == 500, text
            with pytest.raises(Exception) as err:
                env.parse_response(response.content, "oppeasutused")
            assert text in str(err.value)
    finally:
        running.stop()


def test_paging_parameters_are_checked(world):
    running = serve_in_thread(EhisSimulator(world))
    try:
        for fields, element in (([("leht", 1)], "oppekavaKood"),
                                ([("oppekavaKood", 130219), ("lehePikkus", 0)], "lehePikkus"),
                                ([("oppekavaKood", 130219), ("lehePikkus", 1001)], "lehePikkus"),
                                ([("oppekavaKood", 130219), ("leht", 0)], "leht"),
                                ([("oppekavaKood", "abc")], "oppekavaKood"),
                                ([("oppekavaKood", 130219), ("lopetamineAlates", "2025-13-01")], "lopetamineAlates")):
            response = _post(running.url("/ehis"), _request("kutseoppeLopetajad", fields)[0])
            assert response.status_code == 200
            with pytest.raises(Exception) as err:
                env.parse_response(response.content, "kutseoppeLopetajad")
            assert err.value.errors[0].element == element
        # defaults: first page of 500; a page past the end is empty but still counts
        response = _post(running.url("/ehis"), _request("kutseoppeLopetajad", [("oppekavaKood", 130219), ("leht", 99)])[0])
        wrapper = env.parse_response(response.content, "kutseoppeLopetajad").wrapper
        assert env.child_text(wrapper, "kirjeteArv") == str(world.curricula_by_code[130219].count)
        assert env.child_text(wrapper, "lehePikkus") == "500" and not env.path_children(wrapper, "lopetajad", "lopetaja")
    finally:
        running.stop()


def test_fault_injection_is_deterministic_for_a_seed():
    def outcomes(seed: int) -> list[str]:
        faults = FaultConfig(error_rate=0.1, fault_rate=0.1, timeout_rate=0.1, malformed_rate=0.1, seed=seed)
        return [faults.decide("x", mutating=False) for _ in range(200)]

    first = outcomes(5)
    assert first == outcomes(5) and first != outcomes(6)
    counts = Counter(first)
    assert set(counts) == {"ok", "error", "fault", "timeout", "malformed"} and counts["ok"] > 80
    limited = FaultConfig(fault_rate=1.0, services=("kutseoppeLopetajad",))
    assert limited.decide("oppekavad", False) == "ok" and limited.decide("kutseoppeLopetajad", False) == "fault"
    lost = FaultConfig(lost_reply_rate=1.0)
    assert lost.decide("kutsetunnistuseLisamine", True) == "lost" and lost.decide("oppekavad", False) == "ok"
    with pytest.raises(ValueError):
        FaultConfig(script=["boom"])


def test_control_endpoint_and_latency(world):
    sim = EhisSimulator(world)
    running = serve_in_thread(PathDispatcher(sim, ehis=sim, kutseregister=KutseregisterSimulator(world)))
    try:
        state = httpx.post(running.url("/_sim"), json={"faults": {"latency_ms": 150, "script": ["fault"]},
                                                       "revision": 1}).json()
        assert state["faults"]["latency_ms"] == 150 and state["revision"] == 1
        assert httpx.post(running.url("/_sim"), json={"nonsense": 1}).status_code == 400
        cfg = {"EHIS_XROAD_URL": running.url("/ehis"), "XROAD_BACKOFF": 0.0,
               "KUTSEREGISTER_XROAD_URL": running.url("/kutseregister")}
        with EhisClient.from_config(cfg) as client:
            started = time.perf_counter()
            client.oppeasutused()
            assert time.perf_counter() - started >= 0.3  # two answers, 150 ms each
        with KutseregisterClient.from_config(cfg) as client:
            assert client.kutse_andja_info().items
        stats = httpx.get(running.url("/ehis/_sim")).json()["stats"]
        assert stats["fault"] == 1 and stats["service:oppeasutused"] == 2
        assert httpx.get(running.url("/kutseregister/_sim")).json()["certificates"] == 0
    finally:
        running.stop()


def test_connections_are_kept_alive_and_faults_drop_or_keep_them(world):
    sim = EhisSimulator(world, FaultConfig(timeout_seconds=30))
    running = serve_in_thread(sim)
    body = _request("oppeasutused", [("koolId", 1041)])[0]
    headers = {"Content-Type": env.CONTENT_TYPE, "SOAPAction": '""'}
    try:
        # HTTP/1.1 keep-alive: one connection for many calls, also after SOAP faults, errors and
        # malformed answers (contracts/xroad.md §1)
        conn = http.client.HTTPConnection("127.0.0.1", running.port, timeout=5)
        sim.faults.push("ok", "fault", "error", "malformed", "ok")
        statuses, socks = [], set()
        for _ in range(5):
            conn.request("POST", "/ehis", body, headers)
            response = conn.getresponse()
            response.read()
            assert response.version == 11 and (response.getheader("Connection") or "").lower() != "close"
            statuses.append(response.status)
            socks.add(id(conn.sock))
        assert statuses == [200, 500, 503, 200, 200] and len(socks) == 1
        conn.close()

        # a lost reply: the connection is closed without a single byte of answer
        sim.faults.push("lost")
        with socket.create_connection(("127.0.0.1", running.port), timeout=5) as raw:
            raw.sendall(b"POST /ehis HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
                        b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            assert raw.recv(65536) == b""
        assert sim.stats["lost"] == 1

        # a timeout: no answer until the client gives up; stop() does not wait for the sleeper
        sim.faults.push("timeout")
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(running.url("/ehis"), content=body, headers=headers, timeout=httpx.Timeout(5, read=0.5))
        assert httpx.get(running.url("/health")).text == "ok"
    finally:
        started = time.perf_counter()
        running.stop()
        stopped = time.perf_counter() - started
    assert stopped < 2, stopped
    assert not running.thread.is_alive()
    with pytest.raises(httpx.ConnectError):
        httpx.get(running.url("/health"), timeout=1)


def test_a_later_revision_changes_some_graduates(world):
    code = max(world.curricula, key=lambda c: c.count).code
    before, after = world.graduates(code, 0), world.graduates(code, 1)
    assert [v[0] for _, v in before] == [v[0] for _, v in after]
    changed = [(b, a) for (_, b), (_, a) in zip(before, after, strict=True) if a != b]
    assert 0 < len(changed) < len(before) // 5
    assert any(b[8] == "oppimas" and a[8] == "lopetanud" for b, a in changed)
    assert any(b[3] != a[3] for b, a in changed)


# --------------------------------------------------------------------------- as a process

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_cli(*args: str) -> tuple[subprocess.Popen, int, int]:
    ehis_port, kr_port = _free_port(), _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.simulators", "--register", "both", "--port", str(ehis_port),
         "--kutseregister-port", str(kr_port), "--log-level", "WARNING", *args],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(proc.stdout.read().decode())
        try:
            if httpx.get(f"http://127.0.0.1:{kr_port}/health", timeout=0.5).text == "ok" and \
                    httpx.get(f"http://127.0.0.1:{ehis_port}/health", timeout=0.5).text == "ok":
                return proc, ehis_port, kr_port
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("simulator process did not start")


def _stream_all(client: EhisClient, codes: list[int], page_size: int) -> tuple[int, float]:
    started = time.perf_counter()
    n = 0
    for code in codes:
        for record in client.kutseoppe_lopetajad(code, page_size=page_size):
            n += record.ok
    return n, time.perf_counter() - started


def test_cli_process_serves_both_registers_and_stream_throughput():
    proc, ehis_port, kr_port = _start_cli("--seed", "1", "--scale", "20000", "--curricula", "1")
    try:
        cfg = {"EHIS_XROAD_URL": f"http://127.0.0.1:{ehis_port}/ehis",
               "KUTSEREGISTER_XROAD_URL": f"http://127.0.0.1:{kr_port}/kutseregister"}
        with KutseregisterClient.from_config(cfg) as kr:
            assert len(kr.kutse_andja_info().items) == 21
        with EhisClient.from_config(cfg) as ehis:
            assert [c.ehis_code for c in ehis.oppekavad().items] == [130219]
            _stream_all(ehis, [130219], 1000)  # warm the simulator's cache
            n, elapsed = _stream_all(ehis, [130219], 1000)
        assert n == 20_000
        print(f"\nEHIS stream, separate process, 1 curriculum, pages of 1000: {n} graduates in "
              f"{elapsed:.2f} s = {n / elapsed:,.0f} records/s")
        state = json.loads(httpx.get(f"http://127.0.0.1:{ehis_port}/_sim").text)
        assert state["scale"] == 20_000 and state["stats"]["service:kutseoppeLopetajad"] == 40
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.returncode == 0


def test_stream_throughput_over_many_curricula():
    proc, ehis_port, _ = _start_cli("--seed", "2", "--scale", "20000")
    try:
        cfg = {"EHIS_XROAD_URL": f"http://127.0.0.1:{ehis_port}/ehis"}
        with EhisClient.from_config(cfg) as ehis:
            codes = [c.ehis_code for c in ehis.oppekavad().items]
            n, elapsed = _stream_all(ehis, codes, 500)  # cold: the simulator generates as it goes
        assert n == 20_000
        print(f"\nEHIS stream, separate process, {len(codes)} curricula, pages of 500, cold: {n} graduates in "
              f"{elapsed:.2f} s = {n / elapsed:,.0f} records/s")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
