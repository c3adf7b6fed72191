"""Statistics, exports and open data (issue 5).

The figures are checked against a dataset built here by hand (three exam cohorts plus the two
candidates of the test world), for every kind of viewer: registry staff see everything, an
awarding body or a school only their own figures, with national figures beside them that hide
small cells. Then the CSV and XLSX exports of lists and statistics tables (headers, content,
scoping, filters), the background export for large lists, and the public open data.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from app import models as m
from app.audit import acting_as
from app.services import statistics as st

UTC = dt.UTC


# --------------------------------------------------------------------------- the hand-built data

def cohort(db, *, body, school, curriculum, standard, start: dt.datetime, n: int, results: int, attended: int,
           decided: int, passed: int, registered: int, rejected: int = 0, decision_after: int = 10,
           registered_after: int = 1, graduated: dt.date, place_school=None, tag: str = "x"):
    """An exam session with ``n`` candidates (graduates of ``curriculum``): ``results`` of them
    with a result, the first ``attended`` present; the first ``decided`` attendees with a
    confirmed decision, the first ``passed`` awarded; of these, ``registered`` certificates in
    the register and then ``rejected`` rejected by it."""
    x = m.ExamSession(awarding_body=body, standard=standard, starts_at=start, ends_at=start + dt.timedelta(hours=6),
                      place_school=place_school, place_address=None if place_school else "Kutse 1, Tallinn",
                      capacity=max(n, 1), status="closed")
    db.add(x)
    decision_day = start.date() + dt.timedelta(days=decision_after)
    for i in range(n):
        person = m.Person(first_name=f"{tag}{i}", last_name="Kandidaat", birth_date=dt.date(2000, 1, 1 + i))
        enrolment = m.Enrolment(person=person, curriculum=curriculum, status="lopetanud", graduation_date=graduated,
                                expected_graduation=graduated, standard=standard, awarding_body=body)
        registration = m.Registration(exam_session=x, enrolment=enrolment)
        db.add_all([person, enrolment, registration])
        if i < results:
            db.add(m.Result(registration=registration, attended=i < attended, status="submitted"))
        if i < decided:
            award = i < passed
            decision = m.Decision(registration=registration, outcome="award" if award else "refuse",
                                  decision_date=decision_day, status="confirmed",
                                  legal_basis=None if award else "KutS § 17", reasons=None if award else "hindamata")
            db.add(decision)
            if award and i < registered + rejected:
                entered = i < registered
                db.add(m.Certificate(
                    decision=decision, person=person, holder_name=f"{tag}{i} Kandidaat", standard=standard,
                    awarding_body_id=body.id, issue_date=decision_day, valid_from=decision_day,
                    status="registered" if entered else "rejected",
                    registration_number=f"{tag}-{i}" if entered else None,
                    registered_at=dt.datetime.combine(decision_day + dt.timedelta(days=registered_after),
                                                      dt.time(12), UTC) if entered else None))
    db.flush()
    return x


@pytest.fixture()
def data(world, db):
    """World + cohorts A (ab1, school1, Kokk 4, spring 2024), B (ab2, school2, Juuksur 4,
    autumn 2024, small) and C (ab1, school2, Metsur 3, spring 2025)."""
    w = world
    with acting_as("test-setup"):
        ab1, ab2 = db.get(m.AwardingBody, w.ids["ab1"]), db.get(m.AwardingBody, w.ids["ab2"])
        school1, school2 = db.get(m.School, w.ids["school1"]), db.get(m.School, w.ids["school2"])
        s1, s2 = db.get(m.OccupationalStandard, w.ids["s1"]), db.get(m.OccupationalStandard, w.ids["s2"])
        cur1, cur2 = db.get(m.Curriculum, w.ids["cur1"]), db.get(m.Curriculum, w.ids["cur2"])
        s3 = m.OccupationalStandard(register_id=10466929, group_id=3, version=1, name="Metsur, tase 3", ekr_level=3,
                                    field="Metsandus", valid_from=dt.date(2020, 1, 1))
        db.add(s3)
        db.flush()
        db.add(m.AwardingRight(awarding_body=ab1, standard=s3, valid_from=dt.date(2020, 1, 1)))
        cur3 = m.Curriculum(ehis_code=140777, school=school2, name="Metsur", level_code=431)
        db.add(cur3)
        db.flush()
        db.add(m.CurriculumStandardLink(curriculum=cur3, standard=s3))
        w.xa = cohort(db, body=ab1, school=school1, curriculum=cur1, standard=s1, place_school=school1,
                      start=dt.datetime(2024, 3, 10, 7, 0, tzinfo=UTC), n=10, results=9, attended=8, decided=8,
                      passed=6, registered=5, rejected=1, decision_after=14, registered_after=3,
                      graduated=dt.date(2024, 1, 20), tag="a")
        w.xb = cohort(db, body=ab2, school=school2, curriculum=cur2, standard=s2,
                      start=dt.datetime(2024, 10, 5, 7, 0, tzinfo=UTC), n=3, results=3, attended=3, decided=3,
                      passed=2, registered=2, decision_after=10, registered_after=1,
                      graduated=dt.date(2024, 6, 15), tag="b")
        w.xc = cohort(db, body=ab1, school=school2, curriculum=cur3, standard=s3, place_school=school2,
                      start=dt.datetime(2025, 2, 1, 7, 0, tzinfo=UTC), n=6, results=6, attended=6, decided=5,
                      passed=4, registered=4, decision_after=20, registered_after=7,
                      graduated=dt.date(2025, 1, 31), tag="c")
        db.commit()
        w.ids.update(s3=s3.id, cur3=cur3.id, xa=w.xa.id, xb=w.xb.id, xc=w.xc.id)
    st.refresh_summary(db)
    return w


def user(app, name):
    return app.appbuilder.sm.find_user(username=name)


def figures(app, db, name, **filters):
    return st.dashboard(db, user(app, name), st.Filters(**filters))


def pick(row, *keys):
    return {k: row.get(k) for k in keys}


KEYS = ("sessions", "candidates", "results", "attended", "attendance", "decided", "passed", "pass_rate",
        "certificates", "rejected", "decision_days", "register_days", "graduates", "graduates_examined",
        "examined_share")


# --------------------------------------------------------------------------- figures

def test_national_figures_for_registry_staff(app, db, data):
    """Registry staff: every record. The world adds two published sessions (2026) with one
    attending candidate each; its decisions are drafts and its certificates not in the register."""
    with app.app_context():
        d = figures(app, db, "registry")
    assert not d.scoped and not d.show_national
    assert pick(d.totals, *KEYS) == {
        "sessions": 5, "candidates": 21, "results": 20, "attended": 19, "attendance": Decimal("95.0"),
        "decided": 16, "passed": 12, "pass_rate": Decimal("75.0"), "certificates": 11, "rejected": 1,
        # (8 x 14 + 3 x 10 + 5 x 20) / 16 = 15.125; (5 x 3 + 2 x 1 + 4 x 7) / 11 = 4.09
        "decision_days": Decimal("15.1"), "register_days": Decimal("4.1"),
        "graduates": 19, "graduates_examined": 17, "examined_share": Decimal("89.5"),
    }
    periods = {row["label"]: pick(row, "sessions", "candidates", "certificates", "graduates")
               for row in d.tables["period"].rows}
    assert periods == {
        "2024 kevad": {"sessions": 1, "candidates": 10, "certificates": 5, "graduates": 13},
        "2024 sügis": {"sessions": 1, "candidates": 3, "certificates": 2, "graduates": 0},
        "2025 kevad": {"sessions": 1, "candidates": 6, "certificates": 4, "graduates": 6},
        "2026 kevad": {"sessions": 2, "candidates": 2, "certificates": 0, "graduates": 0},
    }
    assert [row["label"] for row in d.tables["year"].rows] == ["2024", "2025", "2026"]
    levels = {row["ekr_level"]: pick(row, "candidates", "passed", "pass_rate") for row in d.tables["level"].rows}
    assert levels == {3: {"candidates": 6, "passed": 4, "pass_rate": Decimal("80.0")},
                      4: {"candidates": 15, "passed": 8, "pass_rate": Decimal("72.7")}}
    assert {row["label"]: row["candidates"] for row in d.tables["field"].rows} == {"Metsandus": 6, "Teenindus": 15}
    assert {row["label"]: row["certificates"] for row in d.tables["standard"].rows} == {
        "Kokk, tase 4 (10465773)": 5, "Juuksur, tase 4 (10884560)": 2, "Metsur, tase 3 (10466929)": 4}
    bodies = {row["label"]: pick(row, "sessions", "candidates", "rejected") for row in d.tables["awarding_body"].rows}
    assert bodies == {"Eesti Peakokkade Ühendus": {"sessions": 3, "candidates": 17, "rejected": 1},
                      "Eesti Kosmeetikute Liit": {"sessions": 2, "candidates": 4, "rejected": 0}}
    schools = {row["label"]: pick(row, "sessions", "candidates", "graduates", "examined_share")
               for row in d.tables["school"].rows}
    assert schools == {
        "Tallinna Teeninduskool": {"sessions": None, "candidates": 11, "graduates": 10,
                                   "examined_share": Decimal("80.0")},
        "Ida-Virumaa Kutsehariduskeskus": {"sessions": None, "candidates": 10, "graduates": 9,
                                           "examined_share": Decimal("100.0")},
    }
    assert {row["label"]: row["candidates"] for row in d.tables["curriculum"].rows} == {
        "Kokk (140001)": 11, "Juuksur (130219)": 4, "Metsur (140777)": 6}


def test_filters_period_level_field_body_school(app, db, data):
    with app.app_context():
        assert figures(app, db, "registry", year_from=2025).totals["candidates"] == 8
        assert figures(app, db, "registry", year_from=2024, year_to=2024, season=2).totals["candidates"] == 3
        assert figures(app, db, "registry", ekr_level=3).totals["certificates"] == 4
        by_field = figures(app, db, "registry", field="Teenindus")
        assert (by_field.totals["candidates"], by_field.totals["sessions"]) == (15, 4)
        by_body = figures(app, db, "registry", awarding_body_id=data.ids["ab2"])
        assert (by_body.totals["candidates"], by_body.totals["sessions"], by_body.totals["certificates"]) == (4, 2, 2)
        by_school = figures(app, db, "registry", school_id=data.ids["school2"])
        # sessions that examined the school's candidates: world x2, B and C
        assert (by_school.totals["candidates"], by_school.totals["sessions"]) == (10, 3)
        # a registry user filtering one organisation sees the national figures beside it, unsuppressed
        assert by_school.show_national and by_school.national_totals["candidates"] == 21
        assert by_school.national_totals["rejected"] == 1


@pytest.mark.parametrize("name, expected", [
    ("ab1", {"sessions": 3, "candidates": 17, "results": 16, "attended": 15, "decided": 13, "passed": 10,
             "certificates": 9, "rejected": 1, "graduates": 16, "graduates_examined": 14}),
    ("ab2", {"sessions": 2, "candidates": 4, "results": 4, "attended": 4, "decided": 3, "passed": 2,
             "certificates": 2, "rejected": 0, "graduates": 3, "graduates_examined": 3}),
    # school1: world x1 is at school1 and r1 is its candidate; cohort A
    ("school1", {"sessions": 2, "candidates": 11, "results": 10, "attended": 9, "decided": 8, "passed": 6,
                 "certificates": 5, "rejected": 1, "graduates": 10, "graduates_examined": 8}),
    ("school2", {"sessions": 3, "candidates": 10, "results": 10, "attended": 10, "decided": 8, "passed": 6,
                 "certificates": 6, "rejected": 0, "graduates": 9, "graduates_examined": 9}),
])
def test_scoped_figures_are_the_viewers_own(app, db, data, name, expected):
    with app.app_context():
        d = figures(app, db, name)
        assert d.scoped and d.show_national
        assert pick(d.totals, *expected) == expected
        # every table adds up to the viewer's own totals, never more
        for table in ("year", "period", "level", "field", "standard", "awarding_body", "school", "curriculum"):
            assert sum(row["candidates"] for row in d.tables[table].rows) == expected["candidates"], table
        # organisations in the tables are the viewer's own
        bodies = {row["awarding_body_id"] for row in d.tables["awarding_body"].rows}
        schools = {row["school_id"] for row in d.tables["school"].rows}
        if name.startswith("ab"):
            assert bodies == {data.ids[name]}
        else:
            assert schools == {data.ids[name]}
        # national figures only where they name no organisation
        assert d.tables["standard"].national and d.tables["level"].national
        assert not d.tables["awarding_body"].national and not d.tables["school"].national
        assert not d.tables["curriculum"].national


def test_scoped_figures_agree_with_the_live_records_through_the_one_filter(app, db, data):
    """The summary's owner columns give the same counts as the records themselves under
    scope_condition (the filter of every screen)."""
    from app.security.scoping import scoped

    with app.app_context():
        for name in ("registry", "ab1", "ab2", "school1", "school2"):
            u = user(app, name)
            d = st.dashboard(db, u, st.Filters())
            live = {
                "candidates": scoped(select(func.count()).select_from(m.Registration)
                                     .where(m.Registration.status == "registered"), m.Registration, u),
                "decided": scoped(select(func.count()).select_from(m.Decision)
                                  .where(m.Decision.status == "confirmed"), m.Decision, u),
                "certificates": scoped(select(func.count()).select_from(m.Certificate)
                                       .where(m.Certificate.status == "registered"), m.Certificate, u),
                "sessions": scoped(select(func.count()).select_from(m.ExamSession)
                                   .where(m.ExamSession.status.notin_(["draft", "cancelled"])), m.ExamSession, u),
            }
            for key, query in live.items():
                assert d.totals[key] == db.execute(query).scalar(), (name, key)


def test_national_figures_beside_a_scoped_viewer_hide_small_cells(app, db, data):
    with app.app_context():
        d = figures(app, db, "ab1")
    national = d.national_totals
    assert national["candidates"] == 21 and national["certificates"] == 11 and national["sessions"] == 5
    assert national["rejected"] is None  # 1 certificate
    # 12 of 16 passed: the 4 refused are a small group, so neither "passed" nor the rate is shown
    assert national["passed"] is None and national["pass_rate"] is None
    assert national["attended"] is None  # 19 of 20: one absent
    autumn = next(row for row in d.tables["period"].rows if row["label"] == "2024 sügis")
    assert autumn["national"]["candidates"] is None and autumn["national"]["pass_rate"] is None
    # ab1 had no exam that autumn: its own row shows zero, the national row exists
    assert autumn["candidates"] == 0
    latest = next(row for row in d.tables["period"].rows if row["label"] == "2026 kevad")
    assert latest["candidates"] == 1 and latest["national"]["candidates"] is None  # 2 in all Estonia
    # registry staff see the same national cells unsuppressed
    with app.app_context():
        registry = figures(app, db, "registry", awarding_body_id=data.ids["ab1"])
    assert registry.national_totals["rejected"] == 1 and registry.national_totals["passed"] == 12


def test_suppression_rules():
    row = st.with_rates({"candidates": 20, "results": 20, "attended": 18, "decided": 18, "passed": 18,
                         "certificates": 4, "rejected": 0, "graduates": 6, "graduates_examined": 5,
                         "decision_days": 180, "register_days": 8, "registered_timed": 4, "sessions": 2})
    safe = st.suppress(row, 5)
    assert safe["candidates"] == 20
    assert safe["attended"] is None and safe["attendance"] is None  # 2 absent
    assert safe["passed"] == 18 and safe["pass_rate"] == Decimal("100.0")  # 0 refused is not a small group
    assert safe["certificates"] is None and safe["register_days"] is None  # 4 certificates
    assert safe["rejected"] == 0
    assert safe["graduates_examined"] is None and safe["examined_share"] is None  # 1 did not take it
    assert safe["sessions"] is None  # 2 sessions: a count like any other
    assert safe["decision_days"] == Decimal("10.0")
    assert st.suppress(row, 1)["attended"] == 18  # a minimum of 1 hides nothing


def test_no_figures_without_a_scope(app, db, data, login):
    """The assessor has no statistics: no screen, and no summary rows through the filter."""
    assert login("assessor").get("/statistics/").status_code == 403
    with app.app_context():
        d = figures(app, db, "assessor")
    assert d.totals["candidates"] == 0 and d.totals["certificates"] == 0
    assert all(r["candidates"] == 0 for table in d.tables.values() for r in table.rows)


# --------------------------------------------------------------------------- the dashboard screen

def test_dashboard_screen_per_role(app, data, login):
    page = login("registry").get("/statistics/")
    assert page.status_code == 200
    html = page.data.decode()
    assert "Eesti Peakokkade Ühendus" in html and "Eesti Kosmeetikute Liit" in html
    # charts with the bundled library, their data as a table, no CDN
    assert "/static/vendor/chartjs/chart.umd.min.js" in html and 'id="eks-chart-data"' in html
    assert "<canvas" in html and "<caption" in html
    assert "https://" not in html.split("<body", 1)[1].split("eks-chart-data", 1)[0] or "cdn" not in html
    assert login("registry").get("/static/vendor/chartjs/chart.umd.min.js").status_code == 200
    charts = json.loads(html.split('id="eks-chart-data">', 1)[1].split("</script>", 1)[0])
    trend = next(c for c in charts if c["id"] == "chart-trend")
    assert trend["labels"] == ["2024", "2025", "2026"] and trend["datasets"][0]["data"] == [13, 6, 2]

    ab1 = login("ab1").get("/statistics/").data.decode()
    assert "Eesti Peakokkade Ühendus" in ab1 and "Eesti Kosmeetikute Liit" not in ab1
    school1 = login("school1").get("/statistics/").data.decode()
    assert "Tallinna Teeninduskool" in school1
    assert "Ida-Virumaa Kutsehariduskeskus" not in school1 and "Eesti Kosmeetikute Liit" not in school1
    # filters in the query string
    filtered = login("registry").get(f"/statistics/?awarding_body_id={data.ids['ab2']}&year_from=2024")
    assert filtered.status_code == 200
    assert login("registry").get("/statistics/?year_from=abc&season=7").status_code == 200


def test_menu_and_permissions(data, login):
    assert b"/statistics/" in login("registry").get("/").data
    assert b"/statistics/" in login("school1").get("/").data
    assert b"/statistics/" not in login("assessor").get("/").data
    # only registry staff may start a refresh
    assert login("ab1").post("/statistics/refresh").status_code == 403


def _csv(response):
    assert response.status_code == 200, response.status_code
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def _xlsx(response):
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    wb = openpyxl.load_workbook(io.BytesIO(response.data))
    return [list(row) for row in wb.active.iter_rows(values_only=True)]


def test_statistics_tables_download_as_csv_and_xlsx(data, login):
    c = login("registry")
    rows = _csv(c.get("/statistics/export/period.csv"))
    assert rows[0][:4] == ["Periood", "Eksamisessioonid", "Kandidaadid", "Osales"]
    assert "Sooritusprotsent" in rows[0]
    assert rows[1][:3] == ["2024 kevad", "1", "10"]
    assert rows[1][rows[0].index("Sooritusprotsent")] == "75,0"
    sheet = _xlsx(c.get("/statistics/export/period.xlsx"))
    assert sheet[0] == rows[0]
    assert sheet[1][:3] == ["2024 kevad", 1, 10] and sheet[1][rows[0].index("Sooritusprotsent")] == 75.0
    # filters apply
    rows = _csv(c.get(f"/statistics/export/awarding_body.csv?awarding_body_id={data.ids['ab2']}"))
    assert [r[0] for r in rows[1:]] == ["Eesti Kosmeetikute Liit"]
    # scoping: ab1 gets only its own body, with national columns where they are allowed
    rows = _csv(login("ab1").get("/statistics/export/awarding_body.csv"))
    assert [r[0] for r in rows[1:]] == ["Eesti Peakokkade Ühendus"]
    rows = _csv(login("ab1").get("/statistics/export/level.csv"))
    national = rows[0].index("Kandidaadid, Eesti")
    assert {r[0]: (r[2], r[national]) for r in rows[1:]} == {"tase 3": ("6", "6"), "tase 4": ("11", "15")}
    rows = _csv(login("school1").get("/statistics/export/school.csv"))
    assert [r[0] for r in rows[1:]] == ["Tallinna Teeninduskool"]
    assert login("ab1").get("/statistics/export/nosuch.csv").status_code == 404
    assert login("ab1").get("/statistics/export/level.pdf").status_code == 404
    assert login("assessor").get("/statistics/export/level.csv").status_code == 403


def test_statistics_tables_and_open_data_write_formula_text_as_inert_text(app, db, data, login):
    """A school named like a formula: in the statistics table downloads and the open data CSV its
    name is text with a leading apostrophe; the figures beside it stay numbers."""
    from tests.conftest import IsolatedClient

    name = '=HYPERLINK("http://example.invalid","Kool")'
    with acting_as("test-setup"):
        db.get(m.School, data.ids["school1"]).name = name
        db.commit()
    with app.app_context():
        st.refresh_summary(db)
        st.refresh_open_data(db)
    c = login("registry")
    rows = _csv(c.get("/statistics/export/school.csv"))
    candidates = rows[0].index("Kandidaadid")
    row = next(r for r in rows[1:] if r[0].endswith(name))
    assert row[0] == "'" + name and row[candidates].isdigit()
    count = int(row[candidates])
    wb = openpyxl.load_workbook(io.BytesIO(c.get("/statistics/export/school.xlsx").data))
    row = next(r for r in wb.active.iter_rows(min_row=2) if r[0].value.endswith(name))
    assert (row[0].value, row[0].data_type) == ("'" + name, "s")
    assert (row[candidates].value, row[candidates].data_type) == (count, "n")
    assert db.get(m.School, data.ids["school1"]).name == name  # stored as typed

    text = IsolatedClient(app, app.response_class).get("/avaandmed/andmed.csv?andmestik=kool").data.decode()
    lines = list(csv.reader(io.StringIO(text)))
    line = next(line for line in lines[1:] if line[3].endswith(name))
    assert line[3] == "'" + name and line[1] == "2024" and line[4].isdigit()  # a count, unchanged


# --------------------------------------------------------------------------- list exports

def test_every_list_screen_downloads_csv_and_xlsx(app, data, login):
    from app.views import SCREENS

    c = login("registry")
    for view, *_ in SCREENS:
        name = view.__name__.lower()
        page = c.get(f"/{name}/list/")
        assert page.status_code == 200, name
        assert f"/{name}/export/csv".encode() in page.data and f"/{name}/export/xlsx".encode() in page.data, name
        rows = _csv(c.get(f"/{name}/export/csv"))
        sheet = _xlsx(c.get(f"/{name}/export/xlsx"))
        assert sheet[0] == rows[0], name
        assert len(sheet) == len(rows), name


def test_list_export_content_headers_filters_order_and_scope(app, data, login):
    c = login("registry")
    rows = _csv(c.get("/certificateview/export/csv"))
    assert rows[0] == ["Registreerimisnumber", "Omaniku nimi", "Kutsestandard", "Tunnistuse liik",
                       "Väljaandmise kuupäev", "Olek"]
    assert ["a-0", "a0 Kandidaat", "Kokk, tase 4 (10465773)", "kutsetunnistus", "24.03.2024",
            "registreeritud"] in rows
    assert len(rows) == 1 + 2 + 12  # the world's two and the cohorts' twelve
    sheet = _xlsx(c.get("/certificateview/export/xlsx"))
    row = next(r for r in sheet if r[0] == "a-0")
    assert row[4] == dt.datetime(2024, 3, 24)  # a date cell, not text
    # the screen's filters and order (FAB's query string) apply
    query = "_flt_0_holder_name=c&_oc_CertificateView=holder_name&_od_CertificateView=asc"
    rows = _csv(c.get(f"/certificateview/export/csv?{query}"))
    assert [r[1] for r in rows[1:]] == ["c0 Kandidaat", "c1 Kandidaat", "c2 Kandidaat", "c3 Kandidaat"]
    # scope: ab1 gets its own certificates only, school2 its own
    holders = {r[1] for r in _csv(login("ab1").get("/certificateview/export/csv"))[1:]}
    assert holders == {f"a{i} Kandidaat" for i in range(6)} | {f"c{i} Kandidaat" for i in range(4)} | {
        "Õnne-Liis Šmidt"}
    holders = {r[1] for r in _csv(login("school2").get("/certificateview/export/xlsx" and
                                                       "/certificateview/export/csv"))[1:]}
    assert holders == {"b0 Kandidaat", "b1 Kandidaat", "Žanna Kääriäinen"} | {f"c{i} Kandidaat" for i in range(4)}
    sheet = _xlsx(login("school2").get("/certificateview/export/xlsx"))
    assert {r[1] for r in sheet[1:]} == holders
    # booleans in Estonian, related records by name
    rows = _csv(c.get("/registrationview/export/csv"))
    flags = rows[0].index("Erivajadused") if "Erivajadused" in rows[0] else None
    if flags is not None:
        assert {r[flags] for r in rows[1:]} <= {"Jah", "Ei"}
    assert login("assessor").get("/certificateview/export/xlsx").status_code == 403


def _wait(db, run_id, timeout=20):
    import time

    deadline = time.time() + timeout
    while time.time() < deadline:
        db.expire_all()
        run = db.get(m.JobRun, run_id)
        if run.status not in ("queued", "running"):
            return run
        time.sleep(0.05)
    raise AssertionError("job did not finish")


@pytest.fixture()
def small_threshold(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_ASYNC_THRESHOLD", 3)
    monkeypatch.setitem(app.config, "EXPORT_DIR", str(tmp_path))
    monkeypatch.setitem(app.config, "JOBS_INLINE", True)
    return tmp_path


def test_large_list_export_runs_in_the_background_for_its_user(app, db, data, login, small_threshold):
    c = login("ab1")
    response = c.get("/certificateview/export/xlsx?_oc_CertificateView=holder_name&_od_CertificateView=asc")
    assert response.status_code == 302 and "/exports/" in response.location
    run_id = int(response.location.rstrip("/").split("/")[-1])
    run = _wait(db, run_id)
    assert run.status == "succeeded", run.message
    assert (run.kind, run.user_id, run.progress_done, run.progress_total) == ("export", user(app, "ab1").id, 11, 11)
    assert run.awarding_body_id == data.ids["ab1"]
    page = c.get(f"/exports/{run_id}")
    assert page.status_code == 200 and f"/exports/{run_id}/download".encode() in page.data
    assert c.get(f"/exports/{run_id}/status").json["ready"] is True
    sheet = _xlsx(c.get(f"/exports/{run_id}/download"))
    assert sheet[0][:2] == ["Registreerimisnumber", "Omaniku nimi"]
    assert [r[1] for r in sheet[1:]] == sorted([f"a{i} Kandidaat" for i in range(6)] +
                                               [f"c{i} Kandidaat" for i in range(4)] + ["Õnne-Liis Šmidt"])
    assert (small_threshold / f"export-{run_id}.xlsx").exists()
    # the JobRun page links to it for its owner
    assert f"/exports/{run_id}".encode() in c.get(f"/jobrunview/show/{run_id}").data
    # nobody else in another scope: not the other body, not a school; registry staff may
    for other in ("ab2", "school1"):
        assert login(other).get(f"/exports/{run_id}").status_code == 404
        assert login(other).get(f"/exports/{run_id}/download").status_code == 404
    assert login("registry").get(f"/exports/{run_id}/download").status_code == 200
    # a second user asking for the same export gets a run of their own
    app.config["EXPORT_ASYNC_THRESHOLD"] = 2
    response = login("ab2").get("/certificateview/export/xlsx?_oc_CertificateView=holder_name&_od_CertificateView=asc")
    other_run = int(response.location.rstrip("/").split("/")[-1])
    assert other_run != run_id
    assert _wait(db, other_run).progress_total == 3  # b0, b1 and the world's c2
    # small lists stay in the request
    assert login("ab2").get("/certificateview/export/csv?_flt_0_holder_name=b").status_code == 200
    assert len(_csv(login("ab2").get("/certificateview/export/csv?_flt_0_holder_name=b"))) == 3


def test_school_user_background_export_and_csv(app, db, data, login, small_threshold):
    """A school user has no job screens, but gets their export page and file."""
    c = login("school2")
    response = c.get("/registrationview/export/csv")
    assert response.status_code == 302
    run_id = int(response.location.rstrip("/").split("/")[-1])
    assert _wait(db, run_id).status == "succeeded"
    assert c.get(f"/exports/{run_id}").status_code == 200
    rows = _csv(c.get(f"/exports/{run_id}/download"))
    assert len(rows) == 1 + 3 + 6 + 1  # cohorts B and C and the world's r2
    assert c.get(f"/jobrunview/show/{run_id}").status_code == 403


def test_large_statistics_table_export_runs_in_the_background(app, db, data, login, small_threshold):
    c = login("registry")
    direct = c.get("/statistics/export/standard.csv?year_from=2024")  # 3 rows: not above 3
    assert direct.status_code == 200
    response = c.get("/statistics/export/period.csv")  # 4 rows
    assert response.status_code == 302
    run_id = int(response.location.rstrip("/").split("/")[-1])
    assert _wait(db, run_id).status == "succeeded"
    rows = _csv(c.get(f"/exports/{run_id}/download"))
    assert [r[0] for r in rows[1:]] == ["2024 kevad", "2024 sügis", "2025 kevad", "2026 kevad"]


# --------------------------------------------------------------------------- open data

def test_open_data_is_anonymised(app, db, data):
    with app.app_context():
        count = st.refresh_open_data(db, minimum=5)
        rows = st.open_data(db)
    assert count == len(rows) > 0
    for row in rows:  # no row below the minimum, no small count
        assert max(row[k] or 0 for k in ("candidates", "certificates", "graduates")) >= 5, row
        for key in ("candidates", "attended", "decided", "passed", "certificates", "graduates", "graduates_examined"):
            assert row[key] is None or row[key] == 0 or row[key] >= 5, (key, row)
    periods = {(r["year"], r["group_label"]) for r in rows if r["dataset"] == "poolaasta"}
    assert periods == {(2024, "kevad"), (2025, "kevad")}  # autumn 2024 had 3 candidates; 2026 two
    spring = next(r for r in rows if r["dataset"] == "poolaasta" and r["year"] == 2024)
    # 10 candidates, 8 attended of 9 with a result (1 absent: hidden), 6 of 8 passed (2 refused: hidden)
    assert (spring["candidates"], spring["attended"], spring["passed"], spring["pass_rate"]) == (10, None, None, None)
    # 11 of 13 graduates took the exam: the 2 who did not are a small group
    assert (spring["certificates"], spring["graduates"], spring["graduates_examined"]) == (5, 13, None)
    schools = {(r["year"], r["group_code"], r["group_label"]) for r in rows if r["dataset"] == "kool"}
    assert schools == {(2024, "32", "Tallinna Teeninduskool"), (2025, "1041", "Ida-Virumaa Kutsehariduskeskus")}
    standards = {(r["year"], r["group_code"]) for r in rows if r["dataset"] == "kutsestandard"}
    assert standards == {(2024, "10465773"), (2025, "10466929")}
    with app.app_context():  # a smaller minimum publishes more
        st.refresh_open_data(db, minimum=2)
        assert (2024, "sügis") in {(r["year"], r["group_label"]) for r in st.open_data(db, "poolaasta")}


def test_open_data_public_page_and_machine_readable_files(app, db, data):
    from tests.conftest import IsolatedClient

    with app.app_context():
        st.refresh_open_data(db)
    anonymous = IsolatedClient(app, app.response_class, use_cookies=True)
    page = anonymous.get("/avaandmed/")
    assert page.status_code == 200 and "Tallinna Teeninduskool" in page.data.decode()
    document = anonymous.get("/avaandmed/andmed.json").json
    assert document["miinimumarv"] == 5 and "poolaasta" in document["andmestikud"]
    assert {"andmestik", "aasta", "kood", "nimetus", "kandidaadid", "sooritusprotsent"} <= set(document["read"][0])
    assert not any("isikukood" in json.dumps(r) for r in document["read"])
    only = anonymous.get("/avaandmed/andmed.json?andmestik=tase").json["read"]
    assert only and {r["andmestik"] for r in only} == {"tase"}
    text = anonymous.get("/avaandmed/andmed.csv?andmestik=aasta").data.decode()
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0][:4] == ["andmestik", "aasta", "kood", "nimetus"]
    assert [line[1] for line in lines[1:]] == ["2024", "2025"]
    assert anonymous.get("/avaandmed/andmed.csv?andmestik=nosuch").status_code == 404


def test_jobs_refresh_the_figures(app, db, data, monkeypatch):
    from app.services.jobruns import create_run
    from jobs.registry import KINDS, startable_by
    from jobs.tasks import run_job

    assert {"statistics", "open_data", "export"} <= set(KINDS)
    assert "export" not in {k.name for k in startable_by({"Registry staff"})}
    with app.app_context():
        db.execute(m.StatSummary.__table__.delete())
        db.commit()
        run, _ = create_run(db, "open_data", {}, actor="test")
        assert run_job(run.id, app) == "succeeded"
        assert db.scalar(select(func.count()).select_from(m.StatSummary)) > 0
        assert db.scalar(select(func.count()).select_from(m.OpenDataStat)) > 0
        assert st.refreshed_at(db) is not None
        run, _ = create_run(db, "statistics", {}, actor="test")
        assert run_job(run.id, app) == "succeeded"


def test_register_entry_time_is_recorded(app, db, data):
    """The register export stamps registered_at where a certificate becomes registered."""
    from app.services.jobruns import JobContext, create_run
    from app.services.register_export import export_certificates

    class Register:
        def kutsetunnistuse_lisamine(self, payload):
            return "900001"

    with app.app_context(), acting_as("test"):
        cert = db.get(m.Certificate, data.ids["c1"])
        cert.status = "ready"
        signer = db.get(m.CommitteeMember, data.ids["member1"])
        signer.register_id = 77
        db.commit()
        run, _ = create_run(db, "register_export", {}, actor="test")
        export_certificates(db, Register(), JobContext(db.get_bind(), run.id), workers=1)
        db.expire_all()
        cert = db.get(m.Certificate, data.ids["c1"])
    assert cert.status == "registered" and cert.registered_at is not None


def test_first_visit_starts_the_calculation(app, db, world, login, monkeypatch):
    """A new installation has no figures yet: the first visit queues the jobs (once)."""
    from tests.conftest import IsolatedClient

    monkeypatch.setitem(app.config, "JOBS_INLINE", True)
    assert login("ab1").get("/statistics/").status_code == 200
    run = db.scalars(select(m.JobRun).where(m.JobRun.kind == "statistics")).one()
    assert _wait(db, run.id).status == "succeeded"
    with app.app_context():
        assert st.refreshed_at(db) is not None
    anonymous = IsolatedClient(app, app.response_class, use_cookies=True)
    assert anonymous.get("/avaandmed/").status_code == 200
    run = db.scalars(select(m.JobRun).where(m.JobRun.kind == "open_data")).one()
    assert _wait(db, run.id).status == "succeeded"
    assert anonymous.get("/avaandmed/andmed.json").json["uuendatud"]


def test_grouping_without_grouping_sets_gives_the_same_sums(app, db, data):
    """SQLite (the demo) has no GROUPING SETS: the UNION ALL form must give the same figures."""
    import sqlalchemy as sa

    with app.app_context():
        rows = [dict(r) for r in db.execute(select(m.StatSummary.__table__)).mappings()]
        sets = {n: st.BREAKDOWNS[n] for n in st.BREAKDOWNS}
        expected = st.grouped(db, m.StatSummary.__table__, list(st.SUMMARY_MEASURES), sets, (), st.DASHBOARD_BASES)
    engine = sa.create_engine("sqlite://")
    m.StatSummary.__table__.create(engine)
    with engine.begin() as conn:
        conn.execute(m.StatSummary.__table__.insert(), rows)
    from sqlalchemy.orm import Session

    with Session(engine) as lite:
        got = st.grouped(lite, m.StatSummary.__table__, list(st.SUMMARY_MEASURES), sets, (), st.DASHBOARD_BASES)

    def norm(result):
        return {name: sorted((tuple(sorted(r.items(), key=lambda kv: kv[0])) for r in rows_),
                             key=repr) for name, rows_ in result.items()}
    assert norm(got) == norm(expected)
    assert got["total"][0]["candidates"] == 21
