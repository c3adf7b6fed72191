"""Every setting comes from the environment; defaults are safe for a local demo.

Secrets are never stored in the repository: when SECRET_KEY is not set, a random key is
generated once into ``instance/secret_key`` (git-ignored) so that sessions survive restarts.
"""
import os
import secrets
from pathlib import Path

from flask_appbuilder.security.manager import AUTH_DB

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("EKSAMIHALDUS_INSTANCE", BASE_DIR / "instance"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
SQLALCHEMY_DATABASE_URI = os.environ.get(
    "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'eksamihaldus.db'}"
)
SQLALCHEMY_TRACK_MODIFICATIONS = False
REDIS_URL = os.environ.get("REDIS_URL", "")

APP_NAME = "Eksamihaldus"
APP_THEME = ""
FAB_BASE_TEMPLATE = "appbuilder/baselayout.html"
# Schema comes from migrations and permissions from `flask eksamihaldus sync-roles`.
FAB_UPDATE_PERMS = _env_bool("FAB_UPDATE_PERMS", False)
FAB_CREATE_DB = False
FAB_API_SWAGGER_UI = True
# FAB's menu as JSON, for its React front ends: unused here, and its OpenAPI entry is wrong.
FAB_ADD_MENU_API = False
FAB_ADD_SECURITY_API = False
FAB_ROLES_SYNC_AT_STARTUP = False

AUTH_TYPE = AUTH_DB
AUTH_USER_REGISTRATION = False
AUTH_ROLE_ADMIN = "Admin"
AUTH_ROLE_PUBLIC = "Public"

# Estonian first, English second.
BABEL_DEFAULT_LOCALE = "et"
BABEL_DEFAULT_TIMEZONE = "Europe/Tallinn"
BABEL_DEFAULT_FOLDER = str(BASE_DIR / "translations")
BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
LANGUAGES = {
    "et": {"flag": "ee", "name": "Eesti"},
    "en": {"flag": "gb", "name": "English"},
}
TIMEZONE = "Europe/Tallinn"
DATE_FORMAT = "%d.%m.%Y"
DATETIME_FORMAT = "%d.%m.%Y %H:%M"

# Hardening
WTF_CSRF_ENABLED = True
WTF_CSRF_TIME_LIMIT = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
PERMANENT_SESSION_LIFETIME = 8 * 3600
RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
AUTH_RATE_LIMITED = True
AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "10 per minute")
RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", REDIS_URL or "memory://")
RATELIMIT_HEADERS_ENABLED = True
JWT_ACCESS_TOKEN_EXPIRES = 3600

# Data access events are written for these personal-data screens and endpoints.
AUDIT_ENABLED = True

PAGE_SIZE = 25
FAB_API_MAX_PAGE_SIZE = 100

# X-Road (contracts/xroad.md): this system's client identity, the registers' service identities
# and the security server URLs (in development: `python -m app.simulators --register both`).
XROAD_CLIENT = os.environ.get("XROAD_CLIENT", "EE/COM/90006414/eksamihaldus")
EHIS_XROAD_SERVICE = os.environ.get("EHIS_XROAD_SERVICE", "EE/GOV/70000740/ehis")
KUTSEREGISTER_XROAD_SERVICE = os.environ.get("KUTSEREGISTER_XROAD_SERVICE", "EE/COM/90006414/kutseregister")
EHIS_XROAD_URL = os.environ.get("EHIS_XROAD_URL", "http://127.0.0.1:8081/ehis")
KUTSEREGISTER_XROAD_URL = os.environ.get("KUTSEREGISTER_XROAD_URL", "http://127.0.0.1:8082/kutseregister")
XROAD_CONNECT_TIMEOUT = float(os.environ.get("XROAD_CONNECT_TIMEOUT", "5"))
XROAD_READ_TIMEOUT = float(os.environ.get("XROAD_READ_TIMEOUT", "60"))
XROAD_RETRIES = int(os.environ.get("XROAD_RETRIES", "3"))  # retries after the first attempt
XROAD_BACKOFF = float(os.environ.get("XROAD_BACKOFF", "0.5"))  # seconds; doubles per retry
# userId of messages sent by unattended jobs (a person's request sends "EE" + their isikukood).
XROAD_SYSTEM_USER = os.environ.get("XROAD_SYSTEM_USER", "EE90006414")

# Background jobs (README, "Background jobs"). With REDIS_URL they run on RQ workers
# (`flask eksamihaldus worker`), else in a thread of the web process.
JOB_TIMEOUT = int(os.environ.get("JOB_TIMEOUT", str(3 * 3600)))  # seconds; RQ kills a job after it
JOB_RETRY_INTERVALS = os.environ.get("JOB_RETRY_INTERVALS", "30,120,300")  # seconds between RQ retries
JOB_STALE_AFTER = float(os.environ.get("JOB_STALE_AFTER", "600"))  # seconds without a heartbeat
# `flask eksamihaldus scheduler`: kind@HH:MM (daily, TIMEZONE) or kind@*/Nm / kind@*/Nh; empty: none.
JOB_SCHEDULE = os.environ.get(
    "JOB_SCHEDULE",
    "register_sync@02:00, ehis_sync@02:30, graduate_import@03:00, reconciliation@04:00, register_export@*/15m, "
    "statistics@*/30m, open_data@05:30",
)
JOB_SCHEDULER_TICK = float(os.environ.get("JOB_SCHEDULER_TICK", "30"))  # seconds
EXPORT_CONCURRENCY = int(os.environ.get("EXPORT_CONCURRENCY", "8"))  # parallel Kutseregister calls
# taotluseViide = <prefix>-<certificate id>-<random>; one prefix per installation.
REGISTER_REFERENCE_PREFIX = os.environ.get("REGISTER_REFERENCE_PREFIX", "EKS")

# Statistics and exports (app.services.statistics, app.services.exports). The dashboard reads a
# summary table that the "statistics" job rebuilds (JOB_SCHEDULE); open data is rebuilt by "open_data".
OPEN_DATA_MIN_COUNT = int(os.environ.get("OPEN_DATA_MIN_COUNT", "5"))  # smallest count published or shown
EXPORT_ASYNC_THRESHOLD = int(os.environ.get("EXPORT_ASYNC_THRESHOLD", "10000"))  # rows; more go to a job
# Where background exports are written; web and worker processes must share it.
EXPORT_DIR = os.environ.get("EXPORT_DIR", str(INSTANCE_DIR / "exports"))
