"""CSV and XLSX downloads of every list screen (mixed into ScopedModelView), and the page of a
background export with its download link (only for the user who started it, or registry staff)."""
from __future__ import annotations

from flask import Response, abort, flash, g, jsonify, redirect, request, send_file, stream_with_context, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _

from app.models import JobRun
from app.models.choices import JOB_STATUS, label
from app.services import exports as ex


def download_response(fmt: str, filename: str, headers: list[str], rows, title: str) -> Response:
    """CSV streamed row by row while it is read (the request context stays open for the cursor);
    XLSX built in write-only mode into a temporary file, then sent in blocks."""
    if fmt == "csv":
        body = stream_with_context(ex.csv_lines(headers, rows))
    else:
        body = ex.file_chunks(ex.xlsx_file(headers, rows, title))
    return Response(body, mimetype=ex.FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'})


def background(source: str, target: str, fmt: str, count: int):
    run, created = ex.start_job(source, target, request.query_string.decode(), fmt, g.user)
    if created:
        flash(_("The export has %(count)s rows: it is prepared in the background. The download link appears "
                "here when it is ready.", count=count), "info")
    else:
        flash(_("The same export is already being prepared (#%(id)s)", id=run.id), "warning")
    return redirect(url_for("ExportView.show", run_id=run.id))


class ExportMixin:
    """``/<view>/export/csv`` and ``/<view>/export/xlsx``: the filtered, scoped list."""

    @expose("/export/csv")
    @has_access
    def export_csv(self):
        return self._export("csv")

    @expose("/export/xlsx")
    @has_access
    def export_xlsx(self):
        return self._export("xlsx")

    def _export(self, fmt: str):
        export = ex.ListExport(self)
        count = export.count()
        if count > ex.threshold():
            return background("view", self.__class__.__name__, fmt, count)
        return download_response(fmt, export.filename, export.headers(), export.rows(), export.title)


class ExportView(BaseView):
    """A background export: progress, then the file — for the user who started it."""

    route_base = "/exports"
    class_permission_name = "Export"
    method_permission_name = {"show": "read", "status": "read", "download": "read"}
    default_view = "show"

    def _run(self, run_id: int) -> JobRun:
        run = self.appbuilder.session.get(JobRun, run_id)
        if not ex.may_download(run, g.user):
            abort(404)
        return run

    @expose("/<int:run_id>")
    @has_access
    def show(self, run_id):
        run = self._run(run_id)
        return self.render_template("export_status.html", run=run, title=_("Export"),
                                    status_label=label(JOB_STATUS, run.status),
                                    ready=self._ready(run))

    @expose("/<int:run_id>/status")
    @has_access
    def status(self, run_id):
        run = self._run(run_id)
        return jsonify(status=run.status, done=run.progress_done, total=run.progress_total,
                       status_label=str(label(JOB_STATUS, run.status)), ready=self._ready(run))

    @expose("/<int:run_id>/download")
    @has_access
    def download(self, run_id):
        run = self._run(run_id)
        if not self._ready(run):
            abort(404)
        fmt = run.params["fmt"]
        name = f"{run.params.get('target', 'eksport')}-{run.id}.{fmt}".lower()
        return send_file(ex.export_path(run.id, fmt), mimetype=ex.FORMATS[fmt], as_attachment=True,
                         download_name=name)

    def create_blueprint(self, appbuilder, endpoint=None, static_folder=None):
        blueprint = super().create_blueprint(appbuilder, endpoint=endpoint, static_folder=static_folder)
        blueprint.add_app_template_global(export_link, "eks_export_link")  # for the JobRun page
        return blueprint

    @staticmethod
    def _ready(run: JobRun) -> bool:
        return run.status == "succeeded" and ex.export_path(run.id, run.params["fmt"]).exists()


def export_link(run_id) -> str | None:
    """The export page of run ``run_id`` if it is an export the current user may download."""
    from flask import current_app

    run = current_app.appbuilder.session.get(JobRun, run_id)
    if run is None or run.kind != "export" or not ex.may_download(run, g.user):
        return None
    return url_for("ExportView.show", run_id=run.id)
