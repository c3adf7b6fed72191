"""Nightly and periodic jobs: a small loop that starts jobs at the times in ``JOB_SCHEDULE``.

rq 2.12 has no cron. ``flask eksamihaldus scheduler`` wakes up every ``JOB_SCHEDULER_TICK``
seconds, works out which entries fell due since its last look, and starts each through
``app.jobqueue.start`` — the same path as the JobRun screen and the CLI, so the run is recorded
and the database's dedup keeps a job that still waits or runs from being queued twice.

``JOB_SCHEDULE`` is a comma-separated list of ``kind@HH:MM`` (every day at that local time,
``TIMEZONE``, default Europe/Tallinn) and ``kind@*/Nm`` or ``kind@*/Nh`` (every N minutes or
hours), e.g. ``register_sync@02:00, ehis_sync@02:30, graduate_import@03:00,
register_export@*/15m``. An empty value schedules nothing.

Each moment fires once even with several scheduler processes: with Redis, a ``SET NX`` key per
(kind, moment) is claimed first; without Redis, run only one scheduler. Moments missed while no
scheduler ran are not caught up (the next one comes soon enough for syncs that are incremental).
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)

ACTOR = "ajastaja"
DEFAULT_SCHEDULE = ("register_sync@02:00, ehis_sync@02:30, graduate_import@03:00, reconciliation@04:00, "
                    "register_export@*/15m")
_ENTRY = re.compile(r"^(?P<kind>[a-z_][a-z0-9_]*)@(?:(?P<hh>\d{1,2}):(?P<mm>\d{2})|\*/(?P<n>\d+)(?P<unit>[mh]))$")


@dataclass(frozen=True)
class Entry:
    kind: str
    at: dt.time | None = None  # every day at this local time
    every: int | None = None  # or every this many minutes
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def moments(self, start: dt.datetime, end: dt.datetime, tz: ZoneInfo) -> list[str]:
        """Keys of this entry's moments in (start, end] (aware datetimes)."""
        if self.every:
            step = self.every * 60
            first, last = int(start.timestamp()) // step, int(end.timestamp()) // step
            return [f"{self.kind}@*/{self.every}m#{n}" for n in range(first + 1, last + 1)]
        keys = []
        a, b = start.astimezone(tz), end.astimezone(tz)
        day = a.date()
        while day <= b.date():
            # wall-clock comparison: a time skipped by a DST change still fires, a repeated one once
            wall = dt.datetime.combine(day, self.at)
            if a.replace(tzinfo=None) < wall <= b.replace(tzinfo=None):
                keys.append(f"{self.kind}@{day.isoformat()}T{self.at:%H:%M}")
            day += dt.timedelta(days=1)
        return keys


def parse_schedule(text: str | None, kinds: Iterable[str] | None = None) -> list[Entry]:
    """Entries of a ``JOB_SCHEDULE`` value; a malformed entry or an unknown kind is an error."""
    entries = []
    for raw in re.split(r"[,\s]+", (text or "").strip()):
        if not raw:
            continue
        match = _ENTRY.match(raw)
        if match is None:
            raise ValueError(f"JOB_SCHEDULE: cannot read {raw!r} (use kind@HH:MM or kind@*/Nm or kind@*/Nh)")
        kind = match["kind"]
        if kinds is not None and kind not in kinds:
            raise ValueError(f"JOB_SCHEDULE: unknown job kind {kind!r}")
        if match["hh"] is not None:
            hour, minute = int(match["hh"]), int(match["mm"])
            if hour > 23 or minute > 59:
                raise ValueError(f"JOB_SCHEDULE: no such time in {raw!r}")
            entries.append(Entry(kind, at=dt.time(hour, minute)))
        else:
            n = int(match["n"]) * (60 if match["unit"] == "h" else 1)
            if n < 1:
                raise ValueError(f"JOB_SCHEDULE: the interval in {raw!r} must be at least 1 minute")
            entries.append(Entry(kind, every=n))
    return entries


class Claims:
    """Each moment is claimed once: in Redis across processes, else in this process."""

    def __init__(self, redis_url: str | None = None, ttl: int = 2 * 86400):
        self.ttl = ttl
        self._seen: dict[str, None] = {}
        self._redis = None
        if redis_url:
            from redis import Redis

            self._redis = Redis.from_url(redis_url)

    def claim(self, key: str) -> bool:
        if self._redis is not None:
            return bool(self._redis.set(f"eksamihaldus:schedule:{key}", "1", nx=True, ex=self.ttl))
        if key in self._seen:
            return False
        self._seen[key] = None
        while len(self._seen) > 10_000:
            self._seen.pop(next(iter(self._seen)))
        return True


class Scheduler:
    def __init__(self, app, entries: list[Entry] | None = None, claims: Claims | None = None,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)):
        from jobs.registry import KINDS

        self.app = app
        self.entries = entries if entries is not None else parse_schedule(
            app.config.get("JOB_SCHEDULE", DEFAULT_SCHEDULE), KINDS)
        self.tz = ZoneInfo(app.config.get("TIMEZONE") or "Europe/Tallinn")
        self.claims = claims if claims is not None else Claims(
            None if app.config.get("JOBS_INLINE") else app.config.get("REDIS_URL"))
        self.clock = clock
        self.last = clock()

    def tick(self) -> list[tuple[str, int, bool]]:
        """Start what fell due since the last tick; returns (kind, run id, created) per start."""
        from app.jobqueue import start
        from app.services.jobruns import sweep_stale

        now = self.clock()
        started = []
        with self.app.app_context():
            for run_id in sweep_stale(self.app.appbuilder.session):
                log.warning("job run #%s lost its worker: marked failed", run_id)
        for entry in self.entries:
            for key in entry.moments(self.last, now, self.tz):
                if not self.claims.claim(key):
                    continue
                with self.app.app_context():
                    try:
                        run, created = start(entry.kind, dict(entry.params), actor=ACTOR)
                    except Exception:  # one broken start must not stop the schedule
                        log.exception("scheduled %s failed to start", key)
                        continue
                    log.info("scheduled %s: run #%s %s", key, run.id,
                             "queued" if created else f"not queued, #{run.id} is still {run.status}")
                    started.append((entry.kind, run.id, created))
        self.last = now
        return started

    def run_forever(self, stop: threading.Event | None = None) -> None:
        stop = stop or threading.Event()
        tick = float(self.app.config.get("JOB_SCHEDULER_TICK", 30))
        log.info("scheduler: %s", ", ".join(
            f"{e.kind}@{e.at:%H:%M}" if e.at else f"{e.kind}@*/{e.every}m" for e in self.entries) or "nothing")
        while not stop.wait(tick):
            try:
                self.tick()
            except Exception:  # e.g. the database or Redis is briefly away: try again next tick
                log.exception("scheduler tick failed")
