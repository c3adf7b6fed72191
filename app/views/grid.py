"""Work on a whole exam session at once: the results grid (the committee chair, the awarding
body) and the kutsekomisjon's decisions in bulk. Thin views: every rule is in
app.services.outcomes; the session and its rows are fetched through the scope (404 otherwise)."""
from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from sqlalchemy import case, func, select

from app.models import (
    AwardingRight,
    CommitteeMember,
    Decision,
    ExamSession,
    OccupationalStandard,
    Registration,
    Result,
)
from app.models import choices as c
from app.security.scoping import scoped
from app.services import outcomes
from app.validation import DomainValidationError
from app.views.labels import LABELS

WORK_STATUSES = ("published", "held", "results_entered", "decided")


def _db():
    return current_app.appbuilder.session


def scoped_session_or_404(session_id: int) -> ExamSession:
    query = scoped(select(ExamSession).where(ExamSession.id == session_id), ExamSession)
    item = _db().execute(query).scalars().first()
    if item is None:
        abort(404)
    return item


def _visible_registrations(exam_session: ExamSession):
    return scoped(select(Registration.id).where(Registration.exam_session_id == exam_session.id), Registration)


def _split_errors(errors) -> tuple[dict[str, list[str]], list[str]]:
    """Cell errors ("<registration id>.<field>") and the rest (shown at the top)."""
    cells: dict[str, list[str]] = {}
    general = []
    for key, message in errors:
        if "." in key:
            cells.setdefault(key, []).append(message)
        else:
            general.append(f"{LABELS.get(key, key)}: {message}")
    return cells, general


def session_summaries(db, statuses=WORK_STATUSES, limit: int = 200):
    """The latest sessions in scope (work first) with their numbers of candidates, submitted
    results and confirmed decisions; the sessions are chosen before anything is counted."""
    order = (case((ExamSession.status.in_(("held", "results_entered")), 0), else_=1), ExamSession.starts_at.desc())
    chosen = scoped(select(ExamSession.id).where(ExamSession.status.in_(statuses)), ExamSession)
    chosen = chosen.order_by(*order).limit(limit).subquery()
    registered = (Registration.status == "registered")
    query = (
        select(
            ExamSession,
            func.count(Registration.id.distinct()).filter(registered).label("candidates"),
            func.count(Result.id.distinct()).filter(Result.status == "submitted").label("submitted"),
            func.count(Decision.id.distinct()).filter(Decision.status == "confirmed").label("confirmed"),
        )
        .join(chosen, chosen.c.id == ExamSession.id)
        .outerjoin(Registration, Registration.exam_session_id == ExamSession.id)
        .outerjoin(Result, Result.registration_id == Registration.id)
        .outerjoin(Decision, Decision.registration_id == Registration.id)
        .group_by(ExamSession.id)
        .order_by(*order)
    )
    return db.execute(query).all()


