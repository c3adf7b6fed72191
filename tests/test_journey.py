"""The exam journey in a real browser (Debian's Chromium through Playwright), served like
tests/test_browser.py: an awarding body user creates an exam session, composes its assessment
committee and publishes it; the exam takes place; the committee chair (an assessor) enters the
results in the grid and submits them; the awarding body confirms the kutsekomisjon's decisions
and the certificate appears, ready for the register. Screenshots: test-artifacts/screenshots/
journey-*.png.

Two steps are not clicked: the candidates are registered through the REST API from the same
browser session (the registration screens are tested in tests/test_exam_planning.py), and the
passing of time (the exam date arriving) is written into the database."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from app import models as m
from app.audit import acting_as
from app.formatting import TALLINN
from app.xroad.codes import make_isikukood
from tests.factories import CODES
from tests.test_browser import (  # noqa: F401  (browser, page and server are fixtures)
    browser,
    check_estonian,
    in_locale,
    log_in,
    page,
    server,
    shot,
)

CANDIDATES = [("Kertu", "Kask", make_isikukood(dt.date(2006, 3, 1), True, 11)),
              ("Lauri", "Lepp", make_isikukood(dt.date(2006, 4, 2), False, 12))]
COMMITTEE = [  # isikukood, first, last, role, representation, employer
    (CODES["assessor"], "Ants", "Hindaja", "chair", "employer", "Restoran OÜ"),  # the world's assessor user
    (make_isikukood(dt.date(1988, 1, 1), True, 21), "Helle", "Hindaja", "member", "employee", "Kohvik OÜ"),
    (make_isikukood(dt.date(1988, 2, 2), False, 22), "Priit", "Pajupuu", "member", "teacher", "Toidukool OÜ"),
]


def _candidates(db, world):
    with acting_as("test-setup"):
        cur1 = db.get(m.Curriculum, world.ids["cur1"])
        enrolments = []
        for first, last, code in CANDIDATES:
            person = m.Person(isikukood=code, first_name=first, last_name=last)
            enrolments.append(m.Enrolment(person=person, curriculum=cur1, status="lopetanud",
                                          standard_id=world.ids["s1"], awarding_body_id=world.ids["ab1"],
                                          candidate_confirmed=True, exam_language="et", public_consent=True))
            db.add_all([person, enrolments[-1]])
        db.get(m.CommitteeMember, world.ids["member1"]).register_id = 900001  # the signer is known to the register
        db.commit()
        return [e.id for e in enrolments]


def _select(pg, name, value):
    """A FAB form select (hidden behind select2)."""
    pg.select_option(f"select[name={name}]", str(value), force=True)


def _action(pg, view, name):
    """Click an action button on a show page and confirm it in FAB's dialog."""
    pg.locator(f'[id="btn-action-{view}.action-{name}"]').click()
    ok = pg.locator("#modal-confirm-ok:visible")
    ok.wait_for()
    # the buttons are links to "#": wait for the page the action redirects to, not the fragment
    with pg.expect_navigation(url=lambda url: not url.endswith("#")):
        ok.click()


def _log_out(pg):
    pg.goto("/logout/")


