"""List queries that stay fast on millions of rows (issue 6), for every screen and API list.

- Counts stop at COUNT_CAP rows: an exact ``COUNT(*)`` over a million certificates costs more
  than the rest of the page. Up to the cap the count is exact; above it the screen says
  "more than 10 000" (CappedCount) and the pager ends at the cap (sorting and search narrow the
  list; the API's ``count`` is COUNT_CAP + 1 then, as its description says).
- A count of COUNT_CACHE_FROM rows or more (the costly ones) is kept for COUNT_CACHE_SECONDS
  per statement and parameters, which include the user's scope: paging and sorting a long list
  count it once. Small counts are always exact and fresh.
- Relations shown in a list are loaded for the whole page in one query each (selectinload), not
  one query per row; a view names the nested ones its labels need (``list_eager``). Not joined
  into the list query: with ten outer joins PostgreSQL would join whole tables before a search
  narrows them.
- A search of at most COUNT_CAP rows is sorted after filtering (an ORDER BY no index
  matches), so that PostgreSQL does not walk a sort index past thousands of non-matching rows.
- A deep page (an offset beyond DEFERRED_FROM rows) reads the ids of its rows first, from the
  covering sort index alone, and then only those rows ("deferred join").
- A relation to a table of thousands of rows (persons, enrolments, registrations…) is searched
  by text (name, isikukood, number) in a plain input instead of a dropdown holding every row;
  the text goes through the trigram and isikukood indexes (TEXT_SEARCH).
"""
from __future__ import annotations

import re
from contextvars import ContextVar
from typing import Any

from flask import has_app_context
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import SQLAFilterConverter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, DateTime, Integer, Numeric, String, and_, asc, desc, func, literal, or_, select, text
from sqlalchemy.orm import selectinload

from app import models as m
from app.security.scoping import ScopeFilter
from app.views.render_cache import kept

COUNT_CAP = 10_000
COUNT_CACHE_FROM, COUNT_CACHE_SECONDS = 1_000, 30.0
DEFERRED_FROM = 1_000
_sort_after_filter: ContextVar[bool] = ContextVar("sort_after_filter", default=False)
PERSONAL_CODE = re.compile(r"^\d{11}$")


class CappedCount(int):
    """A row count that stopped at COUNT_CAP + 1: arithmetic as a number, shown honestly."""

    capped: bool

    def __new__(cls, value: int):
        count = super().__new__(cls, min(value, COUNT_CAP + 1))
        count.capped = value > COUNT_CAP
        return count

    def __str__(self) -> str:
        shown = f"{COUNT_CAP:,}".replace(",", "\N{NO-BREAK SPACE}")
        if self.capped:
            return _("more than %(count)s", count=shown)
        return f"{int(self):,}".replace(",", "\N{NO-BREAK SPACE}")


# --------------------------------------------------------------------------- text search

def _words(value: str) -> list[str]:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return [w for w in escaped.split() if w]


def person_match(value: str):
    """An isikukood exactly, or every word in the first or the last name (trigram indexes)."""
    value = (value or "").strip()
    if PERSONAL_CODE.match(value):
        return m.Person.isikukood == value
    words = _words(value)
    if not words:
        return literal(False)
    return and_(*(or_(m.Person.first_name.ilike(f"%{w}%"), m.Person.last_name.ilike(f"%{w}%")) for w in words))


def _persons(value: str):
    return select(m.Person.id).where(person_match(value))


def _enrolments(value: str):
    return select(m.Enrolment.id).where(m.Enrolment.person_id.in_(_persons(value)))


def _registrations(value: str):
    return select(m.Registration.id).where(m.Registration.enrolment_id.in_(_enrolments(value)))


def _exam_sessions(value: str):
    words = _words((value or "").strip())
    standards = select(m.OccupationalStandard.id).where(
        and_(*(m.OccupationalStandard.name.ilike(f"%{w}%") for w in words)) if words else literal(False))
    return select(m.ExamSession.id).where(m.ExamSession.standard_id.in_(standards))


def _named(model: type):
    """Every word in the name (trigram index), or a register / EHIS code exactly."""
    code = getattr(model, "register_id", None) or getattr(model, "ehis_code", None)

    def ids(value: str):
        value = (value or "").strip()
        words = _words(value)
        condition = and_(*(model.name.ilike(f"%{w}%") for w in words)) if words else literal(False)
        if value.isdigit() and len(value) <= 12 and code is not None:
            condition = or_(condition, code == int(value))
        return select(model.id).where(condition)
    return ids


