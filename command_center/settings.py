"""Settings, read from the environment only.

Two profiles, chosen by which variables are set:
- standalone: no DATABASE_URL, REDIS_URL or MQTT_URL. One process (`manage.py runcenter`), SQLite,
  in-memory channel layer, tasks run inline, embedded MQTT broker.
- district: PostgreSQL, Redis (Celery broker, channel layer, cache) and an external MQTT broker,
  one process per role (see README).
Each variable falls back on its own, so a developer may set only DATABASE_URL, for example.
"""

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
# Local state of the standalone profile: SQLite file, generated secret key, broker data.
VAR_DIR = Path(os.environ.get("DCC_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
MQTT_URL = os.environ.get("MQTT_URL", "")
STANDALONE = not (DATABASE_URL or REDIS_URL or MQTT_URL)
PROFILE = "standalone" if STANDALONE else "district"

DEBUG = env_bool("DEBUG")


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "")
    if key:
        return key
    if not STANDALONE:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set in the district profile (DATABASE_URL etc. are set)."
        )
    # Standalone: generate once, keep it beside the SQLite database, never in the repository.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

# Personal data (accounts/privacy.py): Fernet keys, newest first, comma-separated (rotation: docs/deploy.md),
# and the key of the HMAC that makes ID numbers searchable. Unset: derived from SECRET_KEY, with a warning.
PERSONAL_DATA_KEY = os.environ.get("PERSONAL_DATA_KEY", "")
PERSONAL_DATA_HASH_KEY = os.environ.get("PERSONAL_DATA_HASH_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",
    # Not "django.contrib.admin": its autodiscover imports leaflet.admin, which needs GeoDjango's GDAL.
    # command_center.apps discovers every other app's admin module (we keep geometry in JSON + shapely).
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "leaflet",
    "csp",
    "command_center",
    "accounts",
    "grids",
    "screen",
    "demo",
    "devices",
    "cases",
    "residents",
    "people",
    "stats",
    "mobile",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "command_center.urls"
WSGI_APPLICATION = "command_center.wsgi.application"
ASGI_APPLICATION = "command_center.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # The hot rows are in memory: the default random_page_cost (4, for spinning disks) made
        # PostgreSQL scan all sensor points to lock a few of them by id.
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c random_page_cost=1.1"
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # SQLITE_PATH lets the test suite's child processes (workers, listeners) open the test database.
    sqlite_path = Path(os.environ.get("SQLITE_PATH") or VAR_DIR / "db.sqlite3")
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(sqlite_path),
            # A file, as in production: an in-memory test database shares its cache between threads and
            # then fails at once with "table is locked" where the file waits for the lock.
            "TEST": {"NAME": str(sqlite_path.with_name("test_" + sqlite_path.name))},
            # One process with several threads writes: wait for the lock, take it at BEGIN, use WAL.
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# Only for tests and benchmarks of message loss: the core Redis layer with this tiny capacity drops
# messages, which the wall screen must recover from by reloading its snapshot.
CHANNEL_LAYER_CAPACITY = env_int("CHANNEL_LAYER_CAPACITY", 0)
# Redis pub/sub ignores the database number: channels named after it keep two deployments (or two test
# runs) on one Redis server from receiving each other's events.
_redis_db = urlsplit(REDIS_URL).path.strip("/") or "0"
CHANNEL_LAYER_PREFIX = os.environ.get("CHANNEL_LAYER_PREFIX") or f"asgi{_redis_db}"
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "command_center.cache.ReusedClientRedisCache", "LOCATION": REDIS_URL}}
    # The pub/sub layer: the core Redis layer drops frames under load.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": CHANNEL_LAYER_PREFIX},
        }
    }
    if CHANNEL_LAYER_CAPACITY:
        CHANNEL_LAYERS["default"] = {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "capacity": CHANNEL_LAYER_CAPACITY,
                "prefix": CHANNEL_LAYER_PREFIX,
            },
        }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Celery (command_center/celery.py reads every CELERY_* name here).
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL  # standalone: tasks run inline, in the caller's process
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "cases"
# The first matching pattern wins: the specific ones go first.
CELERY_TASK_ROUTES = {
    "cases.tasks.send_notification*": {"queue": "notify"},
    "*.tasks.*report*": {"queue": "reports"},
    # Case workflows must not hold up ingest.
    "devices.tasks.open_alarm_cases": {"queue": "cases"},
    "devices.tasks.*": {"queue": "ingest"},
    "cases.tasks.*": {"queue": "cases"},
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery closes the DB connection after each task unless told to reuse it.
CELERY_DB_REUSE_MAX = 1000

# Periodic jobs: one list for `celery beat` (district) and the timer thread of `runcenter` (standalone).
# (task name, every N seconds). Apps add their sweeps here.
PERIODIC_JOBS: list[tuple[str, int]] = [
    ("devices.tasks.sweep_inbox", 30),
    ("devices.tasks.sweep_offline_points", 60),
    ("cases.tasks.sweep_deadlines", 60),
    ("devices.tasks.purge_old_rows", 3600),
]
CELERY_BEAT_SCHEDULE = {task: {"task": task, "schedule": float(every)} for task, every in PERIODIC_JOBS}


# Retention (devices.tasks.purge_old_rows): readings, and processed inbox rows (the dedup window).
READINGS_RETENTION_DAYS = env_int("READINGS_RETENTION_DAYS", 180)
INBOX_RETENTION_DAYS = env_int("INBOX_RETENTION_DAYS", 7)


def _mqtt_settings(url: str) -> dict[str, Any]:
    if not url:
        return {
            "host": "127.0.0.1",
            "port": env_int("MQTT_EMBEDDED_PORT", 1883),
            "username": "",
            "password": "",
        }
    parts = urlsplit(url)
    if parts.scheme not in {"mqtt", "tcp"}:
        raise ImproperlyConfigured(f"MQTT_URL must look like mqtt://user:password@host:1883, got {url!r}")
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 1883,
        "username": parts.username or "",
        "password": parts.password or "",
    }


