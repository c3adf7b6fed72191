"""An awarding body sees a person exactly while it holds an enrolment, a certificate or an assessor
assignment of theirs: the awarding_body_person table behind its person scope is kept by database
triggers (migration 0009), whatever path changes those rows, on PostgreSQL and on SQLite. It
carries a copy of the person's names, which the body's name search reads (migration 0010)."""
from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from urllib.parse import quote

import sqlalchemy as sa

from app import models as m
from app.audit import acting_as
from tests.conftest import BASE_CONFIG


def _pairs(conn) -> set[tuple[int, int]]:
    return {tuple(row) for row in conn.execute(sa.text("SELECT awarding_body_id, person_id FROM awarding_body_person"))}


def _names(conn) -> dict[tuple[int, int], tuple[str, str]]:
    return {(ab, pid): (first, last) for ab, pid, first, last in conn.execute(sa.text(
        "SELECT awarding_body_id, person_id, first_name, last_name FROM awarding_body_person"))}


def _second_waits_for_first(db, first_sql: tuple[str, dict], second_sql: tuple[str, dict]) -> None:
    """Runs ``first_sql`` in one transaction, then ``second_sql`` in another while the first is
    open: the second must wait for the first's locks (it has not finished a second later), and
    completes without error once the first commits."""
    db.commit()
    errors: list[Exception] = []
    done = threading.Event()
    with db.get_bind().connect() as first, db.get_bind().connect() as second:
        first.execute(sa.text(first_sql[0]), first_sql[1])

        def run_second():
            try:
                second.execute(sa.text(second_sql[0]), second_sql[1])
                second.commit()
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                done.set()

        thread = threading.Thread(target=run_second)
        thread.start()
        assert not done.wait(1.0)  # waits for the first transaction's locks
        first.commit()
        thread.join(30)
    assert done.is_set() and not errors, errors


def test_an_awarding_body_sees_a_person_while_it_holds_a_record_of_them(world, db, login):
    ab1, ab2 = world.ids["ab1"], world.ids["ab2"]
    with acting_as("test-setup"):
        person = m.Person(isikukood="49403136526", first_name="Mari-Liis", last_name="Õunapuu")
        db.add(person)
        db.commit()
        pid = person.id
    show = f"/personview/show/{pid}"
    assert login("ab1").get(show).status_code == 404  # no record of theirs yet
    with acting_as("test-setup"):
        enrolment = m.Enrolment(person=person, curriculum=db.get(m.Curriculum, world.ids["cur1"]),
                                status="oppimas", expected_graduation=dt.date(2027, 6, 15), awarding_body_id=ab1)
        db.add(enrolment)
        db.commit()
        eid = enrolment.id
    assert login("ab1").get(show).status_code == 200
    assert login("ab2").get(show).status_code == 404
    # routed anew to the other awarding body, by plain SQL (another process, a console)
    db.execute(sa.text("UPDATE enrolment SET awarding_body_id = :b WHERE id = :e"), {"b": ab2, "e": eid})
    db.commit()
    assert login("ab1").get(show).status_code == 404
    assert login("ab2").get(show).status_code == 200
    db.execute(sa.text("DELETE FROM enrolment WHERE id = :e"), {"e": eid})
    db.commit()
    assert login("ab2").get(show).status_code == 404
    assert (ab2, pid) not in _pairs(db)


def test_a_pair_stays_while_another_record_holds_it(world, db):
    """Two records hold one pair: dropping one keeps the pair, dropping the other drops it."""
    p1, ab1 = world.ids["p1"], world.ids["ab1"]
    assert (ab1, p1) in _pairs(db)  # p1 has ab1's enrolment and certificate in the world
    db.execute(sa.text("UPDATE enrolment SET awarding_body_id = NULL WHERE person_id = :p"), {"p": p1})
    db.commit()
    assert (ab1, p1) in _pairs(db)  # the certificate still holds it
    db.execute(sa.text("DELETE FROM certificate WHERE person_id = :p AND awarding_body_id = :b"), {"p": p1, "b": ab1})
    db.commit()
    assert db.execute(sa.text("SELECT count(*) FROM assessor_assignment WHERE person_id = :p"), {"p": p1}).scalar() == 0
    assert (ab1, p1) not in _pairs(db)  # nothing of ab1's holds p1 any more


def test_two_records_of_a_pair_dropped_at_once_drop_the_pair(world, db):
    """Two transactions each drop one of the two records that hold a pair. Each alone would see
    the other's record still there and keep the pair; the second waits for the first's lock on the
    pair and then decides on what was committed, so the pair goes."""
    p1, ab1, ab2 = world.ids["p1"], world.ids["ab1"], world.ids["ab2"]
    _second_waits_for_first(
        db, ("UPDATE enrolment SET awarding_body_id = NULL WHERE id = :e", {"e": world.ids["e1"]}),
        ("UPDATE certificate SET awarding_body_id = :b WHERE id = :c", {"b": ab2, "c": world.ids["c1"]}))
    assert (ab1, p1) not in _pairs(db)
    assert (ab2, p1) in _pairs(db)


