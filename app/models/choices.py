"""Enumerated values stored as short strings, with their screen labels (one place)."""
from flask_babel import lazy_gettext as _l

SCHOOL_STATUS = [("open", _l("open")), ("closed", _l("closed"))]
CURRICULUM_STATUS = [("valid", _l("valid")), ("closed", _l("closed"))]
STUDY_LANGUAGE = [("et", _l("Estonian")), ("ru", _l("Russian")), ("en", _l("English"))]
STUDY_FORM = [
    ("statsionaarne", _l("full-time")),
    ("mittestatsionaarne", _l("part-time")),
    ("toopohine", _l("work-based")),
]
ENROLMENT_STATUS = [
    ("oppimas", _l("studying")),
    ("lopetanud", _l("graduated")),
    ("valja_arvatud", _l("removed from the register")),
    ("akadeemilisel_puhkusel", _l("on academic leave")),
]
COMMITTEE_ROLE = [("1", _l("chair")), ("2", _l("vice-chair")), ("3", _l("member"))]
SESSION_STATUS = [
    ("draft", _l("draft")),
    ("published", _l("published")),
    ("held", _l("held")),
    ("results_entered", _l("results entered")),
    ("decided", _l("decided")),
    ("closed", _l("closed")),
    ("cancelled", _l("cancelled")),
]
REGISTRATION_STATUS = [("registered", _l("registered")), ("withdrawn", _l("withdrawn"))]
ASSESSOR_ROLE = [("chair", _l("chair")), ("member", _l("member"))]
REPRESENTATION = [
    ("employer", _l("employer")),
    ("employee", _l("employee")),
    ("teacher", _l("teacher or trainer")),
    ("other", _l("other")),
]
RESULT_STATUS = [("draft", _l("draft")), ("submitted", _l("submitted")), ("reopened", _l("reopened"))]
PROPOSAL = [
    ("award", _l("award")),
    ("refuse", _l("refuse")),
    ("award_other_level", _l("award another level")),
]
DECISION_STATUS = [("draft", _l("draft")), ("confirmed", _l("confirmed"))]
CERTIFICATE_TYPE = [
    ("1", _l("kutsetunnistus")),
    ("2", _l("osakutsetunnistus")),
    ("3", _l("esmane kutse")),
]
CERTIFICATE_STATUS = [
    ("draft", _l("draft")),
    ("ready", _l("ready for the register")),
    ("registered", _l("registered")),
    ("rejected", _l("rejected by the register")),
]
DUPLICATE_REASON = [
    ("1", _l("original lost")),
    ("2", _l("original unusable")),
    ("3", _l("error by the awarding body")),
]
APPEAL_OUTCOME = [
    ("pending", _l("pending")),
    ("upheld", _l("upheld")),
    ("dismissed", _l("dismissed")),
]
JOB_STATUS = [
    ("queued", _l("queued")),
    ("running", _l("running")),
    ("succeeded", _l("succeeded")),
    ("partial", _l("partially succeeded")),
    ("failed", _l("failed")),
]
AUDIT_ACTION = [("insert", _l("added")), ("update", _l("changed")), ("delete", _l("deleted"))]
ACCESS_CHANNEL = [("screen", _l("screen")), ("api", _l("REST API")), ("export", _l("export"))]
REQUEST_STATUS = [("open", _l("open")), ("approved", _l("approved")), ("rejected", _l("rejected"))]


def label(choices, value):
    """Screen label of a stored value; unknown values are shown as they are."""
    for key, text in choices:
        if key == value:
            return text
    return value
