"""Roles are declared in code and synced by one command; each role can reach its own screens."""
import pytest

from app.security import roles as r


@pytest.mark.parametrize("user", ["registry", "ab1", "school1", "assessor"])
def test_every_user_sees_and_edits_own_profile(world, login, user):
    client = login(user)
    assert client.get("/users/userinfo/").status_code == 200
    assert client.get("/resetmypassword/form").status_code == 200


def test_sync_roles_is_idempotent_and_exact(app, db):
    from app.security.sync import sync_roles

    with app.app_context():
        first = sync_roles(app.appbuilder)
        second = sync_roles(app.appbuilder)
        assert first == second
        sm = app.appbuilder.sm
        role = sm.find_role(r.SCHOOL)
        granted = {(pv.permission.name, pv.view_menu.name) for pv in role.permissions}
        assert ("can_read", "Enrolment") in granted
        assert ("can_write", "ExamSession") not in granted
        assert not any(view == "AuditEvent" for _, view in granted)


def test_menus_follow_the_role(world, login):
    assert b"/auditeventview/list/" in login("registry").get("/").data
    home = login("school1").get("/").data
    assert b"/enrolmentview/list/" in home and b"/auditeventview/list/" not in home
    assert b"/awardingbodyview/list/" not in home
