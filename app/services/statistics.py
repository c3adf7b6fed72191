"""Statistics: the summary table, the dashboard's figures, small-cell suppression, open data.

Every figure is grouped in the database. The exam records are summed once into
``stat_summary`` by a job (``refresh_summary``, one INSERT … SELECT … GROUP BY); the dashboard
then sums that table over all its groupings in ONE statement (``GROUPING SETS`` on PostgreSQL, a
``UNION ALL`` of GROUP BYs elsewhere), limited by the viewer's scope through
``app.security.scoping.scope_condition`` — the same filter every screen uses. Exam sessions are
counted live from ``exam_session`` (10,000s of rows, indexed) with the scope of ExamSession.

Definitions (each measure by the date of its own event, see app.models.statistics):
- season: spring = January–June, autumn = July–December (Tallinn time);
- attendance = attended / candidates with a result; pass rate = awarding decisions / confirmed
  decisions; share of graduates who took the exam = graduates who attended an exam / graduates;
- time from exam to decision: days from the exam's first day to the decision date (mean);
  time from decision to register entry: days from the decision date to ``registered_at`` (mean).

Small cells: the national figures shown to an awarding body or school beside their own, and all
open data, go through ``suppress``: no count between 1 and ``OPEN_DATA_MIN_COUNT - 1`` (default
5) is shown, nor a count whose complement within its group is that small (e.g. "18 of 20
passed" reveals a group of 2), nor a rate or mean over fewer than the minimum. Open data
publishes no row whose largest count is below the minimum. National figures beside a scoped
user's own are for the whole of Estonia (period, level and field filters apply; body and school
filters do not), and only by period, level, field and standard — never per organisation.
"""
from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, fields, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Date,
    Integer,
    and_,
    case,
    cast,
    delete,
    exists,
    extract,
    func,
    insert,
    literal,
    null,
    select,
    text,
    tuple_,
    union_all,
)

from app.models import (
    AwardingBody,
    Certificate,
    Curriculum,
    Decision,
    Enrolment,
    ExamSession,
    OccupationalStandard,
    OpenDataStat,
    Registration,
    Result,
    School,
    StatRefresh,
    StatSummary,
)
from app.models.base import utcnow
from app.models.statistics import SUMMARY_MEASURES
from app.security.scoping import is_unscoped, scope_condition
from app.validation import LEVEL_CODES

TIMEZONE = "Europe/Tallinn"
DEFAULT_MIN_COUNT = 5
SEASONS = {1: _l("spring"), 2: _l("autumn")}
PASSING = ("award", "award_other_level")

# name -> the summary columns it groups by
BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "total": (),
    "year": ("year",),
    "period": ("year", "season"),
    "level": ("ekr_level",),
    "field": ("field",),
    "standard": ("standard_id",),
    "awarding_body": ("awarding_body_id",),
    "school": ("school_id",),
    "curriculum": ("curriculum_id",),
}
BREAKDOWN_TITLES = {
    "year": _l("By year"),
    "period": _l("By year and season"),
    "level": _l("By EKR level"),
    "field": _l("By field"),
    "standard": _l("By occupational standard"),
    "awarding_body": _l("By awarding body"),
    "school": _l("By school"),
    "curriculum": _l("By curriculum"),
}
BREAKDOWN_KEY_LABELS = {
    "year": _l("Year"), "period": _l("Period"), "level": _l("EKR level"), "field": _l("Field"),
    "standard": _l("Occupational standard"), "awarding_body": _l("Awarding body"), "school": _l("School"),
    "curriculum": _l("Curriculum"),
}
# The dashboard reads stat_summary once, summed by these bases; every table is summed from one.
DASHBOARD_BASES = (("year", "season"), ("standard_id", "ekr_level", "field", "awarding_body_id"),
                   ("curriculum_id", "school_id"))
SESSION_BASES = DASHBOARD_BASES[:2]
# Tables with many groups: the page shows the largest (all of them in the downloads).
LONG_TABLES = ("standard", "awarding_body", "school", "curriculum")
# Sessions have no school or curriculum: a session examines candidates of many schools.
SESSION_BREAKDOWNS = ("total", "year", "period", "level", "field", "standard", "awarding_body")
# National figures beside a scoped user's own: never per organisation.
NATIONAL_BREAKDOWNS = ("total", "year", "period", "level", "field", "standard")

