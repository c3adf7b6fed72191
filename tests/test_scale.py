"""Lists at scale (issue 6; app.views.scale, app.views.render_cache): capped counts shown
honestly, text search of large relations in place of dropdowns, deep pages with the right rows,
and the per-user caches that must never show one user what belongs to another.

The limits are lowered on the module (COUNT_CAP, DEFERRED_FROM, COUNT_CACHE_FROM) so that a
handful of rows exercise the paths that a million rows take in production.
"""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import text

from app.views import scale
from tests.factories import CODES


def _js(value: str) -> str:
    """How a text appears inside the search form's JSON."""
    return json.dumps(value)[1:-1]


def _count_shown(html: str) -> str:
    found = re.search(r"<strong>Kirjeid:</strong>\s*([^<]+?)\s*</div>", html)
    assert found, "no record count on the page"
    return found.group(1).replace("\N{NO-BREAK SPACE}", " ")


def _certificates(app, db, n: int, awarding_body_id: int, person_id: int, start: dt.date) -> list[int]:
    """n certificates of one holder, one day apart (set-based: the count is what matters)."""
    with app.app_context():
        ids = db.execute(text("""
            INSERT INTO certificate (awarding_body_id, person_id, holder_name, isikukood, cert_type, standard_id,
                                     exam_language, issue_date, valid_from, valid_to, name_hidden,
                                     birth_date_hidden, certificate_hidden, status, register_reference, revoked)
            SELECT :ab, p.id, p.first_name || ' ' || p.last_name, p.isikukood, '1', s.id, 'et',
                   CAST(:start AS date) + g, CAST(:start AS date) + g, CAST(:start AS date) + g + 1825,
                   false, false, false, 'registered', 'SCALE-' || :ab || '-' || :start || '-' || g, false
            FROM generate_series(1, :n) AS g, person p, occupational_standard s
            WHERE p.id = :person AND s.id = (SELECT min(id) FROM occupational_standard)
            RETURNING id"""), {"ab": awarding_body_id, "person": person_id, "n": n, "start": start}).scalars().all()
        db.commit()
    return ids


def test_count_above_the_cap_is_shown_as_more_than_and_exact_below(world, login, app, db, monkeypatch):
    monkeypatch.setattr(scale, "COUNT_CAP", 5)
    registry = login("registry")
    assert _count_shown(registry.get("/certificateview/list/").get_data(as_text=True)) == "2"
    _certificates(app, db, 6, world.ids["ab1"], world.ids["p1"], dt.date(2020, 1, 1))
    page = registry.get("/certificateview/list/").get_data(as_text=True)
    assert _count_shown(page) == "üle 5"
    # The API says the same in numbers: COUNT_CAP + 1 means "more than COUNT_CAP".
    assert registry.api("get", "/api/v1/certificate/").json["count"] == 6
    # A search below the cap is exact again.
    found = registry.get(f"/certificateview/list/?_flt_3_isikukood={CODES['p2']}").get_data(as_text=True)
    assert _count_shown(found) == "1"


def test_cached_large_counts_stay_within_each_users_scope(world, login, app, db, monkeypatch):
    """A count is kept per statement and parameters: one awarding body's count is never
    shown to another, and a later page of the same list reuses the count."""
    monkeypatch.setattr(scale, "COUNT_CACHE_FROM", 1)
    _certificates(app, db, 4, world.ids["ab1"], world.ids["p1"], dt.date(2020, 1, 1))
    ab1, ab2 = login("ab1"), login("ab2")
    assert _count_shown(ab1.get("/certificateview/list/").get_data(as_text=True)) == "5"
    assert _count_shown(ab2.get("/certificateview/list/").get_data(as_text=True)) == "1"
    assert _count_shown(ab1.get("/certificateview/list/?page_CertificateView=0").get_data(as_text=True)) == "5"


