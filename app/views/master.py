"""Master data screens: standards and their parts, awarding bodies, schools, curricula."""
from flask_babel import lazy_gettext as _l

from app import models as m
from app.views.base import ScopedModelView


class CompetenceView(ScopedModelView):
    model = m.Competence
    list_title = _l("Competences")
    list_columns = ["name", "standard", "register_id", "mandatory"]
    search_columns = ["name", "standard", "mandatory", "register_id"]
    add_columns = edit_columns = ["standard", "register_id", "name", "mandatory"]


class SpecialisationView(ScopedModelView):
    model = m.Specialisation
    list_title = _l("Specialisations")
    list_columns = ["name", "standard", "register_id"]
    search_columns = ["name", "standard", "register_id"]
    add_columns = edit_columns = ["standard", "register_id", "name"]


class PartialQualificationView(ScopedModelView):
    model = m.PartialQualification
    list_title = _l("Partial qualifications")
    list_columns = ["name", "standard", "register_id"]
    search_columns = ["name", "standard", "register_id"]
    add_columns = edit_columns = ["standard", "register_id", "name"]


class AwardingRightView(ScopedModelView):
    model = m.AwardingRight
    list_title = _l("Awarding rights")
    list_columns = ["awarding_body", "standard", "valid_from", "valid_to"]
    search_columns = ["awarding_body", "standard", "valid_from", "valid_to"]
    add_columns = edit_columns = ["awarding_body", "standard", "valid_from", "valid_to"]
    base_order = ("valid_from", "desc")


class CommitteeMemberView(ScopedModelView):
    model = m.CommitteeMember
    list_title = _l("Committee members")
    list_columns = ["name", "role", "committee", "awarding_body", "register_id"]
    search_columns = ["name", "isikukood", "role", "committee", "awarding_body"]
    show_columns = ["name", "isikukood", "role", "committee", "awarding_body", "register_id"]
    add_columns = edit_columns = ["committee", "name", "isikukood", "role", "register_id"]


class QualificationCommitteeView(ScopedModelView):
    model = m.QualificationCommittee
    list_title = _l("Qualification committees")
    list_columns = ["name", "awarding_body"]
    search_columns = ["name", "awarding_body"]
    add_columns = edit_columns = ["awarding_body", "name"]
    related_views = [CommitteeMemberView]


class StandardView(ScopedModelView):
    model = m.OccupationalStandard
    list_title = _l("Occupational standards")
    list_columns = ["name", "ekr_level", "field", "register_id", "valid_from", "valid_to"]
    search_columns = ["name", "ekr_level", "field", "occupation", "register_id", "group_id", "valid_from", "valid_to"]
    show_columns = [
        "name", "name_en", "register_id", "group_id", "version", "ekr_level", "field",
        "occupation", "valid_from", "valid_to", "cert_validity_years",
    ]
    add_columns = edit_columns = show_columns
    base_order = ("name", "asc")
    related_views = [CompetenceView, SpecialisationView, PartialQualificationView, AwardingRightView]


class AwardingBodyView(ScopedModelView):
    model = m.AwardingBody
    list_title = _l("Awarding bodies")
    list_columns = ["name", "registrikood", "committee_member_required"]
    search_columns = ["name", "registrikood"]
    add_columns = edit_columns = show_columns = ["name", "registrikood", "committee_member_required", "exam_languages"]
    base_order = ("name", "asc")
    related_views = [AwardingRightView, QualificationCommitteeView, CommitteeMemberView]


class CurriculumLinkView(ScopedModelView):
    model = m.CurriculumStandardLink
    list_title = _l("Curriculum links")
    list_columns = ["curriculum", "standard", "specialisation", "partial_qualification"]
    search_columns = ["curriculum", "standard"]
    add_columns = edit_columns = ["curriculum", "standard", "specialisation", "partial_qualification"]


class CurriculumView(ScopedModelView):
    model = m.Curriculum
    list_title = _l("Curricula")
    list_columns = ["name", "ehis_code", "school", "level_code", "status", "no_valid_standard"]
    search_columns = ["name", "ehis_code", "school", "level_code", "status", "no_valid_standard"]
    add_columns = edit_columns = show_columns = [
        "ehis_code", "name", "name_en", "school", "level_code", "status", "no_valid_standard",
    ]
    base_order = ("name", "asc")
    related_views = [CurriculumLinkView]


class SchoolView(ScopedModelView):
    model = m.School
    list_title = _l("Schools")
    list_columns = ["name", "ehis_id", "registrikood", "status"]
    search_columns = ["name", "ehis_id", "registrikood", "status"]
    add_columns = edit_columns = show_columns = ["name", "name_en", "ehis_id", "registrikood", "status"]
    base_order = ("name", "asc")
    related_views = [CurriculumView]
