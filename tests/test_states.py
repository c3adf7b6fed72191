"""Status transitions are enforced on every write path: ORM (jobs), screens and the API."""
import pytest

from app import models as m
from app.validation import DomainValidationError


def test_illegal_transition_refused_for_a_job(world, db):
    session = db.get(m.ExamSession, world.ids["x1"])  # published
    session.status = "closed"
    with pytest.raises(DomainValidationError) as exc:
        db.commit()
    db.rollback()
    assert exc.value.errors[0][0] == "status"
    session = db.get(m.ExamSession, world.ids["x1"])
    session.status = "held"
    db.commit()
    assert db.get(m.ExamSession, world.ids["x1"]).status == "held"


def test_illegal_transition_refused_by_the_api(world, login, db):
    db.get(m.Result, world.ids["res1"]).status = "submitted"  # a decision needs a submitted result
    db.commit()
    ab1 = login("ab1")
    response = ab1.api("put", f"/api/v1/decision/{world.ids['d1']}", json={"status": "confirmed"})
    assert response.status_code == 200, response.json
    back = ab1.api("put", f"/api/v1/decision/{world.ids['d1']}", json={"status": "draft"})
    assert back.status_code == 422 and "status" in back.json["message"]


def test_new_records_start_in_the_initial_status(world, login):
    ab1 = login("ab1")
    response = ab1.api("post", "/api/v1/exam_session/", json={
        "awarding_body": world.ids["ab1"], "standard": world.ids["s1"], "place_address": "Tallinn",
        "starts_at": "2026-09-01T09:00:00", "ends_at": "2026-09-01T15:00:00", "status": "closed",
        "language": "et", "capacity": 10})
    assert response.status_code == 422 and "status" in response.json["message"]


def test_screen_edit_with_illegal_status_changes_nothing(world, login, db):
    registry_session = db.get(m.ExamSession, world.ids["x1"])
    assert registry_session.status == "published"
    ab1 = login("ab1")
    page = ab1.get(f"/examsessionview/edit/{world.ids['x1']}")
    assert page.status_code == 200
    form = {"awarding_body": world.ids["ab1"], "standard": world.ids["s1"], "place_school": world.ids["school1"],
            "starts_at": "2026-06-10 12:00:00", "ends_at": "2026-06-10 18:00:00", "language": "et",
            "capacity": "10", "status": "closed"}
    ab1.post(f"/examsessionview/edit/{world.ids['x1']}", data=form)
    db.expire_all()
    assert db.get(m.ExamSession, world.ids["x1"]).status == "published"