# Columns of every statistics table: key -> header (Estonian through the catalogue).
COLUMNS: dict[str, Any] = {
    "sessions": _l("Exam sessions"),
    "candidates": _l("Candidates"),
    "attended": _l("Attended"),
    "attendance": _l("Attendance %"),
    "decided": _l("Decisions"),
    "passed": _l("Passed"),
    "pass_rate": _l("Pass rate %"),
    "certificates": _l("Certificates issued"),
    "rejected": _l("Rejected by the register"),
    "decision_days": _l("Days from exam to decision (mean)"),
    "register_days": _l("Days from decision to register entry (mean)"),
    "graduates": _l("Graduates"),
    "graduates_examined": _l("Graduates who took the exam"),
    "examined_share": _l("Share of graduates who took the exam %"),
}
NATIONAL_COLUMNS: dict[str, Any] = {
    "candidates": _l("Candidates, Estonia"),
    "attendance": _l("Attendance %, Estonia"),
    "pass_rate": _l("Pass rate %, Estonia"),
    "certificates": _l("Certificates issued, Estonia"),
    "examined_share": _l("Share of graduates who took the exam %, Estonia"),
}


def min_count() -> int:
    if has_app_context():
        return int(current_app.config.get("OPEN_DATA_MIN_COUNT", DEFAULT_MIN_COUNT))
    return DEFAULT_MIN_COUNT


def _dialect(session) -> str:
    return session.get_bind().dialect.name


# --------------------------------------------------------------------------- SQL date helpers

def local_date(column, dialect: str):
    """The Tallinn calendar date of a timestamp with time zone."""
    if dialect == "postgresql":
        return cast(func.timezone(TIMEZONE, column), Date)
    return func.date(column)


def year_of(day):
    return cast(extract("year", day), Integer)


def season_of(day):
    return case((extract("month", day) <= 6, 1), else_=2)


def days_between(later, earlier, dialect: str):
    if dialect == "postgresql":
        return later - earlier  # date - date is an integer number of days
    return cast(func.julianday(later) - func.julianday(earlier), Integer)


# --------------------------------------------------------------------------- the summary table

def _branch(day, owner_from, standard, measures: dict[str, Any]):
    """One UNION ALL branch: the grain columns and every measure (0 where not given)."""
    ab, school, curriculum = owner_from
    return [
        year_of(day).label("year"), season_of(day).label("season"),
        ab.label("awarding_body_id"), school.label("school_id"), curriculum.label("curriculum_id"),
        standard.label("standard_id"),
        *[(measures.get(m, literal(0))).label(m) for m in SUMMARY_MEASURES],
    ]


def _flag(condition):
    return case((condition, 1), else_=0)


def summary_source(dialect: str):
    """Every counted event as one row of (grain, measures): registrations, confirmed decisions,
    certificates in or rejected by the register, graduates."""
    r, x, e, res, d, c = (Registration.__table__, ExamSession.__table__, Enrolment.__table__,
                          Result.__table__, Decision.__table__, Certificate.__table__)
    exam_day = local_date(x.c.starts_at, dialect)
    held = x.c.status.notin_(("draft", "cancelled"))

    registrations = (
        select(*_branch(exam_day, (r.c.awarding_body_id, r.c.school_id, e.c.curriculum_id), x.c.standard_id, {
            "candidates": literal(1),
            "results": _flag(res.c.id.is_not(None)),
            "attended": _flag(res.c.attended.is_(True)),
        }))
        .select_from(r.join(x, x.c.id == r.c.exam_session_id).join(e, e.c.id == r.c.enrolment_id)
                     .outerjoin(res, res.c.registration_id == r.c.id))
        .where(r.c.status == "registered", held)
    )
    decisions = (
        select(*_branch(exam_day, (d.c.awarding_body_id, d.c.school_id, e.c.curriculum_id), x.c.standard_id, {
            "decided": literal(1),
            "passed": _flag(d.c.outcome.in_(PASSING)),
            "decision_days": days_between(d.c.decision_date, exam_day, dialect),
        }))
        .select_from(d.join(r, r.c.id == d.c.registration_id).join(x, x.c.id == r.c.exam_session_id)
                     .join(e, e.c.id == r.c.enrolment_id))
        .where(d.c.status == "confirmed")
    )
    entered = and_(c.c.status == "registered", c.c.duplicate_of_id.is_(None))
    timed = and_(entered, c.c.registered_at.is_not(None), d.c.id.is_not(None))
    certificates = (
        select(*_branch(c.c.issue_date, (c.c.awarding_body_id, c.c.school_id, e.c.curriculum_id), c.c.standard_id, {
            "certificates": _flag(entered),
            "rejected": _flag(c.c.status == "rejected"),
            "register_days": case(
                (timed, days_between(local_date(c.c.registered_at, dialect), d.c.decision_date, dialect)), else_=0),
            "registered_timed": _flag(timed),
        }))
        .select_from(c.outerjoin(d, d.c.id == c.c.decision_id).outerjoin(r, r.c.id == d.c.registration_id)
                     .outerjoin(e, e.c.id == r.c.enrolment_id))
        .where(c.c.status.in_(("registered", "rejected")))
    )
    r2, res2 = r.alias("r2"), res.alias("res2")
    took_exam = exists(
        select(literal(1)).select_from(r2.join(res2, res2.c.registration_id == r2.c.id))
        .where(r2.c.enrolment_id == e.c.id, r2.c.status == "registered", res2.c.attended.is_(True))
    )
    graduated_on = func.coalesce(e.c.graduation_date, e.c.expected_graduation)
    graduates = (
        select(*_branch(graduated_on, (e.c.awarding_body_id, e.c.school_id, e.c.curriculum_id), e.c.standard_id, {
            "graduates": literal(1),
            "graduates_examined": _flag(took_exam),
        }))
        .select_from(e)
        .where(e.c.status == "lopetanud", graduated_on.is_not(None))
    )
    return union_all(registrations, decisions, certificates, graduates).subquery("events")


