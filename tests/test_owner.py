"""Owner columns (awarding body, school) follow the parent record, also when parent and child
are saved together and the parent names its organisation as an object."""
import datetime as dt

from app import models as m


def test_children_saved_with_unsaved_parents_get_their_owners(world, db):
    start = dt.datetime(2026, 9, 1, 9, tzinfo=dt.UTC)
    body = db.get(m.AwardingBody, world.ids["ab2"])
    session = m.ExamSession(awarding_body=body, standard=db.get(m.OccupationalStandard, world.ids["s2"]),
                            place_address="Tartu", starts_at=start, ends_at=start + dt.timedelta(hours=4))
    enrolment = db.get(m.Enrolment, world.ids["e2"])
    registration = m.Registration(exam_session=session, enrolment=enrolment)
    result = m.Result(registration=registration)
    db.add_all([session, registration, result])
    db.commit()
    assert (registration.awarding_body_id, registration.school_id) == (world.ids["ab2"], world.ids["school2"])
    assert (result.awarding_body_id, result.school_id) == (world.ids["ab2"], world.ids["school2"])
