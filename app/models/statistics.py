"""Derived statistics tables, rebuilt by jobs from the exam records (app.services.statistics).

``stat_summary`` holds the figures of the dashboard at the finest grain it filters and groups by:
(year, season, awarding body, school, curriculum, standard). Each measure is counted by the date
of its own event: candidates, results and decisions by the exam's start, certificates by their
issue date, graduates by their graduation date. ``open_data_stat`` holds the published,
anonymised aggregates; ``stat_refresh`` when each was last rebuilt.

These tables are not domain records: no validation, no audit trail, no foreign keys (a rebuild
replaces every row), and they are written only with set-based SQL.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import DateTime, Index, Integer, Numeric, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

# Additive measures of stat_summary, in the order the dashboard shows them.
SUMMARY_MEASURES = (
    "candidates",          # registrations (not withdrawn) in exam sessions that were not cancelled
    "results",             # ... of them with a result entered (attended or absent)
    "attended",            # ... of them attended
    "decided",             # confirmed kutsekomisjon decisions
    "passed",              # ... of them awarding a qualification (this or another level)
    "decision_days",       # sum of days from the exam's start to the decision (over `decided`)
    "certificates",        # certificates entered into Kutseregister (duplicates not counted)
    "rejected",            # certificates rejected by Kutseregister
    "register_days",       # sum of days from the decision to the register entry ...
    "registered_timed",    # ... over this many certificates (with a decision and an entry time)
    "graduates",           # graduates (enrolments with status "lõpetanud")
    "graduates_examined",  # ... of them who took an exam (attended)
)


class StatSummary(Model):
    __tablename__ = "stat_summary"
    __table_args__ = (Index("ix_stat_summary_year_season", "year", "season"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    season: Mapped[int] = mapped_column(SmallInteger, nullable=False)  # 1 spring (Jan–Jun), 2 autumn
    awarding_body_id: Mapped[int | None] = mapped_column(Integer, index=True)
    school_id: Mapped[int | None] = mapped_column(Integer, index=True)
    curriculum_id: Mapped[int | None] = mapped_column(Integer)
    standard_id: Mapped[int | None] = mapped_column(Integer)
    ekr_level: Mapped[int | None] = mapped_column(SmallInteger)
    field: Mapped[str | None] = mapped_column(String(120))
    candidates: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    results: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    attended: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    decided: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    passed: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    decision_days: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    certificates: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    rejected: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    register_days: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    registered_timed: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    graduates: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    graduates_examined: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class OpenDataStat(Model):
    """One published row: a dataset (grouping), a year and a group; a NULL count is suppressed."""

    __tablename__ = "open_data_stat"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(30), nullable=False, index=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    group_code: Mapped[str | None] = mapped_column(String(60))
    group_label: Mapped[str | None] = mapped_column(String(255))
    candidates: Mapped[int | None] = mapped_column(Integer)
    attended: Mapped[int | None] = mapped_column(Integer)
    decided: Mapped[int | None] = mapped_column(Integer)
    passed: Mapped[int | None] = mapped_column(Integer)
    pass_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    certificates: Mapped[int | None] = mapped_column(Integer)
    graduates: Mapped[int | None] = mapped_column(Integer)
    graduates_examined: Mapped[int | None] = mapped_column(Integer)


class StatRefresh(Model):
    """When a derived table was last rebuilt (name: "summary" or "open_data")."""

    __tablename__ = "stat_refresh"

    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    refreshed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    row_count: Mapped[int] = mapped_column(Integer, nullable=False)
    min_count: Mapped[int | None] = mapped_column(Integer)