def refresh_summary(session) -> int:
    """Rebuild stat_summary in one transaction (readers see the old figures until the commit)."""
    dialect = _dialect(session)
    u = summary_source(dialect)
    s, cu = OccupationalStandard.__table__, Curriculum.__table__
    curriculum_level = case(*[(cu.c.level_code == code, level) for code, level in LEVEL_CODES.items()], else_=None)
    level = func.coalesce(s.c.ekr_level, curriculum_level)
    grain = [u.c.year, u.c.season, u.c.awarding_body_id, u.c.school_id, u.c.curriculum_id, u.c.standard_id]
    rows = (
        select(*grain, level.label("ekr_level"), s.c.field,
               *[func.sum(u.c[m]).label(m) for m in SUMMARY_MEASURES])
        .select_from(u.outerjoin(s, s.c.id == u.c.standard_id).outerjoin(cu, cu.c.id == u.c.curriculum_id))
        .group_by(*grain, s.c.ekr_level, s.c.field, cu.c.level_code)
    )
    target = StatSummary.__table__
    columns = ["year", "season", "awarding_body_id", "school_id", "curriculum_id", "standard_id",
               "ekr_level", "field", *SUMMARY_MEASURES]
    session.execute(delete(target))
    count = session.execute(insert(target).from_select(columns, rows)).rowcount
    _mark(session, "summary", count)
    session.commit()
    if dialect == "postgresql":  # fresh planner statistics for the rebuilt table
        session.execute(text("ANALYZE stat_summary"))
        session.commit()
    return count


def _mark(session, name: str, count: int, minimum: int | None = None) -> None:
    table = StatRefresh.__table__
    session.execute(delete(table).where(table.c.name == name))
    session.execute(insert(table).values(name=name, refreshed_at=utcnow(), row_count=count, min_count=minimum))


def refreshed_at(session, name: str = "summary") -> dt.datetime | None:
    table = StatRefresh.__table__
    return session.execute(select(table.c.refreshed_at).where(table.c.name == name)).scalar()


# --------------------------------------------------------------------------- filters