def _certificates(value: str):
    value = (value or "").strip()
    if PERSONAL_CODE.match(value):
        condition = m.Certificate.isikukood == value
    else:
        words = _words(value)
        condition = or_(m.Certificate.registration_number == value,
                        and_(*(m.Certificate.holder_name.ilike(f"%{w}%") for w in words)) if words else literal(False))
    return select(m.Certificate.id).where(condition)


# target model -> (ids matching a text, what the filter is called)
TEXT_SEARCH: dict[type, tuple[Any, Any]] = {
    m.Person: (_persons, _l("Name or isikukood")),
    m.Enrolment: (_enrolments, _l("Student's name or isikukood")),
    m.Registration: (_registrations, _l("Candidate's name or isikukood")),
    m.Result: (lambda v: select(m.Result.id).where(m.Result.registration_id.in_(_registrations(v))),
               _l("Candidate's name or isikukood")),
    m.Decision: (lambda v: select(m.Decision.id).where(m.Decision.registration_id.in_(_registrations(v))),
                 _l("Candidate's name or isikukood")),
    m.ExamSession: (_exam_sessions, _l("Standard name contains")),
    m.Certificate: (_certificates, _l("Holder, isikukood or number")),
    m.OccupationalStandard: (_named(m.OccupationalStandard), _l("Name or register code contains")),
    m.Curriculum: (_named(m.Curriculum), _l("Name or EHIS code contains")),
}


class FilterRelatedText(BaseFilter):
    """Rows whose related record matches a text (TEXT_SEARCH of the related model)."""

    arg_name = "txt"

    def __init__(self, column_name: str, datamodel, is_related_view: bool = False):
        super().__init__(column_name, datamodel, is_related_view)
        self.target = datamodel.get_related_model(column_name)
        self.name = TEXT_SEARCH[self.target][1]

    def apply(self, query, value):
        (fk,) = getattr(self.model, self.column_name).property.local_columns
        return query.filter(fk.in_(TEXT_SEARCH[self.target][0](str(value))))


class CachedFilterConverter(SQLAFilterConverter):
    """FAB builds a Filters object, and with it the filter objects of every column, several times
    per request; the filter objects hold only their column and model, so each is built once."""

    def convert(self, col_name):
        cache = self.datamodel.__dict__.setdefault("_eks_filters", {})
        if col_name not in cache:
            cache[col_name] = self._convert(col_name)
        return cache[col_name]

    def _convert(self, col_name):
        return super().convert(col_name)


class TextRelationFilterConverter(CachedFilterConverter):
    def _convert(self, col_name):
        if self.datamodel.is_relation_many_to_one(col_name) and \
                self.datamodel.get_related_model(col_name) in TEXT_SEARCH:
            return [FilterRelatedText(col_name, self.datamodel)]
        return super()._convert(col_name)


def text_relations(model: type, columns: list[str]) -> list[str]:
    """The columns of ``model`` searched by text rather than with a dropdown."""
    rels = model.__mapper__.relationships
    return [c for c in columns if c in rels and rels[c].mapper.class_ in TEXT_SEARCH
            and rels[c].direction.name == "MANYTOONE"]


# --------------------------------------------------------------------------- the interface

def _unindexed(column):
    """The column's value in an expression no index matches: the same order, sorted in memory."""
    if isinstance(column.type, String):
        return column.concat("")
    if isinstance(column.type, DateTime):
        return column + func.make_interval()
    if isinstance(column.type, (Date, Integer, Numeric)):
        return column + 0
    return column

