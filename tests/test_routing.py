"""Routing of graduates to the awarding body holding a valid right on the expected graduation
date; every case that cannot be routed carries a reason that says what to fix."""
import datetime as dt

from app import models as m
from app.audit import acting_as
from app.services.routing import route_enrolments


def _setup(db):
    with acting_as("test"):
        kokk = m.OccupationalStandard(register_id=10465773, name="Kokk, tase 4", ekr_level=4,
                                      valid_from=dt.date(2020, 1, 1))
        pottsepp = m.OccupationalStandard(register_id=10489967, name="Pottsepp, tase 4", ekr_level=4,
                                          valid_from=dt.date(2015, 1, 1))
        lonely = m.OccupationalStandard(register_id=10632293, name="Logistik, tase 5", ekr_level=5,
                                        valid_from=dt.date(2020, 1, 1))
        body = m.AwardingBody(registrikood="80011118", name="Eesti Peakokkade Ühendus")
        old_body = m.AwardingBody(registrikood="80022228", name="Eesti Ehitusettevõtjate Liit")
        school = m.School(ehis_id=32, registrikood="70004637", name="Tallinna Teeninduskool")
        db.add_all([kokk, pottsepp, lonely, body, old_body, school])
        db.flush()
        db.add_all([
            m.AwardingRight(awarding_body=body, standard=kokk, valid_from=dt.date(2022, 1, 1),
                            valid_to=dt.date(2027, 12, 31)),
            m.AwardingRight(awarding_body=old_body, standard=pottsepp, valid_from=dt.date(2015, 1, 1),
                            valid_to=dt.date(2020, 12, 31)),
        ])
        curricula = {
            "kokk": m.Curriculum(ehis_code=140001, school=school, name="Kokk", level_code=442),
            "pottsepp": m.Curriculum(ehis_code=140002, school=school, name="Pottsepp", level_code=442),
            "logistik": m.Curriculum(ehis_code=140003, school=school, name="Logistik", level_code=452),
            "unlinked": m.Curriculum(ehis_code=140004, school=school, name="Florist", level_code=442),
            "flagged": m.Curriculum(ehis_code=140005, school=school, name="Meediatehnik", level_code=442,
                                    no_valid_standard=True),
        }
        db.add_all(curricula.values())
        db.flush()
        db.add_all([
            m.CurriculumStandardLink(curriculum=curricula["kokk"], standard=kokk),
            m.CurriculumStandardLink(curriculum=curricula["pottsepp"], standard=pottsepp),
            m.CurriculumStandardLink(curriculum=curricula["logistik"], standard=lonely),
        ])
        person = m.Person(isikukood="38001085718", first_name="Jaan", last_name="Tamm")
        other = m.Person(isikukood="60001019906", first_name="Maris", last_name="Õunapuu")
        db.add_all([person, other])
        db.flush()
        grad = dt.date(2026, 6, 15)
        enrolments = {
            name: m.Enrolment(person=person if name != "left" else other, curriculum=cur, status="oppimas",
                              expected_graduation=grad)
            for name, cur in curricula.items()
        }
        enrolments["left"] = m.Enrolment(person=other, curriculum=curricula["kokk"], status="valja_arvatud",
                                         expected_graduation=grad)
        db.add_all(enrolments.values())
        db.commit()
    return body, kokk, enrolments


def test_routing_cases(db):
    body, kokk, e = _setup(db)
    with acting_as("job:routing"):
        counts = route_enrolments(db)
    db.expire_all()
    # the same person in two curricula: each enrolment is routed on its own
    assert (e["kokk"].awarding_body_id, e["kokk"].standard_id, e["kokk"].routing_problem) == (body.id, kokk.id, None)
    assert e["pottsepp"].awarding_body_id is None and "aegunud" in e["pottsepp"].routing_problem
    assert e["logistik"].awarding_body_id is None and "ei ole ühelgi kutse andjal kutse andmise" in e["logistik"].routing_problem
    assert "ei ole EHISes seotud" in e["unlinked"].routing_problem and "Kool:" in e["unlinked"].routing_problem
    assert "puudub kehtiv kutsestandard" in e["flagged"].routing_problem
    assert e["left"].awarding_body_id is None and e["left"].routing_problem is None
    assert counts == {"updated": 5, "unchanged": 1}
    # each change is in the audit trail with the job as actor and the person's code
    events = db.query(m.AuditEvent).filter_by(entity="Enrolment", action="update", actor="job:routing").all()
    assert len(events) == 5
    assert {ev.subject_isikukood for ev in events} == {"38001085718"}


def test_routing_again_changes_nothing(db):
    _setup(db)
    route_enrolments(db)
    before = db.query(m.AuditEvent).count()
    assert route_enrolments(db) == {"updated": 0, "unchanged": 6}
    assert db.query(m.AuditEvent).count() == before


def test_graduation_after_right_expired_is_a_problem(db):
    body, kokk, e = _setup(db)
    e["kokk"].expected_graduation = dt.date(2028, 6, 1)
    db.commit()
    route_enrolments(db)
    db.expire_all()
    assert e["kokk"].awarding_body_id is None
    assert "01.06.2028" in e["kokk"].routing_problem
