"""Settings read from the environment, with safe defaults for development.

Every setting a deployment may change is a `MARAC_*` environment variable; the
README lists them. Production refuses to start with the development secret key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"
DEV_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"


class ConfigError(RuntimeError):
    """Raised when the configuration is unsafe for the chosen environment."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from exc


def default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'marac.db'}"


@dataclass(frozen=True)
class Settings:
    """The application's settings; `to_flask()` turns them into Flask config keys."""

    env: str = "development"
    database_url: str = field(default_factory=default_database_url)
    # The schema owner's URL for `marac db upgrade`; empty means database_url (see README).
    migration_database_url: str = ""
    secret_key: str = DEV_SECRET_KEY
    council_name: str = "Ashbrook Borough Council"
    service_name: str = "Community MARAC"
    session_timeout_minutes: int = 30
    lockout_attempts: int = 5
    lockout_minutes: int = 15
    cookie_secure: bool = False
    phase: str = "Beta"
    support_email: str = "community.safety@ashbrook.example"
    # Email (marac.notify): outbox (stored, shown to admins) | smtp | notify (GOV.UK Notify).
    notify_backend: str = "outbox"
    base_url: str = "http://localhost:5000"
    mail_from: str = "marac@ashbrook.example"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: str = ""
    notify_api_key: str = ""
    notify_template_id: str = ""
    notify_base_url: str = "https://api.notifications.service.gov.uk"
    # Warning before the idle sign-out (seconds before it), shown by static/js/idle-warning.js.
    session_warning_seconds: int = 120
    # Rate limits (marac.ratelimit): memory:// keeps counts per process; production uses Redis.
    ratelimit_enabled: bool = True
    ratelimit_storage_url: str = "memory://"
    ratelimit_key_prefix: str = "marac"
    ratelimit_per_address: str = "10 per minute; 100 per hour"
    ratelimit_per_account: str = "5 per minute; 30 per hour"
    # Calls per API client (marac.api), counted in the same storage.
    ratelimit_api: str = "120 per minute"
    # Optional k-anonymity range check of new passwords against a breached-password API.
    breached_password_check: bool = False
    breached_password_api_url: str = "https://api.pwnedpasswords.com/range/"
    # Proxy hops in front of the app whose X-Forwarded-For/-Proto we believe; 0 = none.
    trusted_proxies: int = 0
    # The job queue (marac.jobs, Huey): sqlite:///path (the embedded default, under
    # instance/), redis://host:port/db (several workers on several hosts), or "immediate"
    # (run each job at once in the process that asks: tests and one-off commands).
    queue_url: str = field(default_factory=lambda: f"sqlite:///{INSTANCE_DIR / 'queue.db'}")
    queue_name: str = "marac"  # keys in Redis start with it: several services may share one
    # A running job whose worker has not reported for this long is sent again.
    job_stale_seconds: int = 120
    # Where issued PDFs, packs and attachments live (marac.storage): file:///folder (the
    # default, under instance/) or s3://bucket/prefix with the s3_* settings below.
    storage_url: str = field(default_factory=lambda: f"file://{INSTANCE_DIR / 'storage'}")
    s3_endpoint_url: str = ""  # empty: AWS itself; set for another S3-compatible store
    s3_region: str = "eu-west-2"
    # ClamAV's daemon for attachments: a unix socket path or tcp://host:port; empty: none
    # (uploads stay quarantined, undownloadable, until a scanner is configured).
    clamd_address: str = ""
    upload_max_bytes: int = 10 * 1024 * 1024

    @property
    def migration_url(self) -> str:
        """Migrations run as the schema owner; the app itself may run as a lesser role."""
        return self.migration_database_url or self.database_url

    # Encrypts identity providers' client secrets at rest; empty: derived from secret_key.
    sso_key: str = ""

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        mode = env.get("MARAC_ENV", "development").strip().lower()
        if mode not in {"development", "production", "test"}:
            raise ConfigError("MARAC_ENV must be development, production or test")
        settings = cls(
            env=mode,
            database_url=env.get("MARAC_DATABASE_URL") or default_database_url(),
            migration_database_url=env.get("MARAC_MIGRATION_DATABASE_URL") or "",
            secret_key=env.get("MARAC_SECRET_KEY") or DEV_SECRET_KEY,
            council_name=env.get("MARAC_COUNCIL_NAME") or cls.council_name,
            service_name=env.get("MARAC_SERVICE_NAME") or cls.service_name,
            session_timeout_minutes=_int(env, "MARAC_SESSION_TIMEOUT_MINUTES", 30),
            lockout_attempts=_int(env, "MARAC_LOCKOUT_ATTEMPTS", 5),
            lockout_minutes=_int(env, "MARAC_LOCKOUT_MINUTES", 15),
            cookie_secure=_bool(env.get("MARAC_COOKIE_SECURE"), mode == "production"),
            phase=env.get("MARAC_PHASE") or cls.phase,
            support_email=env.get("MARAC_SUPPORT_EMAIL") or cls.support_email,
            notify_backend=(env.get("MARAC_NOTIFY_BACKEND") or "outbox").strip().lower(),
            base_url=(env.get("MARAC_BASE_URL") or cls.base_url).rstrip("/"),
            mail_from=env.get("MARAC_MAIL_FROM") or cls.mail_from,
            smtp_host=env.get("MARAC_SMTP_HOST") or cls.smtp_host,
            smtp_port=_int(env, "MARAC_SMTP_PORT", 25),
            smtp_starttls=_bool(env.get("MARAC_SMTP_STARTTLS"), False),
            smtp_user=env.get("MARAC_SMTP_USER") or "",
            smtp_password=env.get("MARAC_SMTP_PASSWORD") or "",
            notify_api_key=env.get("MARAC_NOTIFY_API_KEY") or "",
            notify_template_id=env.get("MARAC_NOTIFY_TEMPLATE_ID") or "",
            notify_base_url=env.get("MARAC_NOTIFY_BASE_URL") or cls.notify_base_url,
            trusted_proxies=_int(env, "MARAC_TRUSTED_PROXIES", 0),
            session_warning_seconds=_int(env, "MARAC_SESSION_WARNING_SECONDS", 120),
            ratelimit_enabled=_bool(env.get("MARAC_RATELIMIT_ENABLED"), True),
            ratelimit_storage_url=env.get("MARAC_RATELIMIT_STORAGE_URL") or "memory://",
            ratelimit_key_prefix=env.get("MARAC_RATELIMIT_KEY_PREFIX") or "marac",
            ratelimit_per_address=env.get("MARAC_RATELIMIT_PER_ADDRESS")
            or cls.ratelimit_per_address,
            ratelimit_per_account=env.get("MARAC_RATELIMIT_PER_ACCOUNT")
            or cls.ratelimit_per_account,
            ratelimit_api=env.get("MARAC_RATELIMIT_API") or cls.ratelimit_api,
            breached_password_check=_bool(env.get("MARAC_BREACHED_PASSWORD_CHECK"), False),
            breached_password_api_url=env.get("MARAC_BREACHED_PASSWORD_API_URL")
            or cls.breached_password_api_url,
            sso_key=env.get("MARAC_SSO_KEY") or "",
            queue_url=env.get("MARAC_QUEUE_URL") or f"sqlite:///{INSTANCE_DIR / 'queue.db'}",
            queue_name=env.get("MARAC_QUEUE_NAME") or cls.queue_name,
            job_stale_seconds=_int(env, "MARAC_JOB_STALE_SECONDS", 120),
            storage_url=env.get("MARAC_STORAGE_URL") or f"file://{INSTANCE_DIR / 'storage'}",
            s3_endpoint_url=env.get("MARAC_S3_ENDPOINT_URL") or "",
            s3_region=env.get("MARAC_S3_REGION") or cls.s3_region,
            clamd_address=env.get("MARAC_CLAMD_ADDRESS") or "",
            upload_max_bytes=_int(env, "MARAC_UPLOAD_MAX_BYTES", 10 * 1024 * 1024),
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse configurations that would be unsafe in production."""
        weak_key = self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32
        if self.is_production and weak_key:
            raise ConfigError(
                "MARAC_SECRET_KEY must be set to a random value of at least 32 characters "
                "in production (for example: python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))')"
            )
        if self.session_timeout_minutes < 1:
            raise ConfigError("MARAC_SESSION_TIMEOUT_MINUTES must be at least 1")
        if self.session_warning_seconds < 1:
            # More than the timeout is allowed: the warning then shows as the page loads.
            raise ConfigError("MARAC_SESSION_WARNING_SECONDS must be at least 1")
        from limits import parse_many

        for name, value in (
            ("MARAC_RATELIMIT_PER_ADDRESS", self.ratelimit_per_address),
            ("MARAC_RATELIMIT_PER_ACCOUNT", self.ratelimit_per_account),
            ("MARAC_RATELIMIT_API", self.ratelimit_api),
        ):
            try:
                parse_many(value)
            except ValueError as exc:
                raise ConfigError(
                    f"{name} must be limits such as '10 per minute; 100 per hour', not {value!r}"
                ) from exc
        if self.lockout_attempts < 1:
            raise ConfigError("MARAC_LOCKOUT_ATTEMPTS must be at least 1")
        if self.trusted_proxies < 0:
            raise ConfigError("MARAC_TRUSTED_PROXIES must be 0 (no proxy) or more")
        if not self.queue_url.startswith(("sqlite:///", "redis://", "rediss://", "immediate")):
            raise ConfigError(
                "MARAC_QUEUE_URL must be sqlite:///path, redis://host:port/db or immediate"
            )
        if not self.storage_url.startswith(("file://", "s3://")):
            raise ConfigError("MARAC_STORAGE_URL must be file:///folder or s3://bucket/prefix")
        if self.job_stale_seconds < 5:
            raise ConfigError("MARAC_JOB_STALE_SECONDS must be at least 5")
        if self.upload_max_bytes < 1:
            raise ConfigError("MARAC_UPLOAD_MAX_BYTES must be at least 1")
        if self.notify_backend not in {"outbox", "smtp", "notify"}:
            raise ConfigError("MARAC_NOTIFY_BACKEND must be outbox, smtp or notify")
        if self.notify_backend == "notify" and not (
            self.notify_api_key and self.notify_template_id
        ):
            raise ConfigError(
                "MARAC_NOTIFY_BACKEND=notify needs MARAC_NOTIFY_API_KEY and "
                "MARAC_NOTIFY_TEMPLATE_ID"
            )

    def to_flask(self) -> dict[str, object]:
        from datetime import timedelta

        return {
            "MARAC_SETTINGS": self,
            "ENV_NAME": self.env,
            "DEBUG": self.env == "development",
            "TESTING": self.env == "test",
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_URL": self.database_url,
            "MIGRATION_URL": self.migration_url,
            "SESSION_COOKIE_SECURE": self.cookie_secure,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_NAME": "marac_session",
            "REMEMBER_COOKIE_SECURE": self.cookie_secure,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "PERMANENT_SESSION_LIFETIME": timedelta(minutes=self.session_timeout_minutes),
            "WTF_CSRF_TIME_LIMIT": None,
            "MAX_CONTENT_LENGTH": self.upload_max_bytes + 1024 * 1024,  # the form around it
        }