def test_from_a_new_exam_session_to_a_certificate(app, world, db, page):  # noqa: F811
    enrolments = _candidates(db, world)
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"JavaScript error: {exc}"))

    # 1. The awarding body creates the session.
    log_in(page, "ab1")
    shot(page, "journey-01-home-ab1")
    start = (dt.datetime.now(TALLINN) + dt.timedelta(days=60)).replace(hour=10, minute=0, second=0, microsecond=0)
    assert page.goto("/examsessionview/add").ok
    _select(page, "awarding_body", world.ids["ab1"])
    _select(page, "standard", world.ids["s1"])
    page.fill("#place_address", "Ehitajate tee 5, Tallinn")
    for field, value in (("#starts_at", start.strftime("%d.%m.%Y %H:%M")),
                         ("#ends_at", (start + dt.timedelta(hours=6)).strftime("%d.%m.%Y %H:%M")),
                         ("#registration_deadline", (start - dt.timedelta(days=20)).strftime("%d.%m.%Y"))):
        page.fill(field, value)
        page.keyboard.press("Escape")
    _select(page, "language", "et")
    page.fill("#capacity", "12")
    shot(page, "journey-02-new-session")
    with page.expect_navigation():
        page.click("form button[type=submit]")
    x = db.scalar(select(m.ExamSession).where(m.ExamSession.place_address == "Ehitajate tee 5, Tallinn"))
    assert x is not None, page.inner_text("body")[:2000]
    x_id = x.id
    assert x.status == "draft" and x.awarding_body_id == world.ids["ab1"]

    # 2. ... composes its assessment committee ...
    for code, first, last, role, representation, employer in COMMITTEE:
        assert page.goto(f"/examsessionview/assessor/{x_id}").ok
        page.fill("input[name=isikukood]", code)
        page.fill("input[name=first_name]", first)
        page.fill("input[name=last_name]", last)
        _select(page, "role", role)
        _select(page, "representation", representation)
        page.fill("input[name=employer_name]", employer)
        with page.expect_navigation():
            page.click("form button[type=submit]")
        assert f"/examsessionview/show/{x_id}" in page.url, page.inner_text("body")[:2000]
    # ... registers the candidates (REST API, same browser session) and publishes the session.
    for enrolment in enrolments:
        response = page.request.post("/api/v1/registration/", data={
            "exam_session": x_id, "enrolment": enrolment, "exam_language": "et"})
        assert response.status == 201, response.text()
    page.goto(f"/examsessionview/show/{x_id}")
    _action(page, "ExamSessionView", "publish")
    db.expire_all()

    assert db.get(m.ExamSession, x_id).status == "published", page.inner_text("body")[:2000]
    page.goto(f"/examsessionview/show/{x_id}")
    page.locator(".nav-tabs a", has_text=in_locale(app, "Assessment committees", "et")).first.click()
    shot(page, "journey-03-session-published-with-committee")

    # The exam day comes: the session started three hours ago.
    now = dt.datetime.now(dt.UTC)
    db.execute(update(m.ExamSession).where(m.ExamSession.id == x_id).values(
        starts_at=now - dt.timedelta(hours=3), ends_at=now - dt.timedelta(hours=1),
        registration_deadline=(now - dt.timedelta(days=2)).date()))
    db.commit()

    # 3. The chair enters the results in the grid: a draft first, then submitted.
    _log_out(page)
    log_in(page, "assessor")
    with page.expect_navigation():
        page.locator("table a", has_text=in_locale(app, "Exam sessions to grade", "et")).click()
    with page.expect_navigation():
        page.locator(f'a[href="/grid/{x_id}"]').click()
    registrations = {r.enrolment_id: r.id for r in db.scalars(select(m.Registration).where(
        m.Registration.exam_session_id == x_id))}
    first, second = (registrations[e] for e in enrolments)
    comp = world.ids["comp1"]
    page.select_option(f"select[name=r{first}-c{comp}-passed]", "1")
    page.fill(f"input[name=r{first}-c{comp}-points]", "86,5")
    page.select_option(f"select[name=r{first}-proposal]", "award")
    page.fill(f"textarea[name=r{first}-comment]", "Praktiline töö väga hea")
    page.select_option(f"select[name=r{second}-c{comp}-passed]", "0")
    page.fill(f"input[name=r{second}-c{comp}-points]", "38")
    with page.expect_navigation():
        page.click("button[name=submit_results][value='0']")
    shot(page, "journey-04-grid-draft")
    assert page.input_value(f"input[name=r{first}-c{comp}-points]") == "86,5"
    # submitting without a proposal for the second candidate is refused, nothing is lost
    with page.expect_navigation():
        page.click("button[name=submit_results][value='1']")
    assert page.locator(f"#row-{second} .has-error").count() >= 1
    assert page.input_value(f"textarea[name=r{first}-comment]") == "Praktiline töö väga hea"
    shot(page, "journey-05-grid-refused")
    page.select_option(f"select[name=r{second}-proposal]", "refuse")
    with page.expect_navigation():
        page.click("button[name=submit_results][value='1']")
    shot(page, "journey-06-grid-submitted")
    check_estonian(app, page, "results grid", problems)
    db.expire_all()
    assert {r.status for r in db.scalars(select(m.Result).join(m.Registration).where(
        m.Registration.exam_session_id == x_id))} == {"submitted"}
    assert page.locator(f"select[name=r{first}-proposal]").count() == 0  # locked

    # 4. The awarding body confirms the kutsekomisjon's decisions.
    _log_out(page)
    log_in(page, "ab1")
    with page.expect_navigation():
        page.locator("table a", has_text=in_locale(app, "Results to decide", "et")).click()
    with page.expect_navigation():
        page.locator(f'a[href="/decide/{x_id}"]').click()
    page.fill("#protocol_number", "EPÜ-2026/11")
    page.select_option("#signer", str(world.ids["member1"]))
    page.fill(f"textarea[name=r{second}-legal_basis]", "Kutseseadus § 15 lg 1")
    page.fill(f"textarea[name=r{second}-reasons]", "Kompetents „Toitude valmistamine” jäi tõendamata")
    with page.expect_navigation():
        page.click("button[name=confirm_decisions][value='1']")
    shot(page, "journey-07-decisions-confirmed")
    check_estonian(app, page, "decisions", problems)
    db.expire_all()
    assert db.get(m.ExamSession, x_id).status == "decided"

    # 5. The certificate appears and is sent to the register.
    with page.expect_navigation():
        page.locator(f"#decision-{first} a", has_text=in_locale(app, "Certificate", "et")).click()
    body = page.inner_text("body")
    assert "Kertu Kask" in body and "Kokk, tase 4" in body and "Toitude valmistamine" in body
    shot(page, "journey-08-certificate")
    _action(page, "CertificateView", "send")
    shot(page, "journey-09-certificate-ready")
    db.expire_all()
    (cert,) = db.scalars(select(m.Certificate).join(m.Decision).where(m.Decision.registration_id == first))
    assert (cert.status, cert.holder_name, cert.cert_type, cert.signer_id) == (
        "ready", "Kertu Kask", "3", world.ids["member1"])
    assert not db.scalars(select(m.Certificate).join(m.Decision).where(m.Decision.registration_id == second)).all()
    assert not page.context.external_requests, page.context.external_requests
    assert not problems, "\n".join(problems)