def test_deep_pages_show_the_same_rows_as_counting_through_the_list(world, login, app, db, monkeypatch):
    """Past DEFERRED_FROM rows a page reads its ids from the sort index first: the rows and their
    order must equal plain offset paging (issue date descending, id as tie-breaker)."""
    monkeypatch.setattr(scale, "COUNT_CAP", 30)
    monkeypatch.setattr(scale, "DEFERRED_FROM", 3)
    ids = _certificates(app, db, 40, world.ids["ab1"], world.ids["p1"], dt.date(2019, 1, 1))
    _certificates(app, db, 5, world.ids["ab1"], world.ids["p1"], dt.date(2019, 1, 10))  # same dates: ties
    with app.app_context():
        expected = db.execute(text("SELECT id FROM certificate ORDER BY issue_date DESC, id DESC")).scalars().all()
    assert len(expected) == 47 and set(ids) <= set(expected)
    registry = login("registry")
    for page in (1, 3, 5):
        html = registry.get(f"/certificateview/list/?psize_CertificateView=5&page_CertificateView={page}").get_data(
            as_text=True)
        shown = [int(i) for i in re.findall(r'href="/certificateview/show/(\d+)"', html)]
        assert shown == expected[page * 5:page * 5 + 5], f"page {page}"
    # The pager ends at the cap: a page beyond it shows the last page within the cap.
    html = registry.get("/certificateview/list/?psize_CertificateView=5&page_CertificateView=9").get_data(as_text=True)
    assert [int(i) for i in re.findall(r'href="/certificateview/show/(\d+)"', html)] == expected[30:35]


def test_large_relations_are_searched_by_text_not_listed_in_a_dropdown(world, login):
    registry = login("registry")
    page = registry.get("/enrolmentview/list/").get_data(as_text=True)
    search_form = page[page.index("new AdminFilters"):]
    search_form = search_form[:search_form.index("</script>")]
    # No dropdown of persons: no person's name among the search form's options (JSON-escaped there).
    assert _js("Kääriäinen") not in search_form and _js("Šmidt") not in search_form
    assert _js("Nimi või isikukood") in search_form
    by_name = registry.get("/enrolmentview/list/?_flt_0_person=Õnne Šmidt").get_data(as_text=True)
    by_code = registry.get(f"/enrolmentview/list/?_flt_0_person={CODES['p2']}").get_data(as_text=True)
    assert _count_shown(by_name) == "1" and "Šmidt" in by_name and "Kääriäinen" not in by_name
    assert _count_shown(by_code) == "1" and "Kääriäinen" in by_code
    # Wildcards typed by the user are searched for literally.
    assert _count_shown(registry.get("/enrolmentview/list/?_flt_0_person=%25").get_data(as_text=True)) == "0"


@pytest.mark.parametrize("path", [
    "/enrolmentview/list/?_flt_0_person={name}",
    "/registrationview/list/?_flt_0_enrolment={name}",
    "/resultview/list/?_flt_0_registration={name}",
    "/decisionview/list/?_flt_0_registration={name}",
    "/personview/list/?_flt_3_isikukood={code}",
])
def test_text_search_finds_nothing_of_another_organisation(world, login, path):
    """The other awarding body's candidate, searched by name or isikukood: nothing, while the
    same search finds them for their own awarding body."""
    url = path.format(name="Žanna Kääriäinen", code=CODES["p2"])
    assert _count_shown(login("ab1").get(url).get_data(as_text=True)) == "0"
    own = login("ab2").get(url).get_data(as_text=True)
    assert _count_shown(own) == "1" and "Kääriäinen" in own


def test_search_sorted_by_the_searched_column_lists_matches_in_order(world, login):
    registry = login("registry")
    html = registry.get("/personview/list/?_flt_2_last_name=mid&_oc_PersonView=last_name&_od_PersonView=asc"
                        ).get_data(as_text=True)
    assert _count_shown(html) == "1" and "Šmidt" in html