def test_an_awarding_body_finds_its_person_by_a_changed_name(world, db, login):
    """A rename by any path (here plain SQL) reaches the copy of the names, so the awarding body's
    search finds the person by the new name and no longer by the old one, on the screen and in
    the API; the other body finds nothing, registry staff find them as before."""
    p1, ab1 = world.ids["p1"], world.ids["ab1"]
    code = db.get(m.Person, p1).isikukood
    assert _names(db)[(ab1, p1)] == ("Õnne-Liis", "Šmidt")
    db.execute(sa.text("UPDATE person SET first_name = 'Ülle', last_name = 'Väljaots' WHERE id = :p"), {"p": p1})
    db.commit()
    assert _names(db)[(ab1, p1)] == ("Ülle", "Väljaots")

    def found(user: str, query: str) -> bool:
        r = login(user).get(f"/personview/list/?{query}")
        assert r.status_code == 200
        return code in r.text

    # starts with, contains (any case), equal to; the first name as well
    for query in ("_flt_0_last_name=V%C3%A4ljao", "_flt_2_last_name=" + quote("äljaots"),
                  "_flt_3_last_name=" + quote("Väljaots"), "_flt_2_first_name=" + quote("Ülle")):
        assert found("ab1", query), query
        assert found("registry", query), query
        assert not found("ab2", query), query
    assert not found("ab1", "_flt_2_last_name=" + quote("Šmidt"))
    api = "/api/v1/person/?q=" + quote("(filters:!((col:last_name,opr:ct,value:äljaots)))")
    assert [row["isikukood"] for row in login("ab1").api("get", api).json["result"]] == [code]
    assert login("ab2").api("get", api).json["count"] == 0


def test_a_user_with_two_scopes_finds_persons_of_either(app, world, db, login):
    """The copy narrows a search only for a user whose one scope of persons it holds: a user who is
    both awarding body 1's and school 2's finds school 2's student, whom awarding body 1 does not
    hold, by name as well as by personal code."""
    from app.services.users import create_user
    from tests.factories import PASSWORD

    sm = app.appbuilder.sm
    user = create_user(sm, username="ab1school2", password=PASSWORD, role="Awarding body user",
                       isikukood="37707070709", awarding_body_id=world.ids["ab1"], school_id=world.ids["school2"])
    user.roles.append(sm.find_role("School user"))
    sm.session.commit()
    p2 = db.get(m.Person, world.ids["p2"])
    assert (world.ids["ab1"], p2.id) not in _pairs(db)
    row = f"<td>{p2.isikukood}</td>"  # a list row (the search form repeats what was searched)
    for query in ("_flt_2_last_name=" + quote(p2.last_name), "_flt_3_isikukood=" + p2.isikukood):
        assert row in login("ab1school2").get(f"/personview/list/?{query}").text, query
        assert row not in login("ab1").get(f"/personview/list/?{query}").text, query


def test_a_pair_added_during_a_rename_copies_the_new_name(world, db):
    """One transaction renames a person while another gives them a record of a second awarding
    body. The new pair waits for the rename (a share lock on the person) and copies the name that
    was committed: with the old name copied, the second body would not find the person by name."""
    p1, ab2 = world.ids["p1"], world.ids["ab2"]
    x2 = db.execute(sa.text("SELECT id FROM exam_session WHERE awarding_body_id = :b"), {"b": ab2}).scalar()
    _second_waits_for_first(
        db, ("UPDATE person SET last_name = 'Uuspere' WHERE id = :p", {"p": p1}),
        ("INSERT INTO assessor_assignment (exam_session_id, awarding_body_id, person_id, role, representation) "
         "VALUES (:x, :b, :p, 'member', 'employer')", {"x": x2, "b": ab2, "p": p1}))
    assert _names(db)[(ab2, p1)] == ("Õnne-Liis", "Uuspere")


def test_the_triggers_work_on_sqlite(tmp_path):
    """The demo's database: the same rules by row triggers."""
    from flask_migrate import upgrade

    from app import create_app

    path = tmp_path / "demo.db"
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        upgrade()
        app.appbuilder.session.get_bind().dispose()
    conn = sqlite3.connect(path)  # foreign keys not enforced: only the person needs to be there
    conn.execute("INSERT INTO person (id, first_name, last_name) VALUES (100, 'Jüri', 'Õun')")
    pairs = lambda: set(conn.execute("SELECT awarding_body_id, person_id FROM awarding_body_person"))  # noqa: E731
    insert = ("INSERT INTO assessor_assignment (exam_session_id, awarding_body_id, person_id, role, representation) "
              "VALUES (?, ?, ?, 'member', 'employer')")
    conn.execute(insert, (1, 7, 100))
    conn.execute(insert, (2, 7, 100))
    assert pairs() == {(7, 100)}
    conn.execute("DELETE FROM assessor_assignment WHERE exam_session_id = 1")
    assert pairs() == {(7, 100)}  # session 2 still holds it
    conn.execute("UPDATE assessor_assignment SET awarding_body_id = 8 WHERE exam_session_id = 2")
    assert pairs() == {(8, 100)}
    conn.execute("UPDATE person SET last_name = 'Õunapuu' WHERE id = 100")
    assert list(conn.execute("SELECT first_name, last_name FROM awarding_body_person")) == [("Jüri", "Õunapuu")]
    conn.execute("DELETE FROM assessor_assignment")
    assert pairs() == set()
    conn.close()
