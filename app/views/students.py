"""Persons and their enrolments (graduates routed to awarding bodies)."""
from flask_appbuilder.models.sqla.filters import FilterNotEqual
from flask_babel import lazy_gettext as _l

from app import models as m
from app.views.base import ScopedModelView
from app.views.outcomes import CertificateView

ENROLMENT_FIELDS = [
    "person", "curriculum", "study_language", "study_form", "status",
    "expected_graduation", "graduation_date", "standard", "awarding_body", "routing_problem",
    "candidate_confirmed",
]


class _EnrolmentScreens(ScopedModelView):
    """What the enrolment screens share. FAB links every registered view that is an instance of a
    related view's class, so ProblemView must not subclass EnrolmentView: a person's page would
    get an extra "Probleemid" tab."""

    model = m.Enrolment
    show_columns = ENROLMENT_FIELDS + ["school", "confirmed_at"]
    base_order = ("expected_graduation", "desc")


class EnrolmentView(_EnrolmentScreens):
    list_title = _l("Enrolments")
    list_columns = ["person", "curriculum", "school", "status", "expected_graduation", "awarding_body"]
    search_columns = [
        "person", "curriculum", "school", "status", "expected_graduation", "awarding_body",
        "candidate_confirmed", "study_language",
    ]
    add_columns = edit_columns = ENROLMENT_FIELDS


class PersonView(ScopedModelView):
    model = m.Person
    list_title = _l("Persons")
    list_columns = ["first_name", "last_name", "isikukood", "birth_date"]
    search_columns = ["last_name", "first_name", "isikukood", "birth_date"]
    add_columns = edit_columns = show_columns = ["isikukood", "first_name", "last_name", "birth_date"]
    base_order = ("last_name", "asc")
    related_views = [EnrolmentView, CertificateView]


class ProblemView(_EnrolmentScreens):
    """"Probleemid": graduates that could not be routed, with what to fix in EHIS."""

    list_title = _l("Problems")
    list_columns = ["person", "curriculum", "school", "expected_graduation", "routing_problem"]
    search_columns = ["curriculum", "school", "expected_graduation", "status"]
    base_filters = _EnrolmentScreens.base_filters + [["routing_problem", FilterNotEqual, None]]
    base_permissions = ["can_read"]