def test_menu_and_search_fields_are_cached_per_role_and_user(world, login):
    """Registry staff see the registry menu and every awarding body in the search form; an
    awarding body user asking after them sees neither (the caches are keyed by roles and user)."""
    registry_page = login("registry").get("/certificateview/list/").get_data(as_text=True)
    ab_page = login("ab1").get("/certificateview/list/").get_data(as_text=True)
    assert "/jobrunerrorview/list/" in registry_page or "/auditeventview/list/" in registry_page
    assert "/auditeventview/list/" not in ab_page
    assert "Kosmeetikute" in registry_page and "Peakokkade" in registry_page
    form = ab_page[ab_page.index("new AdminFilters"):]
    assert "Kosmeetikute" not in form[:form.index("</script>")]


def test_row_buttons_link_to_each_record_and_keep_the_delete_confirmation(world, login):
    page = login("admin").get("/appealview/list/").get_data(as_text=True)
    for appeal in ("ap1", "ap2"):
        pk = world.ids[appeal]
        assert f'href="/appealview/show/{pk}"' in page and f'href="/appealview/edit/{pk}"' in page
        assert f"execute_single_delete('/appealview/delete/{pk}', 'Kas soovite selle kirje kindlasti kustutada?')" in page


def test_api_clients_can_page_past_the_cap_to_the_end(world, login, app, db, monkeypatch):
    """The screens' pager ends at the cap; an API client reading everything pages on until a
    short page, getting every record once."""
    monkeypatch.setattr(scale, "COUNT_CAP", 4)
    monkeypatch.setattr(scale, "DEFERRED_FROM", 2)
    _certificates(app, db, 9, world.ids["ab1"], world.ids["p1"], dt.date(2021, 1, 1))
    registry = login("registry")
    seen, page = [], 0
    while True:
        body = registry.api("get", f"/api/v1/certificate/?q=(page:{page},page_size:3,order_column:issue_date,"
                                   "order_direction:desc)").json
        assert body["count"] == 5  # COUNT_CAP + 1: "more than 4"
        seen += body["ids"]
        if len(body["ids"]) < 3:
            break
        page += 1
    with app.app_context():
        expected = db.execute(text("SELECT id FROM certificate ORDER BY issue_date DESC, id DESC")).scalars().all()
    assert seen == expected and len(seen) == 11


def test_lookup_offers_only_records_in_the_users_scope(world, login):
    """The form fields' search (/lookup/<table>): the other awarding body's candidate is never
    offered, by name or by isikukood; anonymous users get nothing."""
    ab1, ab2 = login("ab1"), login("ab2")
    for query in ("Kääriäinen", CODES["p2"]):
        assert ab1.get(f"/lookup/person?q={query}").json["results"] == []
        assert [r["text"] for r in ab2.get(f"/lookup/person?q={query}").json["results"]] == ["Žanna Kääriäinen"]
    assert [r["id"] for r in ab1.get("/lookup/enrolment?q=Šmidt").json["results"]] == [str(world.ids["e1"])]
    assert ab1.get("/lookup/ab_user?q=admin").status_code == 404
    from tests.conftest import Client
    assert Client(login("ab1").app, None).get("/lookup/person?q=Šmidt").status_code == 401


def test_a_form_does_not_accept_a_record_outside_the_scope_by_id(world, login, app, db):
    """Typing the id of another awarding body's exam session into a registration form is refused
    as an invalid choice, and nothing is stored."""
    from app import models as m

    ab1 = login("ab1")
    form = ab1.get("/registrationview/add").get_data(as_text=True)
    assert "eks-lookup" in form and 'name="exam_session"' in form
    with app.app_context():
        before = db.query(m.Registration).count()
    r = ab1.post("/registrationview/add", data={"exam_session": world.ids["x2"], "enrolment": world.ids["e1"],
                                                "exam_language": "et"})
    # Named as such under the field, in Estonian (not as a missing value).
    assert r.status_code == 200 and "sellist kirjet teie valitavate hulgas ei ole" in r.get_data(as_text=True)
    with app.app_context():
        assert db.query(m.Registration).count() == before


