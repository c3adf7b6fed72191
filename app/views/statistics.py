"""The statistics dashboard (registry staff, awarding bodies, schools — each in their own scope),
its tables as CSV/XLSX, and the public open data page with its machine-readable files."""
from __future__ import annotations

import csv
import io
import json
import logging
from decimal import Decimal

from flask import Response, abort, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _

from app.formatting import format_value
from app.jobqueue import start
from app.models.choices import JOB_STATUS, label
from app.security.scoping import is_unscoped
from app.services import exports as ex
from app.services import statistics as st
from app.views.exports import background, download_response

TOP = 15  # bars in a chart of many groups
ROWS_ON_PAGE = 25  # rows of a long table on the page ("show all" and the downloads have them all)
ORDER = ["year", "period", "level", "field", "standard", "awarding_body", "school", "curriculum"]


def number(value, digits: int | None = None) -> str:
    """A figure in Estonian notation; "–" for a hidden or undefined one."""
    if value is None:
        return "–"
    if isinstance(value, Decimal):
        text = f"{value:,.1f}"
    elif isinstance(value, float):
        text = f"{value:,.{digits or 1}f}"
    else:
        text = f"{value:,}"
    return text.replace(",", "\u00a0").replace(".", ",")


def _f(value):
    return float(value) if isinstance(value, Decimal) else value


def _charts(dash: st.Dashboard) -> list[dict]:
    """Chart specifications (labels in the user's language); the page draws them with Chart.js."""
    charts = []
    year = dash.tables.get("year")
    national = dash.show_national

    def series(rows, key, text, kind="bar", axis="y", nat=False):
        data = [_f((r.get("national") or {}).get(key)) if nat else _f(r.get(key)) for r in rows]
        return {"label": str(text), "data": data, "kind": kind, "axis": axis}

    if year and year.rows:
        rows = year.rows
        labels = [r["label"] for r in rows]
        sets = [series(rows, "candidates", st.COLUMNS["candidates"]),
                series(rows, "passed", st.COLUMNS["passed"]),
                series(rows, "certificates", st.COLUMNS["certificates"]),
                series(rows, "rejected", st.COLUMNS["rejected"]),
                series(rows, "pass_rate", st.COLUMNS["pass_rate"], "line", "y2")]
        if national and year.national:
            sets.append(series(rows, "pass_rate", st.NATIONAL_COLUMNS["pass_rate"], "line", "y2", nat=True))
        charts.append({"id": "chart-trend", "table": "year", "title": _("Trend over the years"),
                       "labels": labels, "datasets": sets, "y2": "%"})
        charts.append({"id": "chart-time", "table": "year", "title": _("Time to decision and to the register entry"),
                       "labels": labels, "datasets": [
                           series(rows, "decision_days", st.COLUMNS["decision_days"], "line"),
                           series(rows, "register_days", st.COLUMNS["register_days"], "line")]})
        grads = [series(rows, "graduates", st.COLUMNS["graduates"]),
                 series(rows, "graduates_examined", st.COLUMNS["graduates_examined"]),
                 series(rows, "examined_share", st.COLUMNS["examined_share"], "line", "y2")]
        if national and year.national:
            grads.append(series(rows, "examined_share", st.NATIONAL_COLUMNS["examined_share"], "line", "y2",
                                nat=True))
        charts.append({"id": "chart-graduates", "table": "year", "title": _("Graduates who took the exam"),
                       "labels": labels, "datasets": grads, "y2": "%"})
    for name in ("period", "level", "field", "standard", "awarding_body", "school", "curriculum"):
        table = dash.tables.get(name)
        if not table or not table.rows:
            continue
        rows = table.rows if name in ("period", "level") else table.rows[:TOP]
        sets = [series(rows, "candidates", st.COLUMNS["candidates"]),
                series(rows, "certificates", st.COLUMNS["certificates"]),
                series(rows, "pass_rate", st.COLUMNS["pass_rate"], "line", "y2")]
        if national and table.national:
            sets.append(series(rows, "pass_rate", st.NATIONAL_COLUMNS["pass_rate"], "line", "y2", nat=True))
        charts.append({"id": f"chart-{name}", "table": name, "title": str(table.title),
                       "labels": [r["label"] for r in rows], "datasets": sets, "y2": "%",
                       "horizontal": name not in ("period", "level"),
                       "top": len(rows) < len(table.rows)})
    return charts


def _table_view(dash: st.Dashboard, name: str) -> dict:
    """A table ready to print: headers and rows of formatted cells (no logic left for the template)."""
    table = dash.tables[name]
    keys = [k for k in st.COLUMNS if k != "sessions" or name in st.SESSION_BREAKDOWNS]
    national = list(st.NATIONAL_COLUMNS) if table.national else []
    headers = [str(st.COLUMNS[k]) for k in keys] + [str(st.NATIONAL_COLUMNS[k]) for k in national]
    rows = []
    for row in table.rows:
        nat = row.get("national") or {}
        rows.append((row["label"], [number(row.get(k)) for k in keys] + [number(nat.get(k)) for k in national]))
    return {"headers": headers, "rows": rows}