class ScaleInterface(SQLAInterface):
    """SQLAInterface with capped counts and eager-loaded list relations; for screens also the
    text search of large relations (``text_search=True``)."""

    filter_converter_class = CachedFilterConverter

    def __init__(self, obj, session=None, text_search: bool = False):
        super().__init__(obj, session)
        self.pages_end_at_cap = text_search  # screens: the pager ends there; API clients may page on
        if text_search:
            self.filter_converter_class = TextRelationFilterConverter
        self.list_eager: list[str] = []

    def eager_options(self) -> list:
        options = []
        for path in self.list_eager:
            model, option = self.obj, None
            for name in path.split("."):
                attribute = getattr(model, name)
                option = selectinload(attribute) if option is None else option.selectinload(attribute)
                model = attribute.property.mapper.class_
            options.append(option)
        return options

    def _on_postgresql(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def _plan_in_written_order(self, select_columns) -> None:
        """FAB joins every related table of dotted API columns ("person.id"): with ten outer joins
        PostgreSQL spends ~10 ms choosing a join order for a one-row query. Outer joins on primary
        keys are best in the order written; this transaction plans them so."""
        if select_columns and any("." in c for c in select_columns) and self._on_postgresql():
            self.session.execute(text("SET LOCAL join_collapse_limit = 1"))

    def get(self, id, filters=None, select_columns=None, outer_default_load=False):
        """FAB's get copies the filters (building the filter objects of every column) to add the
        key; here the key is a plain condition on the query."""
        if self.is_pk_composite():
            return super().get(id, filters, select_columns, outer_default_load)
        key = self.obj.__mapper__.primary_key[0]
        if isinstance(key.type, Integer):
            try:
                id = int(id)
            except (TypeError, ValueError):
                return None  # /show/abc: not found, as in FAB
        self._plan_in_written_order(select_columns)
        query = self.session.query(self.obj).filter(key == id)
        query = self.apply_all(query, filters, select_columns=select_columns, outer_default_load=outer_default_load)
        item = query.one_or_none()
        if item is not None and hasattr(item, self.obj.__name__):
            return getattr(item, self.obj.__name__)
        return item

    def get_inner_filters(self, filters):
        """FAB copies the filters into a new Filters object, which builds the filter objects of
        every column of the model on each query (a fifth of a detail page's time); without dotted
        columns the copy equals the original."""
        if filters is None or not any("." in f.column_name for f in filters.filters):
            return filters
        return super().get_inner_filters(filters)

    def apply_order_by(self, query, order_column, order_direction, aliases_mapping=None,
                       bypass_many_to_many=False, add_pk=False):
        column = self.obj.__table__.c.get(order_column) if order_column else None
        if not _sort_after_filter.get() or column is None or not self._on_postgresql():
            return super().apply_order_by(query, order_column, order_direction, aliases_mapping,
                                          bypass_many_to_many, add_pk)
        direction = asc if order_direction == "asc" else desc
        return query.order_by(direction(_unindexed(column)), direction(_unindexed(self.obj.__table__.c.id)))

    def query_count(self, query, filters=None, select_columns=None) -> int:
        inner = self._apply_inner_all(query, filters, select_columns=select_columns, aliases_mapping={})
        limited = inner.with_entities(self.obj.__mapper__.primary_key[0]).order_by(None).limit(COUNT_CAP + 1).subquery()
        statement = select(func.count()).select_from(limited)

        def count() -> CappedCount:
            return CappedCount(self.session.execute(statement).scalar())

        key = statement._generate_cache_key()
        if key is None or not has_app_context():
            return count()
        key = (key.key, tuple(repr(b.effective_value) for b in key.bindparams))
        return kept("eks_count_cache", key, count, COUNT_CACHE_SECONDS, keep=lambda c: c >= COUNT_CACHE_FROM)

    def query(self, filters=None, order_column="", order_direction="", page=None, page_size=None,
              select_columns=None, outer_default_load=False):
        self._plan_in_written_order(select_columns)
        count = self.query_count(self.session.query(self.obj), filters, select_columns)
        if self.pages_end_at_cap and page and page_size and page * page_size > COUNT_CAP:
            page = COUNT_CAP // page_size  # the pager ends at the cap: sort or search to go further
        searched = filters is not None and any(not isinstance(f, ScopeFilter) for f in filters.filters)
        token = _sort_after_filter.set(searched and not count.capped)
        try:
            if not select_columns and count.capped and page and page_size and page * page_size > DEFERRED_FROM:
                ids = self.apply_all(self.session.query(self.obj.id), filters, order_column, order_direction,
                                     page, page_size).subquery()
                query = self.apply_all(self.session.query(self.obj).filter(self.obj.id.in_(select(ids.c.id))),
                                       None, order_column, order_direction)
            else:
                query = self.apply_all(self.session.query(self.obj), filters, order_column, order_direction,
                                       page, page_size, select_columns, outer_default_load)
        finally:
            _sort_after_filter.reset(token)
        if not select_columns and self.list_eager:
            query = query.options(*self.eager_options())
        rows = query.all()
        if rows and hasattr(rows[0], self.obj.__name__):  # FAB's outer query for to-many columns
            rows = [getattr(row, self.obj.__name__) for row in rows]
        return count, rows
