"""Estonian by default, English on request.

(a) The `et` catalogue translates every string: the test extracts the messages itself (our
    packages and Flask-AppBuilder's, Python and templates, with the keywords of scripts/i18n)
    and wants a non-empty, non-fuzzy Estonian translation with the same placeholders for each.
(b) Key pages, as an awarding body user, as registry staff and logged out, are Estonian: none of
    FAB's English UI strings in the text outside data values, no "None"/"True"/"False" values.
(c) /lang/en switches to English: menus and FAB's own strings come out in English.
"""
from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import flask_appbuilder
import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "translations"
FAB_DIR = Path(flask_appbuilder.__file__).resolve().parent

# FAB's English UI words and phrases; compared case-sensitively as whole words with the text of
# a page outside data values.
ENGLISH_UI = [
    "Search", "Add", "Edit", "Delete", "Show", "Record Count", "Actions", "List", "Refresh",
    "Back", "Save", "Cancel", "Logout", "Login", "Log in", "Sign In", "Are you sure",
    "Add Filter", "No records found", "Page size", "Order by", "Detail", "Profile",
    "User confirmation needed", "Username", "Password", "Select Value", "Select a State",
    "Add a new record", "Show record", "Edit record", "Delete record", "Equal to", "Contains",
    "Starts with", "Security", "List Users", "List Roles", "Reset my password", "User info",
    "Personal Info", "Yes", "No", "Close", "Not Found", "Access is Denied",
]
DATA_VALUES_IN_ENGLISH = {"None", "True", "False"}


# --- the catalogue -------------------------------------------------------------------------------

def _i18n_script() -> str:
    return (ROOT / "scripts" / "i18n").read_text(encoding="utf-8")


def _keywords() -> dict:
    """DEFAULT_KEYWORDS plus the -k options of scripts/i18n (one list for both)."""
    specs = re.findall(r"-k\s+(\S+)", _i18n_script())
    assert specs, "scripts/i18n declares no -k keywords"
    return {**DEFAULT_KEYWORDS, **parse_keywords([s.rstrip(")") for s in specs])}


def _sources() -> list[Path]:
    match = re.search(r"^SOURCES=\(([^)]*)\)", _i18n_script(), re.M)
    assert match, "scripts/i18n declares no SOURCES=(...)"
    return [ROOT / name for name in match.group(1).split() if (ROOT / name).is_dir()] + [FAB_DIR]


def _extracted() -> dict[str, list[str]]:
    """msgid -> locations, freshly extracted the way scripts/i18n does it."""
    with open(TRANSLATIONS / "babel.cfg", encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = _keywords()
    found: dict[str, list[str]] = {}
    for source in _sources():
        for filename, lineno, message, _comments, _context in extract_from_dir(
            str(source), method_map, options_map, keywords=keywords
        ):
            msgid = message if isinstance(message, str) else message[0]
            if msgid:
                found.setdefault(msgid, []).append(f"{source.name}/{filename}:{lineno}")
    return found


def _catalog(lang: str):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh)