def _ids_shown(html: str, view: str) -> list[int]:
    return [int(i) for i in re.findall(rf'href="/{view}/show/(\d+)"', html)]


def test_deep_pages_seek_from_kept_page_boundaries_with_ties_in_either_direction(world, login, app, db, monkeypatch):
    """A deep page keeps the sort keys of its boundaries; the next request for it, or for any later
    page, seeks from the nearest one. Whatever the order of visits, every page shows what plain
    offset paging shows, also where a page boundary cuts through rows with the same date."""
    monkeypatch.setattr(scale, "COUNT_CAP", 40)
    monkeypatch.setattr(scale, "DEFERRED_FROM", 3)
    ties = _certificates(app, db, 12, world.ids["ab1"], world.ids["p1"], dt.date(2019, 6, 1))
    with app.app_context():  # twelve certificates issued on one day: ties across page boundaries
        db.execute(text("UPDATE certificate SET issue_date = DATE '2019-06-01' WHERE id = ANY(:ids)"), {"ids": ties})
        db.commit()
    _certificates(app, db, 30, world.ids["ab1"], world.ids["p1"], dt.date(2019, 5, 20))
    registry = login("registry")
    for direction in ("desc", "asc"):
        with app.app_context():
            expected = db.execute(text(f"SELECT id FROM certificate ORDER BY issue_date {direction}, id {direction}")
                                  ).scalars().all()
        assert len(expected) == 44
        for page in (4, 4, 6, 2, 5, 1, 7, 3):
            html = registry.get(f"/certificateview/list/?psize_CertificateView=5&page_CertificateView={page}"
                                f"&_oc_CertificateView=issue_date&_od_CertificateView={direction}").get_data(as_text=True)
            assert _ids_shown(html, "certificateview") == expected[page * 5:page * 5 + 5], f"{direction} page {page}"


def test_an_awarding_bodys_deep_pages_of_persons_hold_only_its_own_in_order(world, login, app, db, monkeypatch):
    """The person scope is probed per row on a page and hashed for a count: both give the same
    persons, and a deep page seeking from a kept boundary never reaches another body's persons."""
    monkeypatch.setattr(scale, "COUNT_CAP", 12)
    monkeypatch.setattr(scale, "DEFERRED_FROM", 2)
    with app.app_context():
        people = db.execute(text("""
            INSERT INTO person (first_name, last_name, birth_date)
            SELECT 'Mari', 'Tamm-' || lpad(g::text, 2, '0'), DATE '2000-01-01' + g FROM generate_series(1, 30) g
            RETURNING id""")).scalars().all()
        db.commit()
    for n, person in enumerate(people):  # every third person holds an ab2 certificate, the rest ab1
        _certificates(app, db, 1, world.ids["ab2" if n % 3 == 0 else "ab1"], person, dt.date(2020, 1, 1) + dt.timedelta(n))
    with app.app_context():
        own = db.execute(text("""
            SELECT id FROM person p WHERE EXISTS (SELECT FROM certificate c WHERE c.person_id = p.id AND c.awarding_body_id = :ab)
               OR EXISTS (SELECT FROM enrolment e WHERE e.person_id = p.id AND e.awarding_body_id = :ab)
               OR EXISTS (SELECT FROM assessor_assignment a WHERE a.person_id = p.id AND a.awarding_body_id = :ab)
            ORDER BY last_name, id"""), {"ab": world.ids["ab1"]}).scalars().all()
    assert len(own) > 12  # above the cap: the count is capped and deep pages seek
    ab1 = login("ab1")
    assert _count_shown(ab1.get("/personview/list/").get_data(as_text=True)) == "üle 12"
    for page in (2, 2, 1, 0):
        html = ab1.get(f"/personview/list/?psize_PersonView=4&page_PersonView={page}").get_data(as_text=True)
        assert _ids_shown(html, "personview") == own[page * 4:page * 4 + 4], f"page {page}"


