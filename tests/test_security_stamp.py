"""Roles and permissions kept between requests (app.security.stamp) never outlive a change:
whatever changes a role, a user's roles or a permission, the very next request obeys it."""
from __future__ import annotations

import sqlalchemy as sa

from app.security import roles as r


def _stamp(db) -> int:
    return db.execute(sa.text("SELECT version FROM security_stamp WHERE id = 1")).scalar_one()


def test_a_revoked_permission_applies_on_the_next_request(app, world, login):
    client = login("school1")
    assert client.get("/enrolmentview/list/").status_code == 200  # the permissions are now kept
    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.find_role(r.SCHOOL)
        pv = sm.find_permission_view_menu("can_read", "Enrolment")
        sm.del_permission_role(role, pv)
    try:
        denied = client.get("/enrolmentview/list/")
        assert denied.status_code == 403
    finally:
        with app.app_context():
            from app.security.sync import sync_roles

            sync_roles(app.appbuilder)
    assert client.get("/enrolmentview/list/").status_code == 200


def test_a_role_taken_from_a_user_applies_on_the_next_request(app, world, login):
    client = login("ab1")
    assert client.get("/certificateview/list/").status_code == 200
    with app.app_context():
        session = app.appbuilder.session
        user = app.appbuilder.sm.find_user(username="ab1")
        user.roles = []
        session.commit()
    denied = client.get("/certificateview/list/")
    assert denied.status_code == 403


def test_every_kind_of_change_raises_the_stamp(app, db):
    """Triggers, not application code: plain SQL on each table the roles are read from counts."""
    tables = ["ab_user_role", "ab_user_group", "ab_group_role", "ab_role", "ab_group",
              "ab_permission_view_role", "ab_permission_view", "ab_permission", "ab_view_menu"]
    for table in tables:
        before = _stamp(db)
        db.execute(sa.text(f"UPDATE {table} SET id = id"))  # touches every row, changes nothing
        db.execute(sa.text(f"DELETE FROM {table} WHERE id < 0"))  # a statement that hits no row
        db.commit()
        assert _stamp(db) >= before + 1, table
    before = _stamp(db)
    db.execute(sa.text("TRUNCATE ab_user_group CASCADE"))
    db.commit()
    assert _stamp(db) > before