MQTT = {
    **_mqtt_settings(MQTT_URL),
    "embedded": not MQTT_URL,
    "client_id": os.environ.get("MQTT_CLIENT_ID", "dcc-ingest-1"),
    # All of sensors/, not only sensors/+/data: a message on another topic there becomes a dead letter.
    "topic": "sensors/#",
    "shared_group": "ingest",
}

# Login lockout (command_center/auth.py), within a window from the first failure: N failures for one
# username from one client address lock that username for that address only; M failures from one address,
# whatever the usernames, lock the address. An administrator unlocks a username in the user admin.
LOGIN_LOCKOUT_ATTEMPTS = env_int("LOGIN_LOCKOUT_ATTEMPTS", 5)
LOGIN_LOCKOUT_ADDRESS_ATTEMPTS = env_int("LOGIN_LOCKOUT_ADDRESS_ATTEMPTS", 20)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60)


# Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For names the client, e.g.
# the nginx of the district profile. Empty (the default): REMOTE_ADDR is the client, the header is ignored.
def _networks(name: str) -> list[str]:
    try:
        return [str(ipaddress.ip_network(entry, strict=False)) for entry in env_list(name, "")]
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from exc


TRUSTED_PROXIES = _networks("TRUSTED_PROXIES")
AUTHENTICATION_BACKENDS = ["accounts.auth.LockoutModelBackend"]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"  # accounts.views.home: each role's own page (LANDING_PAGES)
LOGOUT_REDIRECT_URL = "/accounts/login/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Seconds an API token's user is kept in the cache (accounts/api/authentication.py); 0: no cache.
API_TOKEN_CACHE_SECONDS = env_int("API_TOKEN_CACHE_SECONDS", 60)

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": [
        "command_center.api.renderers.FastJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.authentication.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Signed in; a street official reads only (accounts/api/permissions.py).
    "DEFAULT_PERMISSION_CLASSES": ["accounts.api.permissions.StaffMember"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "command_center.api.pagination.CursorPage",
    # Documents every status an operation can answer (command_center/api/schema.py).
    "DEFAULT_SCHEMA_CLASS": "accounts.api.schema.ApiSchema",
    "EXCEPTION_HANDLER": "command_center.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "District Command Center API",
    "DESCRIPTION": "街道综合指挥中心 API: sensors, alarms, cases, grids. Token: POST /api/v1/auth/token/.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the sidecar package: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name with another app's ("status", "source"): named explicitly.
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "cases.models.Case.Status",
        "CaseSourceEnum": "cases.models.Case.Source",
        "CaseRejectReasonEnum": "cases.models.Case.RejectReason",
        "SensorPointStatusEnum": "devices.models.SensorPoint.Status",
    },
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Hashed, compressed file names need `collectstatic` first (make run, runcenter and the image do it);
# tests and the processes they start use plain names served from the finders (STATIC_MANIFEST=0).
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", default=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or not STATIC_MANIFEST
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

# Map: OpenStreetMap tiles by default; MAP_TILES_URL may name a Chinese provider (GCJ-02, see docs).
MAP_TILES_URL = os.environ.get("MAP_TILES_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILES_CRS = os.environ.get("MAP_TILES_CRS", "wgs84")  # wgs84 or gcj02
LEAFLET_CONFIG: dict[str, Any] = {
    "DEFAULT_CENTER": (31.27, 121.48),
    "DEFAULT_ZOOM": 15,
    "TILES": [("OpenStreetMap", MAP_TILES_URL, {"attribution": "© OpenStreetMap", "maxZoom": 19})],
    "RESET_VIEW": False,
}


def _tile_source(url: str) -> list[str]:
    """The origin the map's tiles come from, as a CSP source: a placeholder in the first label of the
    host ({s}, webrd0{s}) becomes the wildcard CSP allows there (*.is.autonavi.com)."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return []
    labels = parts.netloc.split(".")
    if "{" in labels[0]:
        labels[0] = "*"
    if any("{" in label for label in labels):
        return [f"{parts.scheme}:"]  # a placeholder deeper in the host: any host of that scheme
    return [f"{parts.scheme}://{'.'.join(labels)}"]


# Content-Security-Policy (django-csp) on every page, the admin and the API docs included: scripts only
# from files of this site (no inline script, no eval), so a user string that slipped into the DOM as
# HTML still runs nothing. Styles may be inline: Leaflet, ECharts and the admin write style attributes.
CONTENT_SECURITY_POLICY: dict[str, Any] = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:", *_tile_source(MAP_TILES_URL)],
        "connect-src": [SELF],  # 'self' covers the page's own ws:// and wss:// (CSP 3)
        "font-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# HTTPS: on in production behind the reverse proxy that terminates TLS (docs/deploy.md).
HTTPS = env_bool("HTTPS")
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = env_list("SILENCED_SYSTEM_CHECKS", "")

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Celery's line per task ("... succeeded in 0.01s"), ~20 a second under the simulator: with
        # LOG_LEVEL=DEBUG only. Failures (ERROR) still show; command_center.periodic logs the throughput
        # once a minute instead.
        "celery.app.trace": {"level": "INFO" if LOG_LEVEL == "DEBUG" else "WARNING"},
        "amqtt": {"level": "WARNING"},
        "transitions": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        "django.channels.server": {"level": "WARNING"},
    },
}