def test_a_search_is_counted_sorted_and_paged_from_one_pass_and_ends_with_an_empty_page(world, login, app, db,
                                                                                    monkeypatch):
    monkeypatch.setattr(scale, "COUNT_CAP", 20)
    _certificates(app, db, 14, world.ids["ab1"], world.ids["p1"], dt.date(2018, 3, 1))
    with app.app_context():
        expected = db.execute(text("SELECT id FROM certificate WHERE holder_name ILIKE '%Šmidt%' "
                                   "ORDER BY issue_date ASC, id ASC")).scalars().all()
    assert len(expected) == 15
    registry = login("registry")
    url = "/certificateview/list/?_flt_2_holder_name=Šmidt&_oc_CertificateView=issue_date&_od_CertificateView=asc" \
          "&psize_CertificateView=10&page_CertificateView={}"
    first, second = (registry.get(url.format(p)).get_data(as_text=True) for p in (0, 1))
    assert _count_shown(first) == "15" and _count_shown(second) == "15"
    assert _ids_shown(first, "certificateview") + _ids_shown(second, "certificateview") == expected
    past = registry.get(url.format(5))
    assert past.status_code == 200 and _ids_shown(past.get_data(as_text=True), "certificateview") == []
    # More matches than the cap: counted as "more than", still in order from the sort index.
    monkeypatch.setattr(scale, "COUNT_CAP", 8)
    capped = registry.get(url.format(0)).get_data(as_text=True)
    assert _count_shown(capped) == "üle 8" and _ids_shown(capped, "certificateview") == expected[:10]


def test_a_persons_page_shows_its_enrolments_and_certificates_tabs_only(world, login):
    """FAB links every view that is an instance of a related view's class: the problems list
    must not appear as a third tab beside the person's enrolments and certificates."""
    html = login("registry").get(f"/personview/show/{world.ids['p1']}").get_data(as_text=True)
    tabs = re.findall(r'<a href="#[^"]*"[^>]*data-toggle="tab">\s*([^<]+?)\s*<', html)
    assert tabs == ["Üksikasjad", "Õppimised", "Kutsetunnistused"]


def test_lookup_labels_come_with_the_matches(world, login, app, db):
    """A lookup's labels name the person and the exam (standard and day), and the queries it
    makes do not grow with the number of matches (no query per label)."""
    import datetime as dt

    from sqlalchemy import event

    from app import models as m

    registry = login("registry")
    statements = []

    def count(*_):
        statements.append(1)

    engine = app.appbuilder.session.get_bind()

    def queries(path):
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            results = registry.get(path).json["results"]
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return results, len(statements)

    queries("/lookup/registration?q=Šmidt")  # the user's roles and permissions are kept from now on
    one, few_queries = queries("/lookup/registration?q=Šmidt")
    assert [r["text"] for r in one] == ["Õnne-Liis Šmidt – Kokk, tase 4 (10465773) 10.06.2026"]
    with app.app_context():
        for day in (11, 12, 13):  # three more exam sessions of another standard, Šmidt in each
            start = dt.datetime(2026, 6, day, 9, 0, tzinfo=dt.UTC)
            session = m.ExamSession(awarding_body_id=world.ids["ab2"], standard_id=world.ids["s2"], starts_at=start,
                                    ends_at=start + dt.timedelta(hours=6), capacity=10, status="published",
                                    place_address="Kutse 1, Jõhvi")
            db.add(m.Registration(exam_session=session, enrolment=db.get(m.Enrolment, world.ids["e1"]),
                                  exam_language="et"))
        db.commit()
    four, more_queries = queries("/lookup/registration?q=Šmidt")
    assert sorted(r["text"] for r in four) == [
        "Õnne-Liis Šmidt – Juuksur, tase 4 (10884560) 11.06.2026", "Õnne-Liis Šmidt – Juuksur, tase 4 (10884560) 12.06.2026",
        "Õnne-Liis Šmidt – Juuksur, tase 4 (10884560) 13.06.2026", "Õnne-Liis Šmidt – Kokk, tase 4 (10465773) 10.06.2026"]
    assert more_queries == few_queries
