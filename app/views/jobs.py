"""Starting background jobs from the screen (registry staff: all kinds; an awarding body user:
the kinds declared for it, limited to their own body)."""
from __future__ import annotations

import datetime as dt

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _

from app.jobqueue import start
from app.models.choices import JOB_STATUS, label
from app.security.scoping import role_names


class JobStartView(BaseView):
    route_base = "/jobs"
    class_permission_name = "JobRun"
    method_permission_name = {"index": "read", "start": "read"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        from jobs.registry import startable_by

        return self.render_template("jobs_start.html", kinds=startable_by(role_names(g.user)),
                                    title=_("Start a job"))

    @expose("/start/<kind>", methods=["POST"])
    @has_access
    def start(self, kind):
        from jobs.registry import KINDS, startable_by

        allowed = {k.name for k in startable_by(role_names(g.user))}
        if kind not in allowed:
            abort(404)
        spec = KINDS[kind]
        params, errors = {}, []
        for p in spec.params:
            raw = (request.form.get(p.name) or "").strip()
            if not raw:
                if p.required:
                    errors.append(_("%(field)s: required", field=p.label))
                continue
            try:
                params[p.name] = int(raw) if p.kind == "int" else (
                    dt.date.fromisoformat(raw).isoformat() if p.kind == "date" else raw)
            except ValueError:
                errors.append(_("%(field)s: invalid value %(value)s", field=p.label, value=raw))
        awarding_body_id = None
        if spec.scope_param and not (role_names(g.user) & {"Admin", "Registry staff"}):
            awarding_body_id = g.user.awarding_body_id
            params[spec.scope_param] = awarding_body_id
        if errors:
            for e in errors:
                flash(e, "danger")
            return redirect(url_for("JobStartView.index"))
        run, created = start(kind, params, actor=g.user.username, user_id=g.user.id,
                             awarding_body_id=awarding_body_id)
        if created:
            flash(_("Job %(kind)s queued (#%(id)s)", kind=spec.label, id=run.id), "success")
        else:
            flash(_("The same job is already %(status)s (#%(id)s); no second copy was started",
                    status=label(JOB_STATUS, run.status), id=run.id), "warning")
        return redirect(url_for("JobRunView.show", pk=run.id))
