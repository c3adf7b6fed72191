"""Decisions, certificates and appeals."""
from flask_babel import lazy_gettext as _l

from app import models as m
from app.views.base import ScopedModelView


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
        "specialisation", "partial_qualification", "exam_language", "issue_date", "valid_from",
        "valid_to", "awarding_body", "signer", "status", "register_reference",
        "register_errors", "name_hidden", "birth_date_hidden", "certificate_hidden",
        "duplicate_of", "duplicate_reason", "revoked", "revoked_reason", "revoked_date",
    ]
    add_columns = edit_columns = [
        "decision", "person", "holder_name", "isikukood", "cert_type", "standard",
        "specialisation", "partial_qualification", "exam_language", "issue_date", "valid_from",
        "valid_to", "signer", "name_hidden", "birth_date_hidden", "certificate_hidden",
    ]
    base_order = ("issue_date", "desc")


class DecisionView(ScopedModelView):
    model = m.Decision
    list_title = _l("Decisions")
    list_columns = ["registration", "outcome", "decision_date", "protocol_number", "status"]
    search_columns = ["registration", "outcome", "decision_date", "protocol_number", "status"]
    add_columns = edit_columns = show_columns = [
        "registration", "outcome", "awarded_standard", "decision_date", "protocol_number",
        "signer", "legal_basis", "reasons", "status",
    ]
    base_order = ("decision_date", "desc")
    related_views = [CertificateView, AppealView]
