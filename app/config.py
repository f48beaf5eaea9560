"""Configuration defaults. Every key can be overridden by a ``HELPLINE_<KEY>``
environment variable (``app.config.from_prefixed_env("HELPLINE")``), and by the
mapping given to :func:`app.create_app`."""

# Where data lives. ``None`` means "a SQLite file in the instance folder".
DATABASE_URL = None
# PostgreSQL only: connections kept open per process for reuse (0: a new
# connection per request). Size it at least at the threads per process.
DB_POOL_SIZE = 20
# SQLite only: each web thread keeps its connection open between requests
# (False: connect, with its PRAGMAs, and close, with a WAL checkpoint, around
# every request). See docs/operations.md, "SQLite: connections and writers".
SQLITE_KEEP_CONNECTIONS = True
# Task queue: ``None`` means SqliteHuey in the instance folder; ``redis://...``
# selects RedisHuey; ``memory`` is used by tests with ``HUEY_IMMEDIATE``.
HUEY_URL = None
HUEY_IMMEDIATE = False
# Live events: ``None`` means in-process; ``redis://...`` uses Redis pub/sub.
EVENTS_URL = None
EVENTS_CHANNEL = None  # default: "<REDIS_PREFIX>:events"
# Every Redis key and pub/sub channel of this deployment starts with this
# prefix (queue, events, rate limits), so deployments can share one Redis.
# ``None``: "helpline:" + a short hash of DATABASE_URL (without its password),
# the same on every host of one deployment.
REDIS_PREFIX = None

SECRET_KEY = None  # generated into the instance folder on first run

# Plugins (DESIGN.md §2).
DISABLED_PLUGINS = ""  # comma separated names never loaded
SAFE_MODE = False  # load first-party plugins only (those of the helpline distribution)
STRICT_PLUGINS = False  # a broken plugin or misspelt hook fails startup
# Load only these entry points (comma separated; the core always loads): a
# plugin's test suite isolates itself from unrelated installed plugins.
ONLY_PLUGINS = ""

# A web process whose core schema is behind answers 503 "run helpline migrate"
# and asks the database again at most this often (seconds), so it recovers
# after the migration without a restart.
SCHEMA_CHECK_SECONDS = 2
# ``helpline streams``: worker threads for the streams' database work (so at
# most this many database connections per stream server, however many streams).
STREAMS_DB_THREADS = 8
LOG_LEVEL = "INFO"

# Embedded quickstart conveniences.
AUTO_MIGRATE = False
DEMO_DATA = False

# Bounds on what a client may send.
MAX_CONTENT_LENGTH = 25 * 1024 * 1024
MAX_MESSAGE_TEXT = 64 * 1024
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# File storage (attachments, raw mail): "local" (ATTACHMENTS_DIR, default
# <instance>/attachments; one host only), "directory" (STORAGE_DIRECTORY, a
# path every host mounts) or "s3" (an S3-compatible bucket; the s3 extra).
STORAGE = "local"
ATTACHMENTS_DIR = None
STORAGE_DIRECTORY = None
STORAGE_S3_BUCKET = None
STORAGE_S3_ENDPOINT_URL = None  # e.g. http://minio.internal:9000; None for AWS
STORAGE_S3_REGION = None
STORAGE_S3_PREFIX = ""  # key prefix inside the bucket, e.g. "shop-a/"
STORAGE_S3_ACCESS_KEY_ID = None  # None: boto3's usual sources (AWS_* variables, instance role)
STORAGE_S3_SECRET_ACCESS_KEY = None

# Outbox retries: attempt n waits OUTBOX_BACKOFF_SECONDS * 2**(n-1).
OUTBOX_MAX_ATTEMPTS = 6
OUTBOX_BACKOFF_SECONDS = 30
# A worker's claim on a reply lasts this long: if the worker dies mid-send the
# reply is sent again (with the same Message-ID) once it runs out. Keep it above
# the slowest provider call (SMTP timeouts included).
OUTBOX_LEASE_SECONDS = 300

# How long an automatic close or assignment can be undone (docs/rules.md).
AUTOMATION_UNDO_HOURS = 24

# How long a ticket merge can be undone (docs/user-guide.md).
MERGE_UNDO_HOURS = 24
# How long an API Idempotency-Key is remembered (app/services/idempotency.py).
IDEMPOTENCY_KEY_HOURS = 24

# Presence: a heartbeat older than this makes an agent count as offline.
PRESENCE_TTL_SECONDS = 90

# "low" gives cheap argon2 parameters (test suites only).
PASSWORD_HASH_COST = "default"

# Behind a reverse proxy: how many proxies set X-Forwarded-For/-Proto/-Host.
# Rate limits key on the client address, so set this when deploying behind
# one (0 = trust no forwarding headers).
PROXY_HOPS = 0

BABEL_DEFAULT_LOCALE = "en"
BABEL_DEFAULT_TIMEZONE = "UTC"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Login sessions (server-side, table agent_session): a session ends after
# this long without a request, and at the latest this long after login.
SESSION_IDLE_MINUTES = 240
SESSION_MAX_HOURS = 24
# Where sessions are kept: ``None`` means the database (table agent_session);
# ``redis://...`` keeps them in Redis under "<REDIS_PREFIX>:sessions:".
SESSION_URL = None
# What every response's Content-Security-Policy says (app.security). Images
# from anywhere: an agent may choose to show a customer mail's remote images.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src * data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
