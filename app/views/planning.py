"""Exam planning on the screens: the candidate list ("Kandidaadid") with the school's joint
application and the awarding body's assignment to sessions; the status actions of exam
sessions; withdrawal of a registration; the assessment committee (adding an assessor by personal
code, creating an assessor's account). Every rule is in app.services.exams; these views collect
input, call the service and show its refusals (under the form fields where there is a form)."""
from __future__ import annotations

from types import SimpleNamespace

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import action, expose
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import (
    BS3TextAreaFieldWidget,
    BS3TextFieldWidget,
    DatePickerWidget,
    Select2Widget,
)
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.filters import FilterNotEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional

from app import models as m
from app.api.planning import AssessorApiBase, ExamSessionApiBase, RegistrationApiBase
from app.models import choices as ch
from app.security.scoping import owner_defaults, scoped
from app.services import exams
from app.validation import DomainValidationError
from app.views.base import METHOD_PERMISSIONS, SCOPE, ScopedModelView
from app.views.labels import LABELS
from app.views.scale import ScaleInterface


def _session():
    from flask import current_app

    return current_app.appbuilder.session


def _show_errors(form, exc: DomainValidationError) -> None:
    """A service refusal under the form's fields; what has no field is flashed."""
    for field, message in exc.errors:
        target = form._fields.get(field) if form is not None else None
        if target is not None:
            target.errors = list(target.errors) + [message]
        else:
            flash(f"{LABELS.get(field, field)}: {message}" if field in LABELS else message, "danger")


def _flash_refusal(exc: DomainValidationError, prefix: str = "") -> None:
    for field, message in exc.errors:
        label = LABELS.get(field)
        flash(f"{prefix}{label}: {message}" if label else f"{prefix}{message}", "danger")


def with_domain_rules(form_class, view):
    """Form subclass that, once the record's own rules pass, asks the view's domain rules
    (app.services.exams through ``view.domain_errors``) and shows each refusal under its field."""

    class DomainCheckedForm(form_class):
        def validate(self, extra_validators=None):
            if not super().validate(extra_validators):
                return False
            values = {name: (None if field.data == "" else field.data) for name, field in self._fields.items()}
            errors = view.domain_errors(values, (request.view_args or {}).get("pk"))
            for field, message in errors:
                target = self._fields.get(field) or self._fields.get(field.removesuffix("_id"))
                if target is not None:
                    target.errors = list(target.errors) + [message]
                else:
                    flash(f"{LABELS.get(field, field)}: {message}", "danger")
            return not errors

    DomainCheckedForm.__name__ = form_class.__name__
    return DomainCheckedForm


class DomainRulesMixin:
    """For ScopedModelView subclasses: domain rules in the add/edit forms (under the fields) and
    again in pre_add/pre_update (the same service, for what a form cannot see: races)."""

    def _init_forms(self):
        super()._init_forms()
        self.add_form = with_domain_rules(self.add_form, self)
        self.edit_form = with_domain_rules(self.edit_form, self)

    def domain_errors(self, values, pk) -> list[tuple[str, str]]:
        return []

    def check(self, item, changes) -> None:
        pass

    def pre_add(self, item):
        super().pre_add(item)
        self.check(item, {exams.NEW})

    def pre_update(self, item):
        changes = exams.pending_changes(item)  # before anything autoflushes the item
        super().pre_update(item)
        self.check(item, changes)

    def pre_delete(self, item):
        super().pre_delete(item)
        exams.check_delete(self.datamodel.session, item)

    def _owned(self, values):
        """Form values with the awarding body a scoped user's record gets whatever the form said."""
        values = dict(values)
        owner = owner_defaults(g.user).get("awarding_body_id")
        if owner:
            values["awarding_body"] = _session().get(m.AwardingBody, owner)
        return values

    def _stored(self, pk):
        return self.datamodel.get(pk, self._base_filters) if pk else None


def _form_page(view, form, title, submit, back, intro=None, items=None, danger=False):
    return view.render_template("planning/form.html", form=form, title=title, submit=submit, back=back,
                                intro=intro, items=items or [], danger=danger)


class ReasonForm(DynamicForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired()], widget=BS3TextAreaFieldWidget())


# --- candidates -----------------------------------------------------------------------------------

