"""Decisions, certificates and appeals. Actions and forms call app.services.outcomes; FAB
actions re-fetch their records through the scope (app.views.base)."""
from flask import flash, redirect, request, url_for
from flask_appbuilder import action, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import models as m
from app.models import choices as c
from app.services import outcomes
from app.validation import DomainValidationError
from app.views.base import METHOD_PERMISSIONS, ScopedModelView
from app.views.labels import LABELS


def _each(items):
    return items if isinstance(items, list) else [items]


def _run_each(view, items, fn, done_message):
    """Run a service call per record; report each refusal with the record it concerns."""
    done = 0
    for item in _each(items):
        try:
            fn(item)
            done += 1
        except DomainValidationError as exc:
            view.datamodel.session.rollback()
            flash(f"{item}: {exc}", "danger")
        except PermissionError:
            view.datamodel.session.rollback()
            flash(_("%(record)s: not allowed", record=item), "danger")
    if done:
        flash(done_message % {"n": done}, "success")
    return redirect(view.get_redirect())


class AppealView(ScopedModelView):
    model = m.Appeal
    list_title = _l("Appeals")
    list_columns = ["decision", "filed_date", "handling_body", "outcome", "outcome_date"]
    search_columns = ["decision", "filed_date", "outcome"]
    add_columns = edit_columns = show_columns = [
        "decision", "filed_date", "late_reason", "description", "handling_body", "outcome",
        "outcome_date",
    ]


class CertificateView(ScopedModelView):
    model = m.Certificate
    list_title = _l("Certificates")
    list_columns = ["registration_number", "holder_name", "standard", "cert_type", "issue_date", "status"]
    search_columns = [
        "registration_number", "holder_name", "isikukood", "standard", "cert_type", "status",
        "issue_date", "awarding_body", "revoked",
    ]
    show_columns = [
        "registration_number", "holder_name", "isikukood", "person", "cert_type", "standard",
        "specialisation", "partial_qualification", "passed_competences", "exam_language", "issue_date",
        "valid_from", "valid_to", "awarding_body", "signer", "decision", "status", "register_reference",
        "register_errors", "name_hidden", "birth_date_hidden", "certificate_hidden",
        "duplicate_of", "duplicate_reason", "revoked", "revoked_reason", "revoked_date", "revocation_sent_at",
    ]
    add_columns = edit_columns = [
        "decision", "person", "holder_name", "isikukood", "cert_type", "standard",
        "specialisation", "partial_qualification", "exam_language", "issue_date", "valid_from",
        "valid_to", "signer", "name_hidden", "birth_date_hidden", "certificate_hidden",
    ]
    base_order = ("issue_date", "desc")
    method_permission_name = {**METHOD_PERMISSIONS, "send": "write", "to_draft": "write",
                              "duplicate": "write", "revoke": "write", "duplicate_form": "write",
                              "revoke_form": "write"}

    @action("send", _l("Send to the register"), _l("Send the selected certificates to Kutseregister?"),
            "fa-paper-plane")
    def send(self, items):
        db = self.datamodel.session
        return _run_each(self, items, lambda cert: outcomes.send_to_register(db, cert),
                         _("Certificates ready for the register: %(n)s"))

    @action("to_draft", _l("Back to draft"), None, "fa-undo")
    def to_draft(self, items):
        db = self.datamodel.session
        return _run_each(self, items, lambda cert: outcomes.return_to_draft(db, cert),
                         _("Certificates returned to draft: %(n)s"))

    @action("duplicate", _l("Order a duplicate"), None, "fa-clone", multiple=False)
    def duplicate(self, item):
        return redirect(url_for("CertificateView.duplicate_form", pk=item.id))

    @action("revoke", _l("Revoke"), None, "fa-ban", multiple=False)
    def revoke(self, item):
        return redirect(url_for("CertificateView.revoke_form", pk=item.id))

    def _form(self, pk, kind):
        cert = self._scoped_item(pk)
        db = self.datamodel.session
        fields = ("duplicate_reason",) if kind == "duplicate" else ("revoked_reason", "revoked_date")
        values = {f: (request.form.get(f) or "").strip() for f in fields}
        errors: dict[str, list[str]] = {}
        if request.method == "POST":
            try:
                if kind == "duplicate":
                    copy = outcomes.order_duplicate(db, cert, values["duplicate_reason"] or None)
                else:
                    outcomes.revoke_certificate(db, cert, values["revoked_reason"], values["revoked_date"])
            except DomainValidationError as exc:
                db.rollback()
                cert = self._scoped_item(pk)
                for key, message in exc.errors:
                    errors.setdefault(key, []).append(message)
            else:
                if kind == "duplicate":
                    flash(_("The duplicate is ready for the register"), "success")
                    return redirect(url_for("CertificateView.show", pk=copy.id))
                flash(_("The certificate is revoked; the next register export tells Kutseregister"), "success")
                return redirect(url_for("CertificateView.show", pk=cert.id))
        title = _("Order a duplicate") if kind == "duplicate" else _("Revoke the certificate")
        return self.render_template(
            "outcomes/certificate_action.html", cert=cert, kind=kind, values=values, errors=errors,
            fields=fields, labels=LABELS, reasons=c.DUPLICATE_REASON, title=title,
            button=_("Order a duplicate") if kind == "duplicate" else _("Revoke"),
        ), (422 if errors else 200)

    @expose("/duplicate/<int:pk>", methods=["GET", "POST"])
    @has_access
    def duplicate_form(self, pk):
        return self._form(pk, "duplicate")

    @expose("/revoke/<int:pk>", methods=["GET", "POST"])
    @has_access
    def revoke_form(self, pk):
        return self._form(pk, "revoke")


class DecisionView(ScopedModelView):
    model = m.Decision
    list_title = _l("Decisions")
    list_columns = ["registration", "outcome", "decision_date", "protocol_number", "status"]
    list_eager = ["registration.enrolment.person", "registration.enrolment.curriculum",
                  "registration.exam_session.standard"]
    search_columns = ["registration", "outcome", "decision_date", "protocol_number", "status"]
    add_columns = edit_columns = show_columns = [
        "registration", "outcome", "awarded_standard", "decision_date", "protocol_number",
        "signer", "legal_basis", "reasons", "status",
    ]
    base_order = ("decision_date", "desc")
    related_views = [CertificateView, AppealView]
    method_permission_name = {**METHOD_PERMISSIONS, "confirm": "write"}

    @action("confirm", _l("Confirm"), _l("Confirm the selected decisions? Confirmed decisions are final."),
            "fa-check")
    def confirm(self, items):
        db = self.datamodel.session
        return _run_each(self, items, lambda d: outcomes.confirm_decision(db, d, user=self.appbuilder.sm.current_user),
                         _("Decisions confirmed: %(n)s"))
