"""A small, complete world for tests: two awarding bodies, two schools, an assessor, and one
chain of exam records (session → registration → result → decision → certificate → appeal)
for each awarding body. Identifiers are valid (python-stdnum)."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from app import models as m
from app.audit import acting_as
from app.services.users import create_user

PASSWORD = "parool-Test-1"
# Valid isikukoodid (checked by stdnum.ee.ik in the validation tests).
CODES = {
    "p1": "38001085718", "p2": "60001019906", "assessor": "37605030299",
    "member1": "48708150012", "member2": "35503070211", "registry": "49403136515",
    "ab1": "38912120014", "ab2": "47101010033", "school1": "39001010044",
    "school2": "49002020035", "admin": "38506190229",
}


def build_world(app, session) -> SimpleNamespace:
    w = SimpleNamespace()
    today = dt.date(2026, 5, 1)
    with app.app_context(), acting_as("test-setup"):
        w.s1 = m.OccupationalStandard(register_id=10465773, group_id=1, version=7, name="Kokk, tase 4",
                                      ekr_level=4, field="Teenindus", valid_from=dt.date(2022, 1, 1))
        w.s2 = m.OccupationalStandard(register_id=10884560, group_id=2, version=5, name="Juuksur, tase 4",
                                      ekr_level=4, field="Teenindus", valid_from=dt.date(2021, 1, 1))
        session.add_all([w.s1, w.s2])
        session.flush()
        w.comp1 = m.Competence(standard=w.s1, register_id=1, name="Toitude valmistamine", mandatory=True)
        w.comp2 = m.Competence(standard=w.s2, register_id=2, name="Juukselõikus", mandatory=True)
        w.partial2 = m.PartialQualification(standard=w.s2, register_id=10884561, name="Barber, tase 4")
        w.ab1 = m.AwardingBody(registrikood="80011118", name="Eesti Peakokkade Ühendus")
        w.ab2 = m.AwardingBody(registrikood="80022228", name="Eesti Kosmeetikute Liit")
        session.add_all([w.comp1, w.comp2, w.partial2, w.ab1, w.ab2])
        session.flush()
        w.right1 = m.AwardingRight(awarding_body=w.ab1, standard=w.s1, valid_from=dt.date(2022, 1, 1))
        w.right2 = m.AwardingRight(awarding_body=w.ab2, standard=w.s2, valid_from=dt.date(2021, 1, 1))
        w.qc1 = m.QualificationCommittee(awarding_body=w.ab1, name="Kokkade kutsekomisjon")
        w.qc2 = m.QualificationCommittee(awarding_body=w.ab2, name="Juuksurite kutsekomisjon")
        session.add_all([w.right1, w.right2, w.qc1, w.qc2])
        session.flush()
        w.member1 = m.CommitteeMember(committee=w.qc1, isikukood=CODES["member1"], name="Mari Maasikas", role="1")
        w.member2 = m.CommitteeMember(committee=w.qc2, isikukood=CODES["member2"], name="Jüri Õun", role="1")
        w.school1 = m.School(ehis_id=32, registrikood="70004637", name="Tallinna Teeninduskool")
        w.school2 = m.School(ehis_id=1041, registrikood="70007742", name="Ida-Virumaa Kutsehariduskeskus")
        session.add_all([w.member1, w.member2, w.school1, w.school2])
        session.flush()
        w.cur1 = m.Curriculum(ehis_code=140001, school=w.school1, name="Kokk", level_code=442)
        w.cur2 = m.Curriculum(ehis_code=130219, school=w.school2, name="Juuksur", level_code=442)
        session.add_all([w.cur1, w.cur2])
        session.flush()
        session.add_all([
            m.CurriculumStandardLink(curriculum=w.cur1, standard=w.s1),
            m.CurriculumStandardLink(curriculum=w.cur2, standard=w.s2),
        ])
        w.p1 = m.Person(isikukood=CODES["p1"], first_name="Õnne-Liis", last_name="Šmidt")
        w.p2 = m.Person(isikukood=CODES["p2"], first_name="Žanna", last_name="Kääriäinen")
        w.pa = m.Person(isikukood=CODES["assessor"], first_name="Ants", last_name="Hindaja")
        session.add_all([w.p1, w.p2, w.pa])
        session.flush()
        w.e1 = m.Enrolment(person=w.p1, curriculum=w.cur1, status="oppimas", expected_graduation=today,
                           standard=w.s1, awarding_body=w.ab1, study_language="et")
        w.e2 = m.Enrolment(person=w.p2, curriculum=w.cur2, status="oppimas", expected_graduation=today,
                           standard=w.s2, awarding_body=w.ab2, study_language="ru")
        session.add_all([w.e1, w.e2])
        session.flush()
        start = dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.UTC)
        w.x1 = m.ExamSession(awarding_body=w.ab1, standard=w.s1, place_school=w.school1, starts_at=start,
                             ends_at=start + dt.timedelta(hours=6), capacity=10, status="published",
                             registration_deadline=dt.date(2026, 5, 20))
        w.x2 = m.ExamSession(awarding_body=w.ab2, standard=w.s2, place_address="Kutse 1, Jõhvi",
                             starts_at=start, ends_at=start + dt.timedelta(hours=6), capacity=10,
                             status="published")
        session.add_all([w.x1, w.x2])
        session.flush()
        w.r1 = m.Registration(exam_session=w.x1, enrolment=w.e1, exam_language="et")
        w.r2 = m.Registration(exam_session=w.x2, enrolment=w.e2, exam_language="ru")
        w.a1 = m.AssessorAssignment(exam_session=w.x1, person=w.pa, role="chair", representation="employer",
                                    employer_name="Restoran OÜ")
        session.add_all([w.r1, w.r2, w.a1])
        session.flush()
        w.res1 = m.Result(registration=w.r1, attended=True, proposal="award")
        w.res2 = m.Result(registration=w.r2, attended=True, proposal="award")
        session.add_all([w.res1, w.res2])
        session.flush()
        w.cr1 = m.CompetenceResult(result=w.res1, competence=w.comp1, passed=True, points=80)
        w.cr2 = m.CompetenceResult(result=w.res2, competence=w.comp2, passed=True, points=75)
        w.d1 = m.Decision(registration=w.r1, outcome="award", decision_date=dt.date(2026, 6, 20),
                          protocol_number="1-1", signer=w.member1)
        w.d2 = m.Decision(registration=w.r2, outcome="award", decision_date=dt.date(2026, 6, 20),
                          protocol_number="2-1", signer=w.member2)
        session.add_all([w.cr1, w.cr2, w.d1, w.d2])
        session.flush()
        w.c1 = m.Certificate(decision=w.d1, person=w.p1, holder_name="Õnne-Liis Šmidt", isikukood=CODES["p1"],
                             standard=w.s1, issue_date=dt.date(2026, 6, 20), valid_from=dt.date(2026, 6, 20),
                             valid_to=dt.date(2031, 6, 19), awarding_body_id=w.ab1.id)
        w.c2 = m.Certificate(decision=w.d2, person=w.p2, holder_name="Žanna Kääriäinen", isikukood=CODES["p2"],
                             standard=w.s2, issue_date=dt.date(2026, 6, 20), valid_from=dt.date(2026, 6, 20),
                             valid_to=dt.date(2031, 6, 19), awarding_body_id=w.ab2.id)
        session.add_all([w.c1, w.c2])
        session.flush()
        w.ap1 = m.Appeal(decision=w.d1, filed_date=dt.date(2026, 6, 25), handling_body="Kutsekoda")
        w.ap2 = m.Appeal(decision=w.d2, filed_date=dt.date(2026, 6, 25), handling_body="Kutsekoda")
        w.job1 = m.JobRun(kind="register_export", status="succeeded", awarding_body_id=w.ab1.id, actor="ab1")
        w.job2 = m.JobRun(kind="register_export", status="succeeded", awarding_body_id=w.ab2.id, actor="ab2")
        session.add_all([w.ap1, w.ap2, w.job1, w.job2])
        session.commit()

        sm = app.appbuilder.sm
        users = {
            "admin": ("Admin", {}), "registry": ("Registry staff", {}),
            "ab1": ("Awarding body user", {"awarding_body_id": w.ab1.id}),
            "ab2": ("Awarding body user", {"awarding_body_id": w.ab2.id}),
            "school1": ("School user", {"school_id": w.school1.id}),
            "school2": ("School user", {"school_id": w.school2.id}),
            "assessor": ("Assessor", {}),
        }
        for username, (role, org) in users.items():
            create_user(sm, username=username, password=PASSWORD, role=role, isikukood=CODES[username],
                        first_name=username.capitalize(), last_name="Testija", email=f"{username}@example.ee",
                        **org)
        # ids survive the session; tests use them in URLs
        w.ids = {k: v.id for k, v in vars(w).items() if hasattr(v, "id") and not isinstance(v, dict)}
    return w