class StatisticsView(BaseView):
    route_base = "/statistics"
    class_permission_name = "Statistics"
    method_permission_name = {"index": "read", "export": "read", "refresh": "read"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        session = self.appbuilder.session
        filters = st.Filters.from_args(request.args)
        full = tuple(name for name in request.args.getlist("all") if name in st.LONG_TABLES)
        dash = st.dashboard(session, g.user, filters, limit=ROWS_ON_PAGE, full=full)
        if dash.refreshed_at is None:  # a new installation: the scheduler has not run the job yet
            _start_once("statistics", g.user.username)
        charts = _charts(dash)
        by_table: dict[str, list] = {}
        for chart in charts:
            by_table.setdefault(chart["table"], []).append(chart)
        return self.render_template(
            "statistics.html", title=_("Statistics"), dash=dash, charts=charts, charts_by_table=by_table,
            chart_json=json.dumps(charts, ensure_ascii=False).replace("<", "\\u003c"), choices=st.filter_choices(session, g.user, dash.refreshed_at),
            columns=st.COLUMNS, national_columns=st.NATIONAL_COLUMNS, session_tables=st.SESSION_BREAKDOWNS,
            number=number, query=request.query_string.decode(), unscoped=is_unscoped(g.user), full=full,
            filter_args=filters.as_args(),
            order=ORDER, views={name: _table_view(dash, name) for name in ORDER},
            format_value=format_value,
        )

    @expose("/export/<table>.<fmt>")
    @has_access
    def export(self, table, fmt):
        if table not in st.BREAKDOWNS or table == "total" or fmt not in ex.FORMATS:
            abort(404)
        filters = st.Filters.from_args(request.args)
        dash = st.dashboard(self.appbuilder.session, g.user, filters, only=[table])
        headers, rows = st.table_rows(dash, table)
        if len(rows) > ex.threshold():
            return background("statistics", table, fmt, len(rows))
        return download_response(fmt, f"statistika-{table}", headers, rows, str(st.BREAKDOWN_TITLES[table]))

    @expose("/refresh", methods=["POST"])
    @has_access
    def refresh(self):
        """Registry staff: rebuild the figures now (the scheduler does it regularly)."""
        if not is_unscoped(g.user):
            abort(403)
        run, created = start("statistics", {}, actor=g.user.username, user_id=g.user.id)
        if created:
            flash(_("The figures are being updated (#%(id)s)", id=run.id), "info")
        else:
            flash(_("The figures are already being updated (#%(id)s, %(status)s)", id=run.id,
                    status=label(JOB_STATUS, run.status)), "warning")
        return redirect(url_for("StatisticsView.index"))


def _start_once(kind: str, actor: str) -> None:
    """Queue ``kind`` unless a copy is queued or running already (the job queue deduplicates)."""
    try:
        start(kind, {}, actor=actor)
    except Exception:  # never let the page fail over it
        logging.getLogger(__name__).exception("could not start %s", kind)


class OpenDataView(BaseView):
    """Public: anonymised national aggregates (no login), materialised by the "open_data" job."""

    route_base = "/avaandmed"
    default_view = "index"

    @expose("/")
    def index(self):
        session = self.appbuilder.session
        rows = st.open_data(session)
        meta = st.open_data_meta(session)
        if not meta:  # never published: publish now (once; the scheduler keeps it up to date)
            _start_once("open_data", "avaandmed")
        datasets = {name: [r for r in rows if r["dataset"] == name] for name in st.OPEN_DATASETS}
        return self.render_template(
            "open_data.html", title=_("Open data: vocational qualification exams"), datasets=datasets,
            titles=st.OPEN_DATA_TITLES, headers=st.OPEN_DATA_HEADERS, fields=st.OPEN_DATA_FIELDS,
            meta=meta, number=number, format_value=format_value)

    @expose("/andmed.json")
    def data_json(self):
        session = self.appbuilder.session
        dataset = request.args.get("andmestik") or None
        if dataset and dataset not in st.OPEN_DATASETS:
            abort(404)
        meta = st.open_data_meta(session)
        rows = [{st.OPEN_DATA_FIELDS[k]: (float(v) if isinstance(v, Decimal) else v) for k, v in r.items()}
                for r in st.open_data(session, dataset)]
        refreshed = meta.get("refreshed_at")
        return jsonify({
            "kirjeldus": "Kutseeksamid ja kutsetunnistused: anonüümitud koondandmed. Tühi väärtus (null) on "
                         "varjatud, sest see põhineb vähem kui miinimumarvul isikul.",
            "uuendatud": refreshed.isoformat() if refreshed else None,
            "miinimumarv": meta.get("min_count"),
            "andmestikud": list(st.OPEN_DATASETS),
            "read": rows,
        })

    @expose("/andmed.csv")
    def data_csv(self):
        session = self.appbuilder.session
        dataset = request.args.get("andmestik") or None
        if dataset and dataset not in st.OPEN_DATASETS:
            abort(404)
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")  # machine-readable: "," and "." decimals
        writer.writerow(list(st.OPEN_DATA_FIELDS.values()))
        for row in st.open_data(session, dataset):
            writer.writerow(["" if v is None else ex.inert(v) for v in row.values()])
        name = f"kutseeksamid-{dataset or 'koik'}.csv"
        return Response(buf.getvalue(), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'inline; filename="{name}"'})