class ResultGridView(BaseView):
    """Results of a whole exam session in one grid."""

    route_base = "/grid"
    default_view = "index"
    class_permission_name = "Result"
    method_permission_name = {"index": "read", "grid": "read", "save": "write", "reopen": "write"}

    @expose("/")
    @has_access
    def index(self):
        rows = session_summaries(_db())
        return self.render_template("outcomes/sessions.html", rows=rows, title=_("Results entry"),
                                    mode="grid", status_label=lambda v: c.label(c.SESSION_STATUS, v))

    def _render(self, exam_session, grid, values=None, errors=None, status=200):
        db = _db()
        cells, general = _split_errors(errors or [])
        for message in general:
            flash(message, "danger")
        if values is None:
            values = self._stored_values(grid)
        return self.render_template(
            "outcomes/grid.html", x=exam_session, grid=grid, v=values, errors=cells,
            title=_("Results: %(session)s", session=exam_session),
            can_grade=outcomes.can_grade(db, g.user, exam_session),
            can_reopen=outcomes.can_reopen(g.user, exam_session),
            can_decide=outcomes.can_decide(g.user, exam_session),
            closed_errors=outcomes.grading_errors(exam_session),
            proposals=c.PROPOSAL, result_label=lambda v: c.label(c.RESULT_STATUS, v),
            session_label=c.label(c.SESSION_STATUS, exam_session.status),
        ), status

    @staticmethod
    def _stored_values(grid) -> dict[str, str]:
        values: dict[str, str] = {}
        for row in grid.rows:
            rid = row.registration.id
            result = row.result
            values[f"{rid}.attended"] = "1" if result is None or result.attended else "0"
            values[f"{rid}.proposal"] = (result.proposal or "") if result else ""
            values[f"{rid}.comment"] = (result.comment or "") if result else ""
            for comp in grid.competences:
                mark = row.marks.get(comp.id)
                passed = "" if mark is None or mark.passed is None else ("1" if mark.passed else "0")
                points = "" if mark is None or mark.points is None else _points_text(mark.points)
                values[f"{rid}.c{comp.id}.passed"] = passed
                values[f"{rid}.c{comp.id}.points"] = points
        return values

    @expose("/<int:session_id>", methods=["GET"])
    @has_access
    def grid(self, session_id):
        exam_session = scoped_session_or_404(session_id)
        grid = outcomes.load_grid(_db(), exam_session, _visible_registrations(exam_session))
        return self._render(exam_session, grid)

    @expose("/<int:session_id>", methods=["POST"])
    @has_access
    def save(self, session_id):
        db = _db()
        exam_session = scoped_session_or_404(session_id)
        if not outcomes.can_grade(db, g.user, exam_session):
            abort(403)
        grid = outcomes.load_grid(db, exam_session)
        rows, values = _form_rows(request.form, grid)
        submit = request.form.get("submit_results") == "1"
        try:
            counts = outcomes.save_grid(db, exam_session, rows, submit=submit, user=g.user)
        except DomainValidationError as exc:
            db.rollback()
            exam_session = scoped_session_or_404(session_id)
            grid = outcomes.load_grid(db, exam_session)
            flash(_("Nothing was saved: correct the marked cells."), "danger")
            return self._render(exam_session, grid, {**self._stored_values(grid), **values}, exc.errors, 422)
        if submit:
            flash(_("Results submitted and locked: %(n)s", n=counts["submitted"]), "success")
        else:
            flash(_("Results saved as a draft: %(n)s", n=counts["saved"]), "success")
        return redirect(url_for("ResultGridView.grid", session_id=session_id))

    @expose("/reopen/<int:result_id>", methods=["GET", "POST"])
    @has_access
    def reopen(self, result_id):
        db = _db()
        result = db.execute(scoped(select(Result).where(Result.id == result_id), Result)).scalars().first()
        if result is None:
            abort(404)
        exam_session = result.registration.exam_session
        if not outcomes.can_reopen(g.user, exam_session):
            abort(403)
        reason = (request.form.get("reason") or "").strip()
        errors: dict[str, list[str]] = {}
        if request.method == "POST":
            try:
                outcomes.reopen_result(db, result, reason, user=g.user)
            except DomainValidationError as exc:
                db.rollback()
                for key, message in exc.errors:
                    errors.setdefault(key, []).append(message)
            else:
                flash(_("The result of %(name)s was reopened", name=result.registration.enrolment.person.full_name),
                      "success")
                return redirect(url_for("ResultGridView.grid", session_id=exam_session.id))
        return self.render_template("outcomes/reason.html", title=_("Reopen a submitted result"),
                                    item=result.registration, reason=reason, errors=errors,
                                    reason_label=LABELS["reopen_reason"], button=_("Reopen"),
                                    back=url_for("ResultGridView.grid", session_id=exam_session.id)), \
            (422 if errors else 200)


def _points_text(value) -> str:
    text = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f").rstrip("0")
    return text.replace(".", ",")


def _form_rows(form, grid) -> tuple[list[dict], dict[str, str]]:
    """The grid's form fields as service rows, and the posted strings to show again."""
    rows, values = [], {}
    for row in grid.rows:
        rid = row.registration.id
        prefix = f"r{rid}-"
        if row.locked or prefix + "attended" not in form:
            continue
        data = {"registration_id": rid, "competences": {}}
        for name in ("attended", "proposal", "comment"):
            data[name] = form.get(prefix + name, "")
            values[f"{rid}.{name}"] = data[name]
        for comp in grid.competences:
            cell = {"passed": form.get(f"{prefix}c{comp.id}-passed", ""),
                    "points": form.get(f"{prefix}c{comp.id}-points", "")}
            data["competences"][comp.id] = cell
            values[f"{rid}.c{comp.id}.passed"] = cell["passed"]
            values[f"{rid}.c{comp.id}.points"] = cell["points"]
        rows.append(data)
    return rows, values