class CandidateInterface(ScaleInterface):
    """Without a chosen order the list is grouped: standard, school, curriculum, graduation."""

    GROUPS = (m.Enrolment.standard_id, m.Enrolment.school_id, m.Enrolment.curriculum_id,
              m.Enrolment.expected_graduation, m.Enrolment.id)

    def apply_all(self, query, filters=None, order_column="", order_direction="", page=None, page_size=None,
                  select_columns=None, outer_default_load=False):
        if not order_column:
            query = query.order_by(*self.GROUPS)
        return super().apply_all(query, filters, order_column, order_direction, page, page_size,
                                 select_columns, outer_default_load)


def _language_choices():
    return list(ch.STUDY_LANGUAGE)


def _curricula():
    query = select(m.Curriculum).order_by(m.Curriculum.name)
    return list(_session().execute(scoped(query, m.Curriculum)).scalars())


class ConfirmCurriculumForm(DynamicForm):
    curriculum = QuerySelectField(_l("Curriculum"), query_func=_curricula, get_pk_func=lambda o: o.id,
                                  validators=[DataRequired()], widget=Select2Widget())
    graduation_from = DateField(_l("Graduating from"), validators=[Optional()], widget=DatePickerWidget())
    graduation_to = DateField(_l("Graduating until"), validators=[Optional()], widget=DatePickerWidget())
    public_consent = BooleanField(_l("Consent to public register"))


def _open_sessions():
    """Sessions a candidate can still be registered for (the service checks again)."""
    from app.models.base import utcnow

    query = (select(m.ExamSession).where(m.ExamSession.status.in_(exams.PLANNING_STATUSES),
                                         m.ExamSession.starts_at > utcnow())
             .order_by(m.ExamSession.starts_at))
    return list(_session().execute(scoped(query, m.ExamSession)).scalars())


class AssignForm(DynamicForm):
    exam_session = QuerySelectField(_l("Exam session"), query_func=_open_sessions, get_pk_func=lambda o: o.id,
                                    validators=[DataRequired()], widget=Select2Widget())


CANDIDATE_PERMISSIONS = {
    **METHOD_PERMISSIONS,
    "confirm": "confirm", "confirm_form": "confirm", "confirm_curriculum": "confirm",
    "assign": "assign", "assign_form": "assign",
}


