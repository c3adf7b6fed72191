"""Exports of list screens and statistics tables as CSV or XLSX.

A list export is the screen's own query: its search filters and order (from the request's query
string), its base filters — the scope of app.security.scoping — and its columns, labels and
value formats. Rows stream from a server-side cursor in chunks; related records' names are
looked up once per chunk (cached), so the web process's memory stays flat whatever the size.

Up to ``EXPORT_ASYNC_THRESHOLD`` rows (default 10,000) the file is written in the request (CSV
streamed as it is read; XLSX through openpyxl's write-only mode into a temporary file). Above
it, a background job (kind "export") writes the file into ``EXPORT_DIR`` (default
instance/exports, which web and worker processes must share) and only the user who started it
(or registry staff) may download it. The job runs with the starter's user and the same query
string, so it exports exactly what the request would have, in the starter's scope.

CSV: UTF-8 with BOM, ";" separated, dates DD.MM.YYYY, decimal comma, "Jah"/"Ei" — what a
spreadsheet program in Estonian expects. XLSX: dates and numbers as typed cells.

Every text cell of every CSV and XLSX file (list exports, statistics tables, the open data CSV,
the data-access history) passes through ``inert``: text that a spreadsheet program would run as
a formula gets a leading apostrophe (OWASP, "CSV injection"). Numbers and dates are not text and
stay typed; the stored data is unchanged.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any

from flask import current_app, g
from flask_babel import gettext as _
from sqlalchemy import Date, DateTime
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import RelationshipDirection, selectinload

from app.formatting import TALLINN

DEFAULT_THRESHOLD = 10_000
CHUNK = 2_000
LABEL_CACHE_LIMIT = 50_000
RETENTION = dt.timedelta(days=7)
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def threshold() -> int:
    return int(current_app.config.get("EXPORT_ASYNC_THRESHOLD", DEFAULT_THRESHOLD))


def export_dir() -> Path:
    configured = current_app.config.get("EXPORT_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def export_path(run_id: int, fmt: str) -> Path:
    return export_dir() / f"export-{run_id}.{fmt}"


# --------------------------------------------------------------------------- values

FORMULA_START = frozenset("=+-@\t\r")  # what makes Excel or LibreOffice read a text cell as a formula


def inert(value: Any) -> Any:
    """``value`` as a cell that cannot run: text starting with = + - @, a tab or a carriage return
    gets a leading single quote (OWASP's advice against CSV injection), so ``=HYPERLINK(…)`` is
    shown as text, not evaluated. In XLSX the result is a string cell, never a formula (openpyxl
    stores a str starting with "=" as a formula). Anything but text — numbers (a negative one
    too), dates, None — is returned unchanged. The one rule of every CSV and XLSX writer."""
    if isinstance(value, str) and value[:1] in FORMULA_START:
        return "'" + value
    return value


def _cell_converter() -> Callable[[Any], Any]:
    """A value as a spreadsheet cell: Estonian yes/no, Tallinn local time without a zone (a
    spreadsheet has none), numbers and dates typed, text (made ``inert``) for the rest."""
    yes, no = str(_("Yes")), str(_("No"))

    def plain(value: Any) -> Any:
        kind = type(value)
        if kind is str:
            return inert(value)
        if value is None or kind is int or kind is float or kind is Decimal or kind is dt.date:
            return value
        if kind is bool:
            return yes if value else no
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=dt.UTC)
            return value.astimezone(TALLINN).replace(tzinfo=None)
        if isinstance(value, dt.date):
            return value
        return inert(str(value))

    return plain


def _text_converter() -> Callable[[Any], str]:
    """A value as CSV text: DD.MM.YYYY (HH:MM Tallinn time), decimal comma, "Jah"/"Ei"."""
    plain = _cell_converter()
    days: dict[dt.date, str] = {}  # a list has few distinct dates: format each once

    def text(value: Any) -> str:
        kind = type(value)
        if kind is str:
            return inert(value)
        if value is None:
            return ""
        if kind is int:
            return str(value)
        if kind is dt.date:
            day = days.get(value)
            if day is None:
                day = days[value] = value.strftime("%d.%m.%Y")
            return day
        value = plain(value)
        if isinstance(value, dt.datetime):
            return value.strftime("%d.%m.%Y %H:%M")
        if isinstance(value, dt.date):
            return value.strftime("%d.%m.%Y")
        if isinstance(value, (float, Decimal)):
            return str(value).replace(".", ",")
        return str(value)  # text: already inert (plain)

    return text


def csv_text(value: Any) -> str:
    return _text_converter()(value)


def csv_lines(headers: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    """CSV text in pieces of about 500 rows (UTF-8 BOM, ";")."""
    text = _text_converter()
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    n = 0
    for row in rows:
        writer.writerow([text(v) for v in row])
        n += 1
        if n % 500 == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def write_csv(path_or_file, headers: list[str], rows: Iterable[list[Any]]) -> None:
    with open(path_or_file, "w", encoding="utf-8", newline="") as fh:
        for piece in csv_lines(headers, rows):
            fh.write(piece)


def write_xlsx(path_or_file, headers: list[str], rows: Iterable[list[Any]], title: str = "Andmed") -> int:
    """An XLSX workbook in openpyxl's write-only mode (rows go to a temporary file as they come)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=_sheet_title(title))
    bold = Font(bold=True)
    header_cells = []
    for h in headers:
        cell = WriteOnlyCell(ws, value=str(h))
        cell.font = bold
        header_cells.append(cell)
    ws.append(header_cells)
    plain = _cell_converter()
    n = 0
    for row in rows:
        out = []
        for value in row:
            value = plain(value)
            if isinstance(value, dt.datetime):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "DD.MM.YYYY HH:MM"
                value = cell
            elif isinstance(value, dt.date):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "DD.MM.YYYY"
                value = cell
            elif isinstance(value, Decimal):
                value = float(value)
            out.append(value)
        ws.append(out)
        n += 1
    wb.save(path_or_file)
    return n


def _sheet_title(title: str) -> str:
    cleaned = "".join(ch for ch in str(title) if ch not in "[]:*?/\\")
    return cleaned[:31] or "Andmed"


def xlsx_file(headers: list[str], rows: Iterable[list[Any]], title: str):
    """A temporary file holding the workbook, positioned at its start (deleted when closed)."""
    tmp = tempfile.TemporaryFile()
    write_xlsx(tmp, headers, rows, title)
    tmp.seek(0)
    return tmp


def file_chunks(fh, size: int = 256 * 1024) -> Iterator[bytes]:
    try:
        while True:
            block = fh.read(size)
            if not block:
                break
            yield block
    finally:
        fh.close()


# --------------------------------------------------------------------------- list screens

def _repr_options(model: type, depth: int = 2, seen: tuple = ()) -> list:
    """Loader options that fetch the parents a record's name (``__repr__``) usually reads:
    every many-to-one relationship, ``depth`` levels deep, one IN-query per level and chunk."""
    options = []
    if depth <= 0:
        return options
    for rel in sa_inspect(model).relationships:
        if rel.direction is not RelationshipDirection.MANYTOONE or rel.mapper.class_ in seen:
            continue
        attr = getattr(model, rel.key)
        children = _repr_options(rel.mapper.class_, depth - 1, (*seen, model))
        options.append(selectinload(attr).options(*children) if children else selectinload(attr))
    return options


class ListExport:
    """The rows of a list screen (a ScopedModelView) under the current request's filters and order."""

    def __init__(self, view):
        from flask_appbuilder.urltools import get_filter_args, get_order_args

        self.view = view
        self.model = view.datamodel.obj
        self.session = view.datamodel.session
        filters = view.datamodel.get_filters(view.search_columns)  # our own: the view's is shared
        get_filter_args(filters)
        self.filters = filters.get_joined_filters(view._base_filters)
        order = get_order_args().get(view.__class__.__name__)
        self.order_column, self.order_direction = order or view.base_order or ("", "")
        self.columns = list(view.list_columns)
        mapper = sa_inspect(self.model)
        self.relations: dict[str, tuple[str, type]] = {}
        self.plain: list[str] = []
        self.other: list[str] = []
        for column in self.columns:
            if column in mapper.relationships and mapper.relationships[column].direction is RelationshipDirection.MANYTOONE:
                rel = mapper.relationships[column]
                local = list(rel.local_columns)
                if len(local) == 1:
                    self.relations[column] = (mapper.get_property_by_column(local[0]).key, rel.mapper.class_)
                    continue
            if column in mapper.column_attrs:
                self.plain.append(column)
            else:
                self.other.append(column)
        self.labels: dict[tuple[type, Any], Any] = {}

    @property
    def title(self) -> str:
        return str(self.view.list_title or self.model.__tablename__)

    @property
    def filename(self) -> str:
        return self.model.__tablename__

    def headers(self) -> list[str]:
        return [str(self.view.label_columns.get(c, c)) for c in self.columns]

    def _query(self):
        dm = self.view.datamodel
        return dm.apply_all(self.session.query(self.model), self.filters, self.order_column, self.order_direction)

    def count(self) -> int:
        return self.view.datamodel.query_count(self.session.query(self.model), self.filters)

    def rows(self, progress: Callable[[int], None] | None = None) -> Iterator[list[Any]]:
        """Typed values of every row, in chunks from a server-side cursor. When the columns are
        all table columns and relations, only those columns are read (plain tuples, no ORM
        objects); a property among them needs the records themselves."""
        if self.other:
            yield from self._record_rows(progress)
            return
        pk = [c.key for c in sa_inspect(self.model).primary_key]
        wanted = list(dict.fromkeys([*pk, *self.plain, *(fk for fk, _ in self.relations.values())]))
        index = {c: i for i, c in enumerate(wanted)}
        # plain Core rows from a server-side cursor: the ORM has nothing to add to column values
        statement = self._query().with_entities(*[getattr(self.model, c) for c in wanted]).statement
        result = self.session.connection().execute(statement.execution_options(stream_results=True))
        # each output cell is a raw column (the foreign key for a relation), taken in one C call;
        # only the cells that need it are then replaced (a related record's name, a choice label)
        positions = [index[self.relations[c][0]] if c in self.relations else index[c] for c in self.columns]
        take = itemgetter(*positions) if len(positions) > 1 else (lambda row, i=positions[0]: (row[i],))
        fixes = []
        for pos, column in enumerate(self.columns):
            if column in self.relations:
                fixes.append((pos, self._label_of(column)))
            elif column in self.view.formatters_columns and not self._is_temporal(column):
                fixes.append((pos, self._formatted(column)))
        fk_positions = [(column, self.columns.index(column)) for column in self.relations]
        for part in result.partitions(CHUNK):
            cells = [list(take(row)) for row in part]
            self._load_labels([[values[i] for _, i in fk_positions] for values in cells],
                              [column for column, _ in fk_positions])
            for values in cells:
                for pos, fix in fixes:
                    values[pos] = fix(values[pos])
                yield values
            if progress:
                progress(len(cells))

    def _record_rows(self, progress) -> Iterator[list[Any]]:
        items = iter(self._query().yield_per(CHUNK))
        fk_of = {column: (lambda item, fk=fk: getattr(item, fk)) for column, (fk, _) in self.relations.items()}
        getters = []
        for column in self.columns:
            if column in self.relations:
                label, get_fk = self._label_of(column), fk_of[column]
                getters.append(lambda item, label=label, get_fk=get_fk: label(get_fk(item)))
            elif column in self.view.formatters_columns:
                fix = self._formatted(column)
                getters.append(lambda item, c=column, fix=fix: fix(self._attribute(item, c)))
            else:
                getters.append(lambda item, c=column: _listed(self._attribute(item, c)))
        while True:
            chunk = list(islice(items, CHUNK))
            if not chunk:
                break
            self._load_labels([[get(item) for get in fk_of.values()] for item in chunk], list(fk_of))
            for item in chunk:
                yield [get(item) for get in getters]
            if progress:
                progress(len(chunk))

    def _is_temporal(self, column: str) -> bool:
        attr = sa_inspect(self.model).column_attrs.get(column)
        return attr is not None and isinstance(attr.columns[0].type, (Date, DateTime))

    def _label_of(self, column: str) -> Callable[[Any], Any]:
        target, labels = self.relations[column][1], self.labels
        return lambda fk: None if fk is None else labels.get((column, target, fk))

    def _formatted(self, column: str) -> Callable[[Any], Any]:
        """The screen's formatter of ``column`` (a choice label, …), computed once per distinct value."""
        formatter = self.view.formatters_columns[column]
        memo: dict[Any, Any] = {}

        def formatted(value):
            if value is None or isinstance(value, (dt.date, bool)):
                return value  # typed; written per file format
            try:
                return memo[value]
            except KeyError:
                result = formatter(value)
                result = result if isinstance(result, (str, int, float, Decimal)) else str(result)
                if len(memo) < 10_000:
                    memo[value] = result
                return result
            except TypeError:  # unhashable
                return str(formatter(value))
        return formatted

    def _attribute(self, item, column: str) -> Any:
        if "." in column:
            return self.view.datamodel.get_values_item(item, [column])[0]
        return getattr(item, column, None)

    def _load_labels(self, fk_values: list[list[Any]], columns: list[str]) -> None:
        """Names of the related records of a chunk (cached over chunks, bounded)."""
        if len(self.labels) > LABEL_CACHE_LIMIT:
            self.labels.clear()
        wanted: dict[type, set] = {}
        for i, column in enumerate(columns):
            target = self.relations[column][1]
            for values in fk_values:
                value = values[i]
                if value is not None and (column, target, value) not in self.labels:
                    wanted.setdefault(target, set()).add(value)
        for target, ids in wanted.items():
            pk = sa_inspect(target).primary_key[0]
            objs = (self.session.query(target).filter(pk.in_(sorted(ids)))
                    .options(*_repr_options(target)).all())
            users = [column for column, (_, t) in self.relations.items() if t is target]
            for obj in objs:
                key = getattr(obj, pk.key)
                for column in users:
                    formatter = self.view.formatters_columns.get(column)
                    self.labels[(column, target, key)] = str(formatter(obj) if formatter else obj)


def _listed(value: Any) -> Any:
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(v) for v in value)
    return value