class SessionDecisionView(BaseView):
    """The kutsekomisjon's decisions on a session's candidates, in bulk."""

    route_base = "/decide"
    default_view = "index"
    class_permission_name = "Decision"
    method_permission_name = {"index": "read", "page": "read", "save": "write"}

    @expose("/")
    @has_access
    def index(self):
        rows = session_summaries(_db(), ("results_entered", "held", "decided"))
        return self.render_template("outcomes/sessions.html", rows=rows, title=_("Decisions by session"),
                                    mode="decide", status_label=lambda v: c.label(c.SESSION_STATUS, v))

    def _choices(self, exam_session):
        db = _db()
        signers = db.execute(scoped(
            select(CommitteeMember).where(CommitteeMember.awarding_body_id == exam_session.awarding_body_id)
            .order_by(CommitteeMember.role, CommitteeMember.name), CommitteeMember)).scalars().all()
        standards = db.execute(
            select(OccupationalStandard).join(AwardingRight, AwardingRight.standard_id == OccupationalStandard.id)
            .where(AwardingRight.awarding_body_id == exam_session.awarding_body_id,
                   OccupationalStandard.id != exam_session.standard_id)
            .distinct().order_by(OccupationalStandard.name)).scalars().all()
        return signers, standards

    def _render(self, exam_session, values=None, errors=None, status=200):
        db = _db()
        rows = outcomes.decision_rows(db, exam_session)
        visible = set(db.execute(_visible_registrations(exam_session)).scalars())
        rows = [row for row in rows if row.registration.id in visible]
        cells, general = _split_errors(errors or [])
        top = {}
        for key in ("decision_date", "protocol_number", "signer", "registration"):
            top[key] = [m for k, m in (errors or []) if k == key]
        general = [m for m in general if not any(m.startswith(f"{LABELS.get(k, k)}: ") for k in top)]
        for message in general:
            flash(message, "danger")
        if values is None:
            values = self._stored_values(rows)
        signers, standards = self._choices(exam_session)
        certificates = outcomes.certificates_of(db, [row.decision.id for row in rows if row.final])
        return self.render_template(
            "outcomes/decide.html", x=exam_session, rows=rows, v=values, errors=cells, top=top,
            signers=signers, standards=standards, certificates=certificates,
            outcomes_choices=c.PROPOSAL, outcome_label=lambda v: c.label(c.PROPOSAL, v),
            cert_status_label=lambda v: c.label(c.CERTIFICATE_STATUS, v),
            can_decide=outcomes.can_decide(g.user, exam_session),
            title=_("Decisions: %(session)s", session=exam_session),
            session_label=c.label(c.SESSION_STATUS, exam_session.status),
        ), status

    @staticmethod
    def _stored_values(rows) -> dict[str, str]:
        values: dict[str, str] = {"decision_date": outcomes.today().strftime("%d.%m.%Y"),
                                  "protocol_number": "", "signer": ""}
        for row in rows:
            rid = row.registration.id
            d = row.decision if row.decision is not None and row.decision.status == "draft" else None
            values[f"{rid}.include"] = "1"
            values[f"{rid}.outcome"] = d.outcome if d else (row.result.proposal or "")
            values[f"{rid}.awarded_standard"] = str(d.awarded_standard_id or "") if d and d.outcome == \
                "award_other_level" else ""
            values[f"{rid}.legal_basis"] = (d.legal_basis or "") if d else ""
            values[f"{rid}.reasons"] = (d.reasons or "") if d else ""
            if d is not None:
                values["decision_date"] = d.decision_date.strftime("%d.%m.%Y")
                values["protocol_number"] = d.protocol_number or values["protocol_number"]
                values["signer"] = str(d.signer_id or values["signer"])
        return values

    @expose("/<int:session_id>", methods=["GET"])
    @has_access
    def page(self, session_id):
        return self._render(scoped_session_or_404(session_id))

    @expose("/<int:session_id>", methods=["POST"])
    @has_access
    def save(self, session_id):
        db = _db()
        exam_session = scoped_session_or_404(session_id)
        if not outcomes.can_decide(g.user, exam_session):
            abort(403)
        form = request.form
        common = {k: form.get(k, "") for k in ("decision_date", "protocol_number", "signer")}
        rows, values = [], dict(common)
        for row in outcomes.decision_rows(db, exam_session):
            rid = row.registration.id
            if row.final or f"r{rid}-outcome" not in form:
                continue
            data = {"registration_id": rid, "include": form.get(f"r{rid}-include", "0")}
            for name in ("outcome", "awarded_standard", "legal_basis", "reasons"):
                data[name] = form.get(f"r{rid}-{name}", "")
            values.update({f"{rid}.{k}": v for k, v in data.items() if k != "registration_id"})
            rows.append(data)
        confirm = form.get("confirm_decisions") == "1"
        try:
            counts = outcomes.decide_session(db, exam_session, common, rows, confirm=confirm, user=g.user)
        except DomainValidationError as exc:
            db.rollback()
            flash(_("Nothing was saved: correct the marked fields."), "danger")
            return self._render(scoped_session_or_404(session_id), values, exc.errors, 422)
        if confirm:
            flash(_("Decisions confirmed: %(n)s", n=counts["confirmed"]), "success")
        else:
            flash(_("Decisions saved as drafts: %(n)s", n=counts["decisions"]), "success")
        return redirect(url_for("SessionDecisionView.page", session_id=session_id))