class CandidateView(ScopedModelView):
    """"Kandidaadid": graduates routed to an awarding body. The awarding body sees its own and
    assigns confirmed candidates to sessions; the school sees its own and confirms them."""

    model = m.Enrolment
    class_permission_name = "Candidate"
    method_permission_name = CANDIDATE_PERMISSIONS
    base_permissions = ["can_read", "can_confirm", "can_assign"]
    list_title = _l("Candidates")
    show_title = _l("Candidate")
    base_filters = SCOPE + [["awarding_body_id", FilterNotEqual, None]]
    list_columns = ["person", "standard", "school", "curriculum", "expected_graduation", "status",
                    "candidate_confirmed", "exam_language", "special_arrangements_needed", "public_consent"]
    search_columns = ["standard", "school", "curriculum", "expected_graduation", "status", "candidate_confirmed",
                      "person", "exam_language", "special_arrangements_needed", "public_consent", "awarding_body"]
    order_columns = ["expected_graduation", "status", "candidate_confirmed", "exam_language"]
    show_columns = ["person", "standard", "awarding_body", "school", "curriculum", "study_language", "study_form",
                    "status", "expected_graduation", "graduation_date", "candidate_confirmed", "confirmed_at",
                    "exam_language", "special_arrangements_needed", "special_arrangements", "public_consent"]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.class_permission_name = "Candidate"  # not Enrolment: the school gets no enrolment write
        eager = self.datamodel.list_eager
        self.datamodel = CandidateInterface(m.Enrolment, text_search=True)
        self.datamodel.list_eager = eager

    # the school: the joint application
    @action("confirm", _l("Confirm as candidates"), None, "fa-check", multiple=True, single=True)
    def confirm(self, items):
        items = items if isinstance(items, list) else [items]
        return redirect(url_for(f"{self.endpoint}.confirm_form", ids=",".join(str(i.id) for i in items)))

    def _items(self):
        ids = [i for i in (request.values.get("ids") or "").split(",") if i.strip().isdigit()]
        if not ids:
            abort(404)
        return [self._scoped_item(pk) for pk in ids]

    @expose("/confirm", methods=["GET", "POST"])
    @has_access
    def confirm_form(self):
        items = self._items()
        errors: dict[int, list[str]] = {}
        if request.method == "POST":
            applications = []
            for item in items:
                applications.append((item, {
                    "exam_language": request.form.get(f"exam_language-{item.id}"),
                    "special_arrangements_needed": bool(request.form.get(f"special_arrangements_needed-{item.id}")),
                    "special_arrangements": request.form.get(f"special_arrangements-{item.id}"),
                    "public_consent": bool(request.form.get(f"public_consent-{item.id}")),
                }))
            try:
                confirmed = exams.confirm_candidates(self.datamodel.session, applications)
            except DomainValidationError as exc:
                general = []
                for _field, message in exc.errors:
                    owner = next((i for i in items if i.person.full_name in message), None)
                    (errors.setdefault(owner.id, []) if owner else general).append(message)
                for message in general:
                    flash(message, "danger")
                items = self._items()  # the rollback expired them: show what is stored
                values = {key: value for key, value in request.form.items()}
            else:
                flash(_("%(count)s candidates confirmed", count=len(confirmed)), "success")
                return redirect(url_for(f"{self.endpoint}.list"))
        else:
            values = {}
            for item in items:
                values[f"exam_language-{item.id}"] = item.exam_language or item.study_language or ""
                values[f"special_arrangements-{item.id}"] = item.special_arrangements or ""
                if item.special_arrangements_needed:
                    values[f"special_arrangements_needed-{item.id}"] = "y"
                if item.public_consent:
                    values[f"public_consent-{item.id}"] = "y"
        return self.render_template(
            "planning/confirm.html", items=items, values=values, errors=errors, languages=_language_choices(),
            title=_("Joint application: confirm candidates"), back=url_for(f"{self.endpoint}.list"),
            ids=",".join(str(i.id) for i in items))

    @expose("/confirm-curriculum", methods=["GET", "POST"])
    @has_access
    def confirm_curriculum(self):
        form = ConfirmCurriculumForm()
        if request.method == "POST" and form.validate_on_submit():
            try:
                confirmed = exams.confirm_curriculum(
                    self.datamodel.session, form.curriculum.data, graduation_from=form.graduation_from.data,
                    graduation_to=form.graduation_to.data, public_consent=form.public_consent.data)
            except DomainValidationError as exc:
                _show_errors(form, exc)
            else:
                flash(_("%(count)s candidates confirmed", count=len(confirmed)), "success")
                return redirect(url_for(f"{self.endpoint}.list"))
        return _form_page(self, form, _("Confirm the candidates of a curriculum"), _("Confirm"),
                          url_for(f"{self.endpoint}.list"),
                          intro=_("Every routed candidate of the curriculum not yet confirmed, in the graduation "
                                  "window if one is given, is confirmed with their study language as the exam "
                                  "language and no special arrangements. Change single candidates afterwards."))

    # the awarding body: assignment to a session
    @action("assign", _l("Register for an exam session"), None, "fa-calendar-plus-o", multiple=True, single=True)
    def assign(self, items):
        items = items if isinstance(items, list) else [items]
        return redirect(url_for(f"{self.endpoint}.assign_form", ids=",".join(str(i.id) for i in items)))

    @expose("/assign", methods=["GET", "POST"])
    @has_access
    def assign_form(self):
        items = self._items()
        form = AssignForm()
        if request.method == "POST" and form.validate_on_submit():
            x = form.exam_session.data
            try:
                rows = exams.register(self.datamodel.session, x, items)
            except DomainValidationError as exc:
                _show_errors(form, exc)
                items = self._items()
            else:
                flash(_("%(count)s candidates registered for %(session)s", count=len(rows), session=str(x)), "success")
                return redirect(url_for("ExamSessionView.show", pk=x.id))
        return _form_page(self, form, _("Register candidates for an exam session"), _("Register for an exam session"),
                          url_for(f"{self.endpoint}.list"), items=[str(i) for i in items])


# --- exam sessions --------------------------------------------------------------------------------

SESSION_PERMISSIONS = {
    **METHOD_PERMISSIONS,
    "publish": "write", "unpublish": "write", "mark_held": "write", "cancel": "write", "cancel_form": "write",
    "check_committee": "write", "add_assessor": "write", "add_assessor_form": "write",
}


def _schools():
    return list(_session().execute(scoped(select(m.School).order_by(m.School.name), m.School)).scalars())


class AddAssessorForm(DynamicForm):
    isikukood = StringField(_l("Personal code"), validators=[DataRequired()], widget=BS3TextFieldWidget())
    first_name = StringField(_l("First name"), widget=BS3TextFieldWidget())
    last_name = StringField(_l("Last name"), widget=BS3TextFieldWidget())
    role = SelectField(_l("Role"), choices=list(ch.ASSESSOR_ROLE), default="member", widget=Select2Widget())
    representation = SelectField(_l("Representation"), choices=list(ch.REPRESENTATION), widget=Select2Widget())
    employer_name = StringField(_l("Employer"), widget=BS3TextFieldWidget())
    employer_school = QuerySelectField(_l("Employer school"), query_func=_schools, get_pk_func=lambda o: o.id,
                                       allow_blank=True, blank_text="—", widget=Select2Widget())