@dataclass(frozen=True)
class Filters:
    year_from: int | None = None
    year_to: int | None = None
    season: int | None = None
    ekr_level: int | None = None
    field: str | None = None
    awarding_body_id: int | None = None
    school_id: int | None = None

    @classmethod
    def from_args(cls, args) -> Filters:
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = (args.get(f.name) or "").strip() if hasattr(args, "get") else ""
            if not raw:
                continue
            if f.name == "field":
                values[f.name] = raw[:120]
                continue
            try:
                values[f.name] = int(raw)
            except ValueError:
                continue
        if values.get("season") not in (None, 1, 2):
            values.pop("season")
        return cls(**values)

    def as_args(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def national(self) -> Filters:
        return replace(self, awarding_body_id=None, school_id=None)

    @property
    def by_organisation(self) -> bool:
        return self.awarding_body_id is not None or self.school_id is not None

    def summary_where(self, t) -> list:
        where = []
        if self.year_from is not None:
            where.append(t.c.year >= self.year_from)
        if self.year_to is not None:
            where.append(t.c.year <= self.year_to)
        if self.season is not None:
            where.append(t.c.season == self.season)
        if self.ekr_level is not None:
            where.append(t.c.ekr_level == self.ekr_level)
        if self.field is not None:
            where.append(t.c.field == self.field)
        if self.awarding_body_id is not None:
            where.append(t.c.awarding_body_id == self.awarding_body_id)
        if self.school_id is not None:
            where.append(t.c.school_id == self.school_id)
        return where


# --------------------------------------------------------------------------- grouping

def grouped(session, source, measures: list[str], sets: dict[str, tuple[str, ...]], where=(),
            bases: tuple[tuple[str, ...], ...] | None = None) -> dict[str, list[dict]]:
    """Sum ``measures`` of ``source`` for every grouping set; returns {set name: [{dimension:
    value, measure: sum}, ...]}.

    The source is read once: its rows are first summed by the ``bases`` (default: the sets
    themselves) — in one pass with GROUPING SETS on PostgreSQL, a UNION ALL of GROUP BYs
    elsewhere — and each set is then summed from the smallest base that holds its dimensions
    (e.g. years and the total from the base (year, season)). All of it is one SQL statement."""
    candidates = tuple(bases) if bases else tuple(dict.fromkeys(sets.values()))

    def smallest(names):
        fitting = [b for b in candidates if set(names) <= set(b)]
        if not fitting:
            raise ValueError(f"no base holds the dimensions {names}")
        return min(fitting, key=len)

    chosen = {name: smallest(names) for name, names in sets.items()}
    bases = tuple(dict.fromkeys(chosen.values()))
    plan = {name: bases.index(base) for name, base in chosen.items()}
    cols = source.c
    dims: list[str] = []
    for names in bases:
        dims += [d for d in names if d not in dims]
    sums = [func.sum(cols[m]).label(m) for m in measures]
    if _dialect(session) == "postgresql" and len(bases) > 1:
        masks = [sum(1 << (len(dims) - 1 - i) for i, d in enumerate(dims) if d not in names) for names in bases]
        base = (select(*[cols[d] for d in dims], func.grouping(*[cols[d] for d in dims]).label("_g"), *sums)
                .where(*where)
                .group_by(func.grouping_sets(*[tuple_(*[cols[d] for d in names]) for names in bases]))).cte("base")
        base_of = {i: base.c._g == masks[i] for i in range(len(bases))}
    else:
        parts = [select(literal(i).label("_g"),
                        *[(cols[d] if d in names else cast(null(), cols[d].type)).label(d) for d in dims], *sums)
                 .where(*where).group_by(*[cols[d] for d in names]) for i, names in enumerate(bases)]
        base = (parts[0] if len(parts) == 1 else union_all(*parts)).cte("base")
        base_of = {i: base.c._g == i for i in range(len(bases))}
    outer = []
    for name, names in sets.items():
        outer.append(
            select(literal(name).label("_set"),
                   *[(base.c[d] if d in names else cast(null(), cols[d].type)).label(d) for d in dims],
                   *[func.coalesce(func.sum(base.c[m]), 0).label(m) for m in measures])
            .where(base_of[plan[name]]).group_by(*[base.c[d] for d in names]))
    out: dict[str, list[dict]] = {name: [] for name in sets}
    result = session.execute(outer[0] if len(outer) == 1 else union_all(*outer))
    position = {k: i for i, k in enumerate(result.keys())}
    wanted = {name: [(k, position[k]) for k in [*names, *measures]] for name, names in sets.items()}
    for row in result.tuples():  # plain tuples: a RowMapping per row costs more than the query
        out[row[0]].append({k: row[i] for k, i in wanted[row[0]]})
    return out


def _sessions_source(dialect: str, f: Filters, user, scoped_to_user: bool):
    x, s, r = ExamSession.__table__, OccupationalStandard.__table__, Registration.__table__
    day = local_date(x.c.starts_at, dialect)
    year, season = year_of(day), season_of(day)
    stmt = (
        select(year.label("year"), season.label("season"), s.c.ekr_level, s.c.field,
               x.c.standard_id, x.c.awarding_body_id, literal(1).label("sessions"))
        .select_from(x.join(s, s.c.id == x.c.standard_id))
        .where(x.c.status.notin_(("draft", "cancelled")))
    )
    if f.year_from is not None:
        stmt = stmt.where(year >= f.year_from)
    if f.year_to is not None:
        stmt = stmt.where(year <= f.year_to)
    if f.season is not None:
        stmt = stmt.where(season == f.season)
    if f.ekr_level is not None:
        stmt = stmt.where(s.c.ekr_level == f.ekr_level)
    if f.field is not None:
        stmt = stmt.where(s.c.field == f.field)
    if f.awarding_body_id is not None:
        stmt = stmt.where(x.c.awarding_body_id == f.awarding_body_id)
    if f.school_id is not None:  # sessions that examined the school's candidates
        stmt = stmt.where(x.c.id.in_(select(r.c.exam_session_id).where(
            r.c.school_id == f.school_id, r.c.status == "registered")))
    if scoped_to_user:
        condition = scope_condition(ExamSession, user)
        if condition is not None:
            stmt = stmt.where(condition)
    return stmt.subquery("sessions")


# --------------------------------------------------------------------------- rates and suppression

def _ratio(numerator, denominator, scale: int = 100) -> Decimal | None:
    if numerator is None or not denominator:
        return None
    return (Decimal(numerator) * scale / Decimal(denominator)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def with_rates(row: dict) -> dict:
    """Rates and means from the sums of one group (a quotient of two sums of the same group)."""
    out = dict(row)
    out["attendance"] = _ratio(row.get("attended"), row.get("results"))
    out["pass_rate"] = _ratio(row.get("passed"), row.get("decided"))
    out["examined_share"] = _ratio(row.get("graduates_examined"), row.get("graduates"))
    out["decision_days"] = _ratio(row.get("decision_days"), row.get("decided"), 1)
    out["register_days"] = _ratio(row.get("register_days"), row.get("registered_timed"), 1)
    return out


# (part, whole): a part is hidden when the rest of its whole is a small group
COMPLEMENTS = [("attended", "results"), ("passed", "decided"), ("graduates_examined", "graduates")]
COUNTS = ["sessions", "candidates", "results", "attended", "decided", "passed", "certificates", "rejected",
          "graduates", "graduates_examined", "registered_timed"]


def _small(value, minimum: int) -> bool:
    return value is not None and 0 < value < minimum


def suppress(row: dict, minimum: int) -> dict:
    """A copy of a group's sums and rates (``with_rates``) with small cells set to None."""
    out = dict(row)
    for part, whole in COMPLEMENTS:
        if row.get(part) is not None and row.get(whole) is not None and _small(row[whole] - row[part], minimum):
            out[part] = None
    for name in COUNTS:
        if _small(row.get(name), minimum):
            out[name] = None
    rates = {"attendance": ("attended", "results"), "pass_rate": ("passed", "decided"),
             "examined_share": ("graduates_examined", "graduates"), "decision_days": (None, "decided"),
             "register_days": (None, "registered_timed")}
    for rate, (part, whole) in rates.items():
        if rate in out and (out.get(whole) is None or (part and out.get(part) is None)
                            or (row.get(whole) or 0) < minimum):
            out[rate] = None
    return out


# --------------------------------------------------------------------------- the dashboard

@dataclass
class Table:
    name: str
    title: Any
    key_label: Any
    rows: list[dict]
    national: bool  # rows carry national figures ("national" dict)
    count: int = 0  # groups in all (``rows`` may hold only the largest)


@dataclass
class Dashboard:
    filters: Filters
    scoped: bool
    show_national: bool
    suppressed_national: bool
    totals: dict
    national_totals: dict | None
    tables: dict[str, Table]
    refreshed_at: dt.datetime | None
    min_count: int


def _key(name: str, row: dict) -> tuple:
    return tuple(row[d] for d in BREAKDOWNS[name])


class _Cache:
    """Figures that stay the same until stat_summary is rebuilt, by (database, rebuild time, what):
    the national sums and session counts every viewer is compared with, and the filter options
    of a scope. Computed once per rebuild instead of once per page."""

    def __init__(self, size: int = 128):
        self.size, self.data, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, session, refreshed: dt.datetime | None, what: tuple, compute):
        if refreshed is None:  # never rebuilt: nothing to key on
            return compute()
        key = (str(session.get_bind().url), refreshed, what)
        with self.lock:
            if key in self.data:
                self.data.move_to_end(key)
                return self.data[key]
        value = compute()
        with self.lock:
            self.data[key] = value
            while len(self.data) > self.size:
                self.data.popitem(last=False)
        return value

    def clear(self) -> None:
        with self.lock:
            self.data.clear()


NATIONAL_CACHE = _Cache()


def national_sums(session, f: Filters, sets: dict[str, tuple[str, ...]], refreshed=None) -> dict[str, list[dict]]:
    """stat_summary summed over the whole country (``f`` without its organisation filters)."""
    nf = f.national()
    t = StatSummary.__table__
    return NATIONAL_CACHE.get(
        session, refreshed, ("sums", nf, tuple(sets)),
        lambda: grouped(session, t, list(SUMMARY_MEASURES), sets, nf.summary_where(t), DASHBOARD_BASES))


def national_sessions(session, f: Filters, sets: dict[str, tuple[str, ...]], refreshed=None) -> dict[str, list[dict]]:
    """Exam sessions of the whole country (as of the last rebuild, like the other national figures)."""
    nf = f.national()
    return NATIONAL_CACHE.get(
        session, refreshed, ("sessions", nf, tuple(sets)),
        lambda: grouped(session, _sessions_source(_dialect(session), nf, None, False), ["sessions"], sets, (),
                        SESSION_BASES))


def dashboard(session, user, f: Filters, only: list[str] | None = None, limit: int | None = None,
              full: tuple[str, ...] = ()) -> Dashboard:
    """All figures of the dashboard for ``user`` under filters ``f``. ``only``: just these tables;
    ``limit``: at most this many rows (the largest groups) in the long tables except those in ``full``."""
    dialect = _dialect(session)
    scoped = not is_unscoped(user)
    names = only or [n for n in BREAKDOWNS if n != "total"]
    sets = {n: BREAKDOWNS[n] for n in ["total", *names]}
    t = StatSummary.__table__
    where = f.summary_where(t)
    condition = scope_condition(StatSummary, user)
    refreshed = refreshed_at(session)
    if condition is None and not f.by_organisation:
        own = national_sums(session, f, sets, refreshed)  # the whole country: shared with every viewer
    else:
        if condition is not None:
            where.append(condition)
        own = grouped(session, t, list(SUMMARY_MEASURES), sets, where, DASHBOARD_BASES)
    session_sets = {n: BREAKDOWNS[n] for n in sets if n in SESSION_BREAKDOWNS}
    if condition is None and not f.by_organisation:
        sessions = national_sessions(session, f, session_sets, refreshed)
    else:
        sessions = grouped(session, _sessions_source(dialect, f, user, True), ["sessions"], session_sets, (),
                           SESSION_BASES)

    show_national = scoped or f.by_organisation
    national = national_counts = None
    minimum = min_count()
    if show_national:
        national_sets = {n: BREAKDOWNS[n] for n in sets if n in NATIONAL_BREAKDOWNS}
        national = national_sums(session, f, national_sets, refreshed)
        national_counts = national_sessions(
            session, f, {n: BREAKDOWNS[n] for n in national_sets if n in SESSION_BREAKDOWNS}, refreshed)

    def keyed(name, rows, session_rows, extra_keys=()) -> dict[tuple, dict]:
        """Sums by group key, with the sessions; a group only in ``extra_keys`` has zeros."""
        by_key = {_key(name, r): r for r in rows}
        counted = {_key(name, r): r["sessions"] for r in (session_rows or {}).get(name, [])}
        out = {}
        for key in {*by_key, *counted, *extra_keys}:
            row = dict(by_key.get(key) or {**dict(zip(BREAKDOWNS[name], key, strict=True)),
                                           **{m: 0 for m in SUMMARY_MEASURES}})
            row["sessions"] = counted.get(key, 0) if name in SESSION_BREAKDOWNS else None
            out[key] = row
        return out

    def national_row(name, key, national_rows):
        row = national_rows.get(key)
        if row is None:
            return None
        row = with_rates(row)
        return suppress(row, minimum) if scoped else row

    totals = with_rates(keyed("total", own["total"], sessions)[()])
    national_totals = None
    if show_national:
        national_totals = national_row("total", (), keyed("total", national["total"], national_counts))

    tables: dict[str, Table] = {}
    labels = _Labels(session)
    for name in names:
        nat = (keyed(name, national.get(name, []), national_counts)
               if show_national and name in NATIONAL_BREAKDOWNS else None)
        # over time, every period of the country has a row (the viewer's own may be zero)
        rows = list(keyed(name, own.get(name, []), sessions,
                          nat.keys() if nat and name in ("year", "period") else ()).values())
        rows.sort(key=lambda r, n=name: _sort_key(n, r))
        count = len(rows)
        if limit and name in LONG_TABLES and name not in full:
            rows = rows[:limit]
        rows = [with_rates(r) for r in rows]
        for row in rows:
            labels.want(name, row)
            if nat is not None:
                row["national"] = national_row(name, _key(name, row), nat)
        tables[name] = Table(name, BREAKDOWN_TITLES[name], BREAKDOWN_KEY_LABELS[name], rows, nat is not None, count)
    labels.load()
    for name, table in tables.items():
        for row in table.rows:
            row["label"] = labels.label(name, row)
        if name not in ("year", "period", "level"):  # equal volumes in the order of their names
            table.rows.sort(key=lambda r, n=name: _sort_key(n, r))
    return Dashboard(f, scoped, show_national, scoped, totals, national_totals, tables, refreshed, minimum)


def _sort_key(name: str, row: dict):
    """Time and levels in order; other groups largest first (then by name, then by id)."""
    dims = BREAKDOWNS[name]
    if name in ("year", "period", "level"):
        return tuple((row[d] is None, row[d] or 0) for d in dims)
    volume = (row["candidates"] or 0) + (row["certificates"] or 0) + (row["graduates"] or 0)
    value = row[dims[0]]
    return (-volume, row.get("label", ""), value is None, value if value is not None else 0)


class _Labels:
    """Names for the ids in the tables: one query per kind, for the ids shown only."""

    KINDS = {"standard": ("standard_id", OccupationalStandard), "awarding_body": ("awarding_body_id", AwardingBody),
             "school": ("school_id", School), "curriculum": ("curriculum_id", Curriculum)}

    def __init__(self, session):
        self.session = session
        self.ids: dict[str, set[int]] = {k: set() for k in self.KINDS}
        self.names: dict[str, dict[int, str]] = {}

    def want(self, name: str, row: dict) -> None:
        if name in self.KINDS and row.get(self.KINDS[name][0]) is not None:
            self.ids[name].add(row[self.KINDS[name][0]])

    def load(self) -> None:
        for kind, ids in self.ids.items():
            if not ids:
                self.names[kind] = {}
                continue
            model = self.KINDS[kind][1]
            if model is OccupationalStandard:
                stmt = select(model.id, model.name, model.register_id)
            elif model is Curriculum:
                stmt = select(model.id, model.name, model.ehis_code)
            else:
                stmt = select(model.id, model.name, literal(None))
            self.names[kind] = {
                i: f"{n} ({code})" if code is not None else n
                for i, n, code in self.session.execute(stmt.where(model.id.in_(sorted(ids))))
            }

    def label(self, name: str, row: dict) -> str:
        if name == "year":
            return str(row["year"])
        if name == "period":
            return f"{row['year']} {SEASONS.get(row['season'], '')}"
        if name == "level":
            return str(_l("level %(level)s", level=row["ekr_level"])) if row["ekr_level"] else str(_l("not known"))
        if name == "field":
            return row["field"] or str(_l("not known"))
        column = self.KINDS[name][0]
        if row.get(column) is None:
            return str(_l("none (not from a school's curriculum)")) if name in ("school", "curriculum") else \
                str(_l("not known"))
        return self.names.get(name, {}).get(row[column], f"#{row[column]}")


def filter_choices(session, user, refreshed=None) -> dict[str, list[tuple[Any, str]]]:
    """Options of the filter form; organisations from the viewer's own scope (cached per scope
    until the next rebuild)."""
    from app.security.scoping import role_names

    scope = (frozenset(role_names(user)), getattr(user, "awarding_body_id", None), getattr(user, "school_id", None))
    return NATIONAL_CACHE.get(session, refreshed, ("choices", scope), lambda: _filter_choices(session, user))


def _filter_choices(session, user) -> dict[str, list[tuple[Any, str]]]:
    t = StatSummary.__table__
    low, high = session.execute(select(func.min(t.c.year), func.max(t.c.year))).one()
    years = list(range(high, low - 1, -1)) if low is not None else []
    levels = [row[0] for row in session.execute(
        select(OccupationalStandard.ekr_level).distinct().order_by(OccupationalStandard.ekr_level))]
    field_rows = session.execute(select(OccupationalStandard.field).where(OccupationalStandard.field.is_not(None))
                                 .distinct().order_by(OccupationalStandard.field))
    condition = scope_condition(StatSummary, user)

    def organisations(model, column):
        stmt = select(model.id, model.name).order_by(model.name)
        if condition is not None:  # only organisations that appear in the viewer's own figures
            ids = session.scalars(select(column).where(condition, column.is_not(None)).distinct()).all()
            stmt = stmt.where(model.id.in_(ids))
        return [(i, n) for i, n in session.execute(stmt)]

    return {
        "years": [(y, str(y)) for y in years],
        "seasons": [(k, str(v)) for k, v in SEASONS.items()],
        "levels": [(lv, str(lv)) for lv in levels],
        "fields": [(fv[0], fv[0]) for fv in field_rows],
        "awarding_bodies": organisations(AwardingBody, t.c.awarding_body_id),
        "schools": organisations(School, t.c.school_id),
    }


# --------------------------------------------------------------------------- tables as rows

def table_rows(dash: Dashboard, name: str) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of one statistics table for CSV/XLSX (the same columns as on screen)."""
    table = dash.tables[name]
    keys = [k for k in COLUMNS if not (k == "sessions" and name not in SESSION_BREAKDOWNS)]
    headers = [str(table.key_label)] + [str(COLUMNS[k]) for k in keys]
    national_keys = list(NATIONAL_COLUMNS) if table.national else []
    headers += [str(NATIONAL_COLUMNS[k]) for k in national_keys]
    rows = []
    for row in table.rows:
        values = [row["label"]] + [row.get(k) for k in keys]
        nat = row.get("national") or {}
        values += [nat.get(k) for k in national_keys]
        rows.append(values)
    return headers, rows


# --------------------------------------------------------------------------- open data

OPEN_DATASETS: dict[str, tuple[str, ...]] = {
    "aasta": ("year",),
    "poolaasta": ("year", "season"),
    "tase": ("year", "ekr_level"),
    "valdkond": ("year", "field"),
    "kutsestandard": ("year", "standard_id"),
    "kutse_andja": ("year", "awarding_body_id"),
    "kool": ("year", "school_id"),
}
OPEN_DATA_TITLES = {
    "aasta": _l("By year"), "poolaasta": _l("By year and season"), "tase": _l("By year and EKR level"),
    "valdkond": _l("By year and field"), "kutsestandard": _l("By year and occupational standard"),
    "kutse_andja": _l("By year and awarding body"), "kool": _l("By year and school"),
}
# column of open_data_stat -> machine-readable name in CSV and JSON
OPEN_DATA_FIELDS = {
    "dataset": "andmestik", "year": "aasta", "group_code": "kood", "group_label": "nimetus",
    "candidates": "kandidaadid", "attended": "osalejad", "decided": "otsused", "passed": "sooritajad",
    "pass_rate": "sooritusprotsent", "certificates": "kutsetunnistused", "graduates": "lopetajad",
    "graduates_examined": "eksamil_osalenud_lopetajad",
}
OPEN_DATA_HEADERS = {
    "dataset": _l("Dataset"), "year": _l("Year"), "group_code": _l("Code"), "group_label": _l("Group"),
    "candidates": _l("Candidates"), "attended": _l("Attended"), "decided": _l("Decisions"),
    "passed": _l("Passed"), "pass_rate": _l("Pass rate %"), "certificates": _l("Certificates issued"),
    "graduates": _l("Graduates"), "graduates_examined": _l("Graduates who took the exam"),
}
PUBLISHED = ["candidates", "attended", "decided", "passed", "certificates", "graduates", "graduates_examined"]


def _open_label_maps(session) -> dict[str, dict[Any, tuple[str, str]]]:
    """group id -> (public code, name) for the datasets keyed by an organisation or standard."""
    return {
        "standard_id": {i: (str(code), name) for i, code, name in session.execute(
            select(OccupationalStandard.id, OccupationalStandard.register_id, OccupationalStandard.name))},
        "awarding_body_id": {i: (code, name) for i, code, name in session.execute(
            select(AwardingBody.id, AwardingBody.registrikood, AwardingBody.name))},
        "school_id": {i: (str(code), name) for i, code, name in session.execute(
            select(School.id, School.ehis_id, School.name))},
    }


def open_data_rows(session, minimum: int) -> list[dict]:
    """The anonymised rows: national sums per dataset, small cells suppressed, small rows dropped."""
    t = StatSummary.__table__
    result = grouped(session, t, list(SUMMARY_MEASURES), OPEN_DATASETS)
    maps = _open_label_maps(session)
    out = []
    for dataset, names in OPEN_DATASETS.items():
        dimension = names[1] if len(names) > 1 else None
        for row in result[dataset]:
            if max(row[m] for m in ("candidates", "certificates", "graduates")) < minimum:
                continue  # no row below the minimum count
            if dimension in maps and row[dimension] is None:
                continue  # e.g. certificates of people who did not come from a school
            safe = suppress(with_rates(row), minimum)
            code = label = None
            if dimension == "season":
                code, label = str(row["season"]), str(SEASONS[row["season"]])
            elif dimension == "ekr_level":
                code = label = str(row["ekr_level"]) if row["ekr_level"] is not None else None
            elif dimension == "field":
                code, label = None, row["field"]
            elif dimension in maps:
                code, label = maps[dimension].get(row[dimension], (str(row[dimension]), ""))
            out.append({"dataset": dataset, "year": row["year"], "group_code": code, "group_label": label,
                        **{m: safe.get(m) for m in PUBLISHED}, "pass_rate": safe.get("pass_rate")})
    return out


def refresh_open_data(session, minimum: int | None = None) -> int:
    """Materialise the open data table from stat_summary (rebuild stat_summary first)."""
    minimum = minimum if minimum is not None else min_count()
    rows = open_data_rows(session, minimum)
    table = OpenDataStat.__table__
    session.execute(delete(table))
    if rows:
        session.execute(insert(table), rows)
    _mark(session, "open_data", len(rows), minimum)
    session.commit()
    return len(rows)


def open_data(session, dataset: str | None = None) -> list[dict]:
    t = OpenDataStat.__table__
    stmt = select(*[t.c[k] for k in OPEN_DATA_FIELDS]).order_by(t.c.dataset, t.c.year, t.c.group_label)
    if dataset:
        stmt = stmt.where(t.c.dataset == dataset)
    return [dict(row) for row in session.execute(stmt).mappings()]


def open_data_meta(session) -> dict[str, Any]:
    table = StatRefresh.__table__
    row = session.execute(select(table).where(table.c.name == "open_data")).mappings().first()
    return dict(row) if row else {}


# --------------------------------------------------------------------------- jobs

def summary_job(ctx) -> None:
    """Job "statistics": rebuild the dashboard's summary table."""
    session = current_app.appbuilder.session
    ctx.set_total(1)
    ctx.count(created=refresh_summary(session))
    ctx.advance()


def open_data_job(ctx) -> None:
    """Job "open_data": rebuild the summary, then the published anonymised aggregates."""
    session = current_app.appbuilder.session
    ctx.set_total(2)
    refresh_summary(session)
    ctx.advance()
    ctx.count(created=refresh_open_data(session))
    ctx.advance()


__all__ = [
    "BREAKDOWNS", "COLUMNS", "Dashboard", "Filters", "OPEN_DATASETS", "dashboard", "filter_choices",
    "grouped", "open_data", "refresh_open_data", "refresh_summary", "suppress", "table_rows", "with_rates",
]
