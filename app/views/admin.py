"""Registry staff screens: job runs, audit trail, data-access log, account requests; and the
public account request form."""
from __future__ import annotations

import csv
import io

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import PublicFormView, action, expose
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget, BS3TextFieldWidget, Select2Widget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length

from app import models as m
from app.formatting import format_value
from app.security import roles as r
from app.services import accounts
from app.services import exports as ex
from app.validation import DomainValidationError
from app.views.base import ScopedModelView
from app.views.labels import LABELS

READ_ONLY = ["can_read"]


def format_changes(changes) -> str:
    if not changes:
        return ""
    return "; ".join(f"{LABELS.get(k, k)}: {old if old is not None else '—'} → {new if new is not None else '—'}"
                     for k, (old, new) in changes.items())


class JobRunErrorView(ScopedModelView):
    model = m.JobRunError
    list_title = _l("Rejected records")
    list_columns = ["record", "field", "reason", "at"]
    search_columns = ["record", "field", "reason"]
    show_columns = ["job_run", "record", "field", "reason", "at"]
    base_permissions = READ_ONLY


class JobRunView(ScopedModelView):
    model = m.JobRun
    list_title = _l("Job runs")
    list_columns = ["kind", "status", "progress_done", "progress_total", "created_count",
                    "updated_count", "unchanged_count", "rejected_count", "queued_at", "actor"]
    search_columns = ["kind", "status", "actor", "queued_at"]
    show_columns = list_columns + ["params", "started_at", "finished_at", "duration"]
    base_permissions = READ_ONLY
    base_order = ("queued_at", "desc")
    related_views = [JobRunErrorView]
    show_template = "jobrun_show.html"


class AuditEventView(ScopedModelView):
    model = m.AuditEvent
    list_title = _l("Audit events")
    list_columns = ["at", "actor", "action", "entity", "entity_id", "subject_isikukood", "changes"]
    search_columns = ["at", "actor", "entity", "entity_id", "action", "subject_isikukood"]
    show_columns = list_columns
    base_permissions = READ_ONLY
    # newest first by the primary key (written in time order): each import adds hundreds of
    # thousands of rows, and sorting them all by time for the first page took 56 ms per 200,000
    base_order = ("id", "desc")
    formatters_columns = {
        "changes": format_changes,
    }


class DataAccessView(ScopedModelView):
    model = m.DataAccess
    list_title = _l("Data access log")
    list_columns = ["at", "actor", "isikukood", "channel", "endpoint", "entity", "entity_id"]
    search_columns = ["at", "actor", "isikukood", "channel", "entity"]
    show_columns = list_columns
    base_permissions = READ_ONLY
    base_order = ("id", "desc")  # newest first, as the audit events

    @expose("/person.csv")
    @has_access
    def person_csv(self):
        """A person's whole data-access history (who saw their data, where, when)."""
        code = (request.args.get("isikukood") or "").strip()
        if not code:
            abort(400)
        rows = self.datamodel.session.execute(
            select(m.DataAccess).where(m.DataAccess.isikukood == code).order_by(m.DataAccess.at)
        ).scalars()
        buf = io.StringIO()
        buf.write("\ufeff")
        writer = csv.writer(buf, delimiter=";")
        writer.writerow([str(LABELS[c]) for c in self.list_columns])
        for row in rows:
            writer.writerow([ex.inert(format_value(getattr(row, c))) for c in self.list_columns])
        return Response(
            buf.getvalue(),
            mimetype="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="andmejalgija-{code}.csv"'},
        )


def _role_choices():
    return [(role, r.ROLE_LABELS[role]) for role in r.REQUESTABLE_ROLES]