class ExamSessionActions(DomainRulesMixin):
    """Status actions of an exam session and its committee, for ExamSessionView."""

    method_permission_name = SESSION_PERMISSIONS
    api_base = ExamSessionApiBase

    def domain_errors(self, values, pk):
        values = self._owned(values)
        if pk:
            values["id"] = int(pk)
        return exams.session_errors(self.datamodel.session, values)

    def check(self, item, changes):
        exams.check_session(self.datamodel.session, item, changes)

    def _transition(self, items, status, done):
        items = items if isinstance(items, list) else [items]
        for item in items:
            try:
                warnings = exams.change_status(self.datamodel.session, item, status)
            except DomainValidationError as exc:
                _flash_refusal(exc, f"{item}: ")
            else:
                flash(done % {"session": item}, "success")
                for warning in warnings:
                    flash(warning, "warning")
        return redirect(self.get_redirect())

    @action("publish", _l("Publish"), _l("Publish the selected exam sessions?"), "fa-bullhorn")
    def publish(self, items):
        return self._transition(items, "published", _("%(session)s is published"))

    @action("unpublish", _l("Back to draft"), None, "fa-undo")
    def unpublish(self, items):
        return self._transition(items, "draft", _("%(session)s is a draft again"))

    @action("mark_held", _l("Mark as held"), _l("Mark the selected exam sessions as held?"), "fa-flag-checkered")
    def mark_held(self, items):
        return self._transition(items, "held", _("%(session)s is marked as held"))

    @action("cancel", _l("Cancel the session"), None, "fa-ban", multiple=False)
    def cancel(self, item):
        return redirect(url_for(f"{self.endpoint}.cancel_form", pk=item.id))

    @expose("/cancel/<int:pk>", methods=["GET", "POST"])
    @has_access
    def cancel_form(self, pk):
        item = self._scoped_item(pk)
        form = ReasonForm()
        form.reason.label.text = _("Reason for cancellation")
        if request.method == "POST" and form.validate_on_submit():
            try:
                exams.change_status(self.datamodel.session, item, "cancelled", reason=form.reason.data)
            except DomainValidationError as exc:
                _show_errors(form, SimpleNamespace(errors=[("reason" if f == "cancellation_reason" else f, msg)
                                                           for f, msg in exc.errors]))
                item = self._scoped_item(pk)
            else:
                flash(_("%(session)s is cancelled; its candidates are withdrawn", session=item), "success")
                return redirect(url_for(f"{self.endpoint}.show", pk=pk))
        return _form_page(self, form, _("Cancel the exam session"), _("Cancel the session"),
                          url_for(f"{self.endpoint}.show", pk=pk), intro=str(item), danger=True)

    @action("check_committee", _l("Check the committee"), None, "fa-users", multiple=False)
    def check_committee(self, item):
        errors = exams.committee_errors(self.datamodel.session, item)
        for _field, message in errors:
            flash(message, "danger")
        if not errors:
            flash(_("The assessment committee of %(session)s is complete and has no conflicts of interest",
                    session=item), "success")
        return redirect(url_for(f"{self.endpoint}.show", pk=item.id))

    @action("add_assessor", _l("Add an assessor"), None, "fa-user-plus", multiple=False)
    def add_assessor(self, item):
        return redirect(url_for(f"{self.endpoint}.add_assessor_form", pk=item.id))

    @expose("/assessor/<int:pk>", methods=["GET", "POST"])
    @has_access
    def add_assessor_form(self, pk):
        item = self._scoped_item(pk)
        form = AddAssessorForm()
        if request.method == "POST" and form.validate_on_submit():
            try:
                a = exams.add_assessor(
                    self.datamodel.session, item, isikukood=form.isikukood.data, first_name=form.first_name.data,
                    last_name=form.last_name.data, role=form.role.data, representation=form.representation.data,
                    employer_name=form.employer_name.data, employer_school=form.employer_school.data)
            except DomainValidationError as exc:
                _show_errors(form, exc)
                item = self._scoped_item(pk)
            else:
                flash(_("%(person)s added to the assessment committee", person=a.person), "success")
                return redirect(url_for(f"{self.endpoint}.show", pk=pk))
        return _form_page(self, form, _("Add an assessor"), _("Add"), url_for(f"{self.endpoint}.show", pk=pk),
                          intro=_("A person not known yet is added with the names given."), items=[str(item)])