def find_view(appbuilder, endpoint: str):
    for view in appbuilder.baseviews:
        if view.__class__.__name__ == endpoint:
            return view
    return None


# --------------------------------------------------------------------------- background exports

def start_job(source: str, target: str, query: str, fmt: str, user):
    """Queue an export for ``user``; the user id is a parameter, so two users never share a run."""
    from app.jobqueue import start

    params = {"source": source, "target": target, "query": query, "fmt": fmt, "user_id": user.id}
    return start("export", params, actor=user.username, user_id=user.id,
                 awarding_body_id=getattr(user, "awarding_body_id", None))


def may_download(run, user) -> bool:
    from app.security.scoping import is_unscoped

    if run is None or run.kind != "export" or user is None:
        return False
    return run.user_id == user.id or is_unscoped(user)


def cleanup(directory: Path, older_than: dt.timedelta = RETENTION) -> None:
    limit = time.time() - older_than.total_seconds()
    for path in directory.glob("export-*"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass


def export_job(ctx, source: str, target: str, query: str, fmt: str, user_id: int) -> None:
    """Job "export": write the file for run ``ctx.run_id`` as the user who asked for it."""
    from app.services.jobruns import mark

    app = current_app._get_current_object()
    session = app.appbuilder.session
    user = session.get(app.appbuilder.sm.user_model, user_id)
    if user is None or not user.is_active:
        raise RuntimeError("the user who asked for the export no longer exists")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt}")
    directory = export_dir()
    cleanup(directory)
    final = export_path(ctx.run_id, fmt)
    with app.test_request_context(f"/export?{query}"):
        g.user = user  # scoping reads g.user: the starter's scope, not the worker's
        headers, rows, title = _job_rows(app, session, source, target, ctx)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".export-", suffix=f".{fmt}")
        os.close(fd)
        try:
            if fmt == "csv":
                write_csv(tmp, headers, rows)
            else:
                write_xlsx(tmp, headers, rows, title)
            os.replace(tmp, final)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    ctx.count(created=ctx.done)
    mark(session.get_bind(), ctx.run_id, message=f"{final.name}: {ctx.done}")


def _job_rows(app, session, source: str, target: str, ctx):
    from flask import request

    if source == "view":
        view = find_view(app.appbuilder, target)
        if view is None or not hasattr(view, "list_columns"):
            raise ValueError(f"unknown list {target}")
        if not app.appbuilder.sm._has_view_access(g.user, "can_read", view.class_permission_name):
            raise PermissionError("no read permission on the list")
        export = ListExport(view)
        ctx.set_total(export.count())
        return export.headers(), export.rows(progress=ctx.advance), export.title
    if source == "statistics":
        from app.services import statistics as st

        if target not in st.BREAKDOWNS or target == "total":
            raise ValueError(f"unknown statistics table {target}")
        dash = st.dashboard(session, g.user, st.Filters.from_args(request.args), only=[target])
        headers, rows = st.table_rows(dash, target)
        ctx.set_total(len(rows))

        def counted():
            for row in rows:
                yield row
                ctx.advance()
        return headers, counted(), str(st.BREAKDOWN_TITLES[target])
    raise ValueError(f"unknown export source {source}")