def _strings(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


def test_every_string_has_an_estonian_translation():
    extracted = _extracted()
    assert len(extracted) > 300, f"extraction found only {len(extracted)} strings"
    assert "Record Count" in extracted and "Exam sessions" in extracted  # FAB's and ours
    catalog = _catalog("et")
    problems = []
    for msgid, where in sorted(extracted.items()):
        message = catalog.get(msgid)
        if message is None:
            problems.append(f"not in the catalogue (run scripts/i18n): {msgid!r} ({where[0]})")
        elif message.fuzzy:
            problems.append(f"fuzzy: {msgid!r} ({where[0]})")
        elif not all(s.strip() for s in _strings(message)):
            problems.append(f"untranslated: {msgid!r} ({where[0]})")
        else:
            wanted = set(PLACEHOLDER.findall(msgid))
            for text in _strings(message):
                if set(PLACEHOLDER.findall(text)) != wanted:
                    problems.append(f"placeholders differ: {msgid!r} -> {text!r}")
    assert not problems, f"{len(problems)} problems in translations/et:\n" + "\n".join(problems)


def test_catalogues_have_no_fuzzy_entries_and_are_compiled():
    for lang in ("et", "en"):
        catalog = _catalog(lang)
        fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
        assert not fuzzy, f"{lang}: fuzzy entries {fuzzy}"
        mo_path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo"
        assert mo_path.exists(), f"{mo_path} is missing: run scripts/i18n (or pybabel compile -d translations)"
        with open(mo_path, "rb") as fh:
            compiled = {m.id: m.string for m in read_mo(fh) if m.id}
        stale = [m.id for m in catalog if m.id and m.string and all(_strings(m))
                 and compiled.get(m.id) != m.string]
        assert not stale, f"{mo_path} is older than the .po, run scripts/i18n: {stale[:10]}"


def test_english_catalogue_keeps_english():
    """English falls back to the msgid: no entry may carry Estonian text into the English UI."""
    estonian = re.compile(r"[õäöüšžÕÄÖÜŠŽ]")
    leaked = [(m.id, m.string) for m in _catalog("en") if m.id and any(estonian.search(s) for s in _strings(m))]
    assert not leaked, leaked


# --- pages -----------------------------------------------------------------------------------------

class _Text(HTMLParser):
    """Visible UI text of a page: text and labelling attributes, minus data values (table cells
    without controls, select options) and scripts. Data cell texts are kept separately."""

    SKIP = {"script", "style", "option"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    ATTRS = ("title", "placeholder", "aria-label", "data-placeholder", "alt")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.ui: list[str] = []
        self.cells: list[str] = []
        self.cell: list[str] | None = None
        self.lang = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        for name in self.ATTRS:
            if attrs.get(name):
                self.ui.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.ui.append(attrs["value"])
        if tag == "td":
            self.cell = []
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass
        if tag == "td" and self.cell is not None:
            self.cells.append(" ".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        text = data.strip()
        if not text or self.SKIP & set(self.stack):
            return
        in_cell = "td" in self.stack
        in_control = {"a", "button", "label"} & set(self.stack[self.stack.index("td"):] if in_cell else [])
        if in_cell and not in_control:
            self.cell.append(text)
        else:
            self.ui.append(text)


def page_text(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


def english_in(texts: list[str]) -> list[str]:
    joined = "\n".join(texts)
    return sorted({p for p in ENGLISH_UI if re.search(rf"(?<![\w-]){re.escape(p)}(?![\w-])", joined)})


def check_page(client, url, must=(), problems=None):
    response = client.get(url)
    assert response.status_code == 200, f"{url}: HTTP {response.status_code}"
    html = response.get_data(as_text=True)
    parsed = page_text(html)
    if parsed.lang != "et":
        problems.append(f"{url}: <html lang={parsed.lang!r}>")
    for word in english_in(parsed.ui):
        problems.append(f"{url}: English {word!r}")
    for value in sorted(DATA_VALUES_IN_ENGLISH & set(parsed.cells)):
        problems.append(f"{url}: a value shown as {value!r}")
    text = "\n".join(parsed.ui)
    for word in must:
        if word not in text:
            problems.append(f"{url}: no {word!r}")
    return parsed


def _reset_locale(client, locale="et"):
    with client.http.session_transaction() as session:
        session["locale"] = locale


def test_awarding_body_user_sees_estonian(world, login):
    client = login("ab1")
    _reset_locale(client)
    x1 = world.ids["x1"]
    problems: list[str] = []
    nav = ["Eksamid", "Eksamisessioonid", "Õppijad", "Põhiandmed", "Logi välja", "Profiil"]
    check_page(client, "/", nav + ["Ootel tööd"], problems)
    check_page(client, "/examsessionview/list/",
               ["Otsi", "Lisa filter", "Kirjeid", "Kutsestandard", "Algus", "Vaata", "Muuda", "Kustuta"], problems)
    check_page(client, f"/examsessionview/show/{x1}",
               ["Kirje andmed", "Registreerimised", "Hindamiskomisjonid", "Toimumiskoht (kool)", "Tagasi"], problems)
    check_page(client, f"/examsessionview/edit/{x1}", ["Salvesta", "Tagasi", "Registreerimise tähtaeg"], problems)
    check_page(client, "/examsessionview/add", ["Lisa kirje", "Salvesta", "Valige väärtus"], problems)
    for url in ["/registrationview/list/", "/resultview/list/", "/decisionview/list/", "/certificateview/list/",
                "/appealview/list/", "/enrolmentview/list/", "/personview/list/", "/standardview/list/",
                f"/certificateview/show/{world.ids['c1']}", f"/personview/show/{world.ids['p1']}"]:
        check_page(client, url, ["Tagasi"], problems)
    check_page(client, "/users/userinfo/", ["Teie kasutajaandmed", "Vaheta parool", "Isikuandmed"], problems)
    check_page(client, "/resetmypassword/form", ["Parool", "Salvesta"], problems)
    assert not problems, "\n".join(problems)


def test_registry_staff_sees_estonian(world, login):
    client = login("registry")
    _reset_locale(client)
    problems: list[str] = []
    check_page(client, "/", ["Haldus", "Kasutajahaldus", "Kasutajad"], problems)
    for url in ["/users/list/", "/accountrequestview/list/", "/jobrunview/list/", "/auditeventview/list/",
                "/dataaccessview/list/", "/schoolview/list/", "/curriculumview/list/", "/awardingbodyview/list/",
                f"/awardingbodyview/show/{world.ids['ab1']}", f"/standardview/show/{world.ids['s1']}"]:
        check_page(client, url, ["Tagasi"], problems)
    users = check_page(client, "/users/list/", ["Kasutajad", "Eesnimi", "Kirjeid"], problems)
    assert "Jah" in users.cells  # the Active column, not "True"
    assert not problems, "\n".join(problems)


def test_public_pages_are_estonian(app, db):
    client = app.test_client()
    problems: list[str] = []

    class Anonymous:
        http = client

        def get(self, url):
            return client.get(url)

    check_page(Anonymous(), "/login/", ["Logi sisse", "Kasutajanimi", "Parool"], problems)
    check_page(Anonymous(), "/", ["Taotle kasutajakontot", "Logi sisse"], problems)
    check_page(Anonymous(), "/taotlus/form", ["Taotle kasutajakontot", "Isikukood", "Põhjendus"], problems)
    assert not problems, "\n".join(problems)


def test_dialogs_and_scripts_are_estonian(world, login):
    """FAB's confirm dialog and hard-coded JavaScript strings come from our template overrides."""
    client = login("ab1")
    _reset_locale(client)
    html = client.get("/examsessionview/list/").get_data(as_text=True)
    dialog = html[html.index('id="modal-confirm"'):]
    assert ">Loobu<" in dialog and "Palun kinnitage" in dialog
    assert "Kas soovite selle kirje kindlasti kustutada?" in html
    assert '"noRowSelected": "\\u00dchtegi rida pole valitud"' in html
    assert '"select": "Valige v\\u00e4\\u00e4rtus"' in html
    assert '"datePlaceholder": "PP.KK.AAAA"' in html


def test_error_page_template_is_estonian(app, db):
    from flask import render_template

    with app.test_request_context("/missing"):
        from flask import session

        session["locale"] = "et"
        html = render_template("appbuilder/error.html", code=404, appbuilder=app.appbuilder,
                               base_template=app.appbuilder.base_template)
    assert "Lehte ei leitud" in html and "Avalehele" in html and "Not Found" not in html


# --- English on request ------------------------------------------------------------------------------

def test_language_switch_to_english(world, login):
    client = login("ab1")
    _reset_locale(client)
    assert "Eksamisessioonid" in client.get("/").get_data(as_text=True)
    response = client.get("/lang/en")
    assert response.status_code == 302
    html = client.get("/examsessionview/list/").get_data(as_text=True)
    parsed = page_text(html)
    text = "\n".join(parsed.ui)
    assert parsed.lang == "en"
    for english in ["Exams", "Exam sessions", "Students", "Master data", "Logout", "Search", "Record Count",
                    "Occupational standard", "Starts at"]:
        assert english in text, english
    for estonian in ["Eksamisessioonid", "Logi välja", "Kirjeid", "Otsi"]:
        assert estonian not in text, estonian
    dialog = html[html.index('id="modal-confirm"'):]
    assert ">Cancel<" in dialog
    client.get("/lang/et")
    assert "Eksamisessioonid" in client.get("/").get_data(as_text=True)


def test_templates_follow_a_language_changed_within_a_request(app, db):
    """The templates' catalogue is found once per request and dropped when the language changes:
    an e-mail in another language (force_locale) and the page after it each get their own."""
    from flask import render_template_string
    from flask_babel import force_locale

    page = "{{ _('Yes') }} / {{ _('Search') }}"
    with app.test_request_context("/"):
        assert render_template_string(page) == "Jah / Otsi"
        with force_locale("en"):
            assert render_template_string(page) == "Yes / Search"
        assert render_template_string(page) == "Jah / Otsi"


@pytest.mark.parametrize("lang", ["et", "en"])
def test_flask_appbuilder_translations_do_not_override_ours(app, lang):
    """FAB puts its own translations folder first; ours (later) must win, and FAB has neither
    Estonian nor English, so nothing of another language can leak in."""
    directories = app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")
    assert os.path.samefile(directories[-1], TRANSLATIONS)
    for directory in directories[:-1]:
        assert not (Path(directory) / lang).exists(), f"{directory} has a {lang} catalogue that could override ours"


# --- dates in forms (a real browser: the pickers are JavaScript) ----------------------------------------

def test_form_dates_are_shown_and_typed_as_dd_mm_yyyy(app, world, db):
    """Edit form: dates show as DD.MM.YYYY, times in Tallinn time, the calendar is Estonian; a
    typed DD.MM.YYYY date and the untouched times are saved correctly."""
    import datetime as dt

    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("/usr/bin/chromium is missing (scripts/test installs it)")
    from app import models as m
    from tests.browser_server import serve
    from tests.factories import PASSWORD

    x1 = world.ids["x1"]
    with serve(app) as base, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"], headless=True)
        page = browser.new_context(locale="en-US", base_url=base).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto("/login/")
        page.locator("input[name=username]").fill("ab1")
        page.locator("input[name=password]").fill(PASSWORD)
        with page.expect_navigation():
            page.locator("form[name=login] [type=submit]").click()
        page.goto(f"/examsessionview/edit/{x1}")
        assert page.input_value("#starts_at") == "10.06.2026 12:00"  # 09:00 UTC is noon in Tallinn
        assert page.input_value("#ends_at") == "10.06.2026 18:00"
        assert page.input_value("#registration_deadline") == "20.05.2026"
        assert page.get_attribute("#registration_deadline", "placeholder") == "PP.KK.AAAA"
        page.click("#registration_deadline")
        page.locator(".datepicker-days").wait_for()
        header = page.inner_text(".datepicker-days thead")
        assert "mai 2026" in header and re.search(r"E\s+T\s+K\s+N\s+R\s+L\s+P", header), header
        page.keyboard.press("Escape")
        page.fill("#registration_deadline", "25.05.2026")
        with page.expect_navigation():
            page.click("form button[type=submit]")
        body = page.inner_text("body")
        browser.close()
    assert "Kirje on muudetud" in body, body[:1000]
    assert not errors, errors
    db.expire_all()
    session = db.get(m.ExamSession, x1)
    assert session.registration_deadline == dt.date(2026, 5, 25)
    assert session.starts_at.astimezone(dt.UTC) == dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.UTC)
    assert session.ends_at.astimezone(dt.UTC) == dt.datetime(2026, 6, 10, 15, 0, tzinfo=dt.UTC)