class AccountRequestView(ScopedModelView):
    model = m.AccountRequest
    list_title = _l("Account requests")
    list_columns = ["first_name", "last_name", "isikukood", "requested_role", "awarding_body",
                    "school", "status", "submitted_at"]
    search_columns = ["last_name", "isikukood", "requested_role", "status", "submitted_at"]
    show_columns = ["first_name", "last_name", "isikukood", "email", "requested_role",
                    "awarding_body", "school", "justification", "status", "rejection_reason",
                    "submitted_at", "decided_at"]
    base_permissions = ["can_read", "can_write"]
    base_order = ("submitted_at", "desc")
    formatters_columns = {"requested_role": lambda v: dict(_role_choices()).get(v, v)}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Requests are decided, never edited or deleted.
        for name in ("add", "edit", "delete"):
            self.base_permissions = [p for p in self.base_permissions if p != f"can_{name}"]

    @action("approve", _l("Approve"), _l("Create user accounts for the selected requests?"), "fa-check")
    def approve(self, items):
        items = items if isinstance(items, list) else [items]
        for item in items:
            try:
                user = accounts.approve(self.appbuilder.sm, item, self.appbuilder.sm.current_user)
                flash(_("User %(name)s created with role %(role)s", name=user.username,
                        role=dict(_role_choices()).get(item.requested_role)), "success")
            except DomainValidationError as exc:
                self.datamodel.session.rollback()
                flash(f"{item}: {exc}", "danger")
        return redirect(self.get_redirect())

    @action("reject", _l("Reject"), None, "fa-times", multiple=False)
    def reject(self, item):
        return redirect(url_for(f"{self.endpoint}.reject_form", pk=item.id))

    @expose("/reject/<int:pk>", methods=["GET", "POST"])
    @has_access
    def reject_form(self, pk):
        item = self._scoped_item(pk)
        form = RejectForm()
        if request.method == "POST" and form.validate_on_submit():
            try:
                accounts.reject(self.datamodel.session, item, form.reason.data, self.appbuilder.sm.current_user)
            except DomainValidationError as exc:
                flash(str(exc), "danger")
            else:
                flash(_("The request was rejected"), "info")
                return redirect(url_for(f"{self.endpoint}.list"))
        return self.render_template("reject_request.html", form=form, item=item, title=_("Reject request"))


class RejectForm(DynamicForm):
    reason = TextAreaField(_l("Reason for rejection"), validators=[DataRequired()],
                           widget=BS3TextAreaFieldWidget())


def _awarding_bodies():
    from flask import current_app

    return current_app.appbuilder.session.query(m.AwardingBody).order_by(m.AwardingBody.name).all()


def _schools():
    from flask import current_app

    return current_app.appbuilder.session.query(m.School).order_by(m.School.name).all()


class AccountRequestForm(DynamicForm):
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=64)], widget=BS3TextFieldWidget())
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=64)], widget=BS3TextFieldWidget())
    isikukood = StringField(_l("Personal code"), validators=[DataRequired()], widget=BS3TextFieldWidget())
    email = StringField(_l("E-mail"), validators=[DataRequired(), Email()], widget=BS3TextFieldWidget())
    requested_role = SelectField(_l("Requested role"), choices=_role_choices, widget=Select2Widget())
    awarding_body = QuerySelectField(_l("Awarding body"), query_func=_awarding_bodies, get_pk_func=lambda o: o.id, allow_blank=True,
                                     blank_text="—", widget=Select2Widget())
    school = QuerySelectField(_l("School"), query_func=_schools, get_pk_func=lambda o: o.id, allow_blank=True, blank_text="—",
                              widget=Select2Widget())
    justification = TextAreaField(_l("Justification"), validators=[DataRequired()], widget=BS3TextAreaFieldWidget())


class AccountRequestFormView(PublicFormView):
    """The public "Taotle kasutajakontot" form."""

    route_base = "/taotlus"
    form = AccountRequestForm
    form_title = _l("Request a user account")

    def form_post(self, form):
        data = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
        data["isikukood"] = (data.get("isikukood") or "").strip()
        try:
            accounts.submit(self.appbuilder.session, data)
        except DomainValidationError as exc:
            for field, message in exc.errors:
                target = form._fields.get(field)
                if target is not None:
                    target.errors = list(target.errors) + [message]
                else:
                    flash(message, "danger")
            widgets = self._get_edit_widget(form=form)
            return self.render_template(self.form_template, title=self.form_title, widgets=widgets,
                                        appbuilder=self.appbuilder)
        flash(_("Your request was received. Registry staff will decide on it and notify you by e-mail."), "success")
        return redirect(url_for("AccountRequestFormView.this_form_get"))