# --- registrations --------------------------------------------------------------------------------

REGISTRATION_PERMISSIONS = {**METHOD_PERMISSIONS, "withdraw": "write", "withdraw_form": "write"}


class RegistrationActions(DomainRulesMixin):
    method_permission_name = REGISTRATION_PERMISSIONS
    api_base = RegistrationApiBase

    def domain_errors(self, values, pk):
        x, enrolment = values.get("exam_session"), values.get("enrolment")
        if x is None or enrolment is None:
            return []
        stored = self._stored(pk)
        if stored is not None and (stored.exam_session_id, stored.enrolment_id) == (x.id, enrolment.id):
            return []  # not moved: nothing to check
        if stored is not None and stored.status != "registered":
            return []
        return exams.registration_errors(self.datamodel.session, x, enrolment, registration=stored)

    def check(self, item, changes):
        exams.check_registration(self.datamodel.session, item, changes)

    @action("withdraw", _l("Withdraw"), None, "fa-sign-out", multiple=False)
    def withdraw(self, item):
        return redirect(url_for(f"{self.endpoint}.withdraw_form", pk=item.id))

    @expose("/withdraw/<int:pk>", methods=["GET", "POST"])
    @has_access
    def withdraw_form(self, pk):
        item = self._scoped_item(pk)
        form = ReasonForm()
        form.reason.label.text = _("Reason for withdrawal")
        if request.method == "POST" and form.validate_on_submit():
            try:
                exams.withdraw(self.datamodel.session, item, form.reason.data)
            except DomainValidationError as exc:
                _show_errors(form, SimpleNamespace(errors=[("reason" if f == "withdrawal_reason" else f, msg)
                                                           for f, msg in exc.errors]))
                item = self._scoped_item(pk)
            else:
                flash(_("%(registration)s is withdrawn", registration=item), "success")
                return redirect(url_for(f"{self.endpoint}.show", pk=pk))
        return _form_page(self, form, _("Withdraw from the exam"), _("Withdraw"),
                          url_for(f"{self.endpoint}.show", pk=pk), intro=str(item), danger=True)


# --- the assessment committee ---------------------------------------------------------------------

ASSESSOR_PERMISSIONS = {**METHOD_PERMISSIONS, "invite": "write", "invite_form": "write"}


class InviteForm(DynamicForm):
    email = StringField(_l("E-mail"), validators=[DataRequired()], widget=BS3TextFieldWidget())


class AssessorActions(DomainRulesMixin):
    method_permission_name = ASSESSOR_PERMISSIONS
    api_base = AssessorApiBase

    def domain_errors(self, values, pk):
        stored = self._stored(pk)
        if stored is not None and all(
            getattr(stored, name) == values.get(name) for name in values if hasattr(stored, name)
        ):
            return []  # saved unchanged
        a = SimpleNamespace(id=int(pk) if pk else None, **{
            name: values.get(name) for name in (
                "exam_session", "person", "role", "representation", "employer_name", "employer_school")})
        return exams.assessor_errors(self.datamodel.session, a)

    def check(self, item, changes):
        exams.check_assessor(self.datamodel.session, item, changes)

    @action("invite", _l("Create an assessor account"), None, "fa-key", multiple=False)
    def invite(self, item):
        return redirect(url_for(f"{self.endpoint}.invite_form", pk=item.id))

    @expose("/account/<int:pk>", methods=["GET", "POST"])
    @has_access
    def invite_form(self, pk):
        item = self._scoped_item(pk)
        form = InviteForm()
        if request.method == "POST" and form.validate_on_submit():
            try:
                user, password = exams.create_assessor_account(self.appbuilder.sm, item, email=form.email.data)
            except DomainValidationError as exc:
                _show_errors(form, exc)
            else:
                # Shown once, on this page only (never in a flash message, which travels in the cookie).
                return self.render_template("planning/account.html", user=user, password=password,
                                            title=_("Assessor account created"), item=item,
                                            back=url_for(f"{self.endpoint}.show", pk=pk))
        return _form_page(self, form, _("Create an assessor account"), _("Create"),
                          url_for(f"{self.endpoint}.show", pk=pk),
                          intro=_("%(person)s gets a user account with the role Assessor (user name: the personal "
                                  "code) and sees the sessions whose committee they sit on. The password is shown "
                                  "once on the next page.", person=item.person))
