"""Community MARAC: the Flask application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, send_from_directory
from flask_login import AnonymousUserMixin, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from marac.config import PROJECT_ROOT, Settings
from marac.operations import OperationError

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


ERROR_PAGES = {
    400: "errors/400.html",
    403: "errors/403.html",
    404: "errors/404.html",
    409: "errors/409.html",
    413: "errors/413.html",  # a body over MAX_CONTENT_LENGTH (an upload too large)
}
# Responses that may carry case or report data.
NO_STORE_TYPES = {"text/html", "text/csv", "application/pdf"}


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    """Build the app from `settings` (default: the environment) plus test overrides."""
    settings = settings or Settings.from_env()
    app = Flask(
        __name__,
        static_folder=str(PROJECT_ROOT / "static"),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    from marac.inputs import IdConverter, refuse_nul_bytes

    # Before any route is added: ids beyond the database's integer type are a 404.
    app.url_map.converters["int"] = IdConverter
    app.config.update(settings.to_flask())
    app.config.update(overrides)
    # Forwarded headers are believed only from the proxies a deployment says it has:
    # without one in front, anybody could forge X-Forwarded-For into the audit log.
    hops = settings.trusted_proxies
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    app.jinja_loader = ChoiceLoader(
        [
            app.jinja_loader,  # type: ignore[list-item]
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    from govuk_frontend_wtf.main import WTFormsHelpers

    from marac import formatting
    from marac.db import Database

    Database(app.config["SQLALCHEMY_URL"]).init_app(app)
    app.before_request(refuse_nul_bytes)  # first: nothing may reach the database with NUL
    csrf.init_app(app)
    WTFormsHelpers(app)
    formatting.register(app)
    from marac.incidents.titles import incident_title

    app.add_template_filter(incident_title, "incident_title")  # never "Incident 95"

    from marac.auth import enforce_login_and_idle_timeout, login_manager

    login_manager.init_app(app)
    app.before_request(enforce_login_and_idle_timeout)

    from marac.jobs import queue as job_queue
    from marac.storage import backends as storage_backends
    from marac.worker import load_jobs

    job_queue.configure(app)
    storage_backends.init_app(app)
    load_jobs()
    _register_blueprints(app)
    _connect_receivers()
    from marac import ratelimit

    ratelimit.init_app(app)  # after the blueprints: it wraps their marked views
    if settings.breached_password_check:
        from marac.accounts.breached import RangeCheck

        # password_problem() finds it here (see marac.accounts.passwords).
        app.extensions["marac_breach_check"] = RangeCheck(settings.breached_password_api_url)
    _register_assets(app)
    _register_template_context(app, settings)
    from marac.actions.context import overdue_actions_context

    app.context_processor(overdue_actions_context)  # the header's overdue actions count
    from marac.notify.views import unread_notifications_context

    app.context_processor(unread_notifications_context)  # the header's unread count
    _register_security_headers(app, settings)
    _register_error_pages(app)

    from marac.cli import register_commands

    register_commands(app)
    return app


def _connect_receivers() -> None:
    """Import the modules through which a higher capability answers a lower one, so every
    door (pages, API, jobs) runs them: an incident recorded or an assessment endorsed ->
    the referral rules; the incidents' reason to see a person (marac.people.access); the
    repeat flags the minutes show (marac.minutes.flagging); the action page's extract."""
    import marac.incidents.people_access
    import marac.minutes.receivers
    import marac.referrals.receivers
    import marac.repeats.receivers  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    import marac.cases.views  # noqa: F401  (adds the case page to the referrals blueprint)
    from marac.accounts.admin_views import bp as admin_bp
    from marac.accounts.sso import bp as sso_bp
    from marac.accounts.sso_admin import bp as sso_admin_bp
    from marac.accounts.views import bp as accounts_bp
    from marac.actions.views import bp as actions_bp
    from marac.api.admin_views import bp as api_admin_bp
    from marac.assessments.views import bp as assessments_bp
    from marac.attachments.views import bp as attachments_bp
    from marac.audit.views import bp as audit_bp
    from marac.cases.list_views import bp as cases_bp
    from marac.governance.views import bp as subject_access_bp
    from marac.home.views import bp as home_bp
    from marac.imports.views import bp as imports_bp
    from marac.incidents.local_strand_views import bp as local_strands_bp
    from marac.incidents.views import bp as incidents_bp
    from marac.jobs.views import bp as jobs_bp
    from marac.meetings.views import bp as meetings_bp
    from marac.minutes.views import bp as minutes_bp
    from marac.notify.views import bp as notify_bp
    from marac.pages.views import bp as pages_bp
    from marac.pages.views import health_bp
    from marac.panels.views import bp as panels_bp
    from marac.referrals.settings_views import bp as referral_settings_bp
    from marac.referrals.views import bp as referrals_bp
    from marac.repeats.views import bp as people_bp
    from marac.repeats.views import settings_bp as repeat_settings_bp
    from marac.reports.views import bp as reports_bp
    from marac.retention.views import bp as retention_bp

    for bp in (
        accounts_bp,
        actions_bp,
        admin_bp,
        attachments_bp,
        api_admin_bp,
        assessments_bp,
        audit_bp,
        cases_bp,
        home_bp,
        imports_bp,
        incidents_bp,
        jobs_bp,
        local_strands_bp,
        meetings_bp,
        notify_bp,
        minutes_bp,
        pages_bp,
        health_bp,
        panels_bp,
        people_bp,
        referral_settings_bp,
        referrals_bp,
        repeat_settings_bp,
        reports_bp,
        retention_bp,
        sso_bp,
        sso_admin_bp,
        subject_access_bp,
    ):
        app.register_blueprint(bp)
    from marac.restrictions.views import bp as restrictions_bp

    app.register_blueprint(restrictions_bp)
    from marac import api

    api.init_app(app)  # the API door: /api/v1, bearer tokens only


def _register_assets(app: Flask) -> None:
    """GOV.UK Frontend's images and scripts, copied from npm into static/dist by the build."""
    assets_dir = PROJECT_ROOT / "static" / "dist" / "govuk" / "assets"

    @app.route("/assets/<path:filename>", endpoint="assets")
    def assets(filename: str) -> Any:
        return send_from_directory(assets_dir, filename, max_age=86400)


def _register_template_context(app: Flask, settings: Settings) -> None:
    from marac.db import utcnow
    from marac.navigation import RowLinks, navigation_for

    app.jinja_env.globals["row_links"] = RowLinks  # per-row links at one url_for per route

    @app.context_processor
    def inject() -> dict[str, Any]:
        return {
            "settings": settings,
            "council_name": settings.council_name,
            "service_name": settings.service_name,
            "navigation": navigation_for(current_user),
            "now": utcnow(),
        }


def _register_security_headers(app: Flask, settings: Settings) -> None:
    @app.after_request
    def headers(response: Any) -> Any:
        h = response.headers
        h.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if response.mimetype in NO_STORE_TYPES or "attachment" in h.get("Content-Disposition", ""):
            # Case data (pages, CSV and PDF downloads) must not linger in shared caches.
            h["Cache-Control"] = "no-store"
        if settings.is_production:
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


def _register_error_pages(app: Flask) -> None:
    from marac.api.problems import problem, problem_for, under_api

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeoutError)
    def database_unavailable(error: Exception) -> Any:
        """The database is down, unreachable or out of connections: a clear 503, not a 500."""
        app.logger.error("Database unavailable: %s", error)
        from marac.db import db_session

        try:
            db_session().rollback()
        except Exception:
            app.logger.info("rollback while the database is unavailable failed")
        if under_api():
            return problem(503, headers={"Retry-After": "60"})
        # Rendered without the context processors: they would query the database again.
        page = app.jinja_env.get_template("errors/503.html").render(
            settings=app.config["MARAC_SETTINGS"],
            council_name=app.config["MARAC_SETTINGS"].council_name,
            service_name=app.config["MARAC_SETTINGS"].service_name,
            navigation=[],
            current_user=AnonymousUserMixin(),
        )
        return page, 503, {"Retry-After": "60"}

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        if under_api():
            return problem_for(error)
        return render_template("errors/csrf.html", error=error), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        code = error.code or 500
        if under_api():  # the API door answers every status with problem details
            return problem_for(error)
        if code == 403:
            from marac.auth import audit_refusal

            audit_refusal()
            from marac.restrictions.views import placeholder_page

            if (restricted := placeholder_page()) is not None:
                return restricted, 403
        template = ERROR_PAGES.get(code)
        if template is None:
            if code >= 500:
                template = "errors/500.html"
            else:
                return error
        return render_template(template, error=error), code

    @app.errorhandler(OperationError)
    def refused_by_operation(error: OperationError) -> Any:
        """An operation said no that the view did not handle: the matching error page."""
        from marac.db import db_session

        db_session().rollback()
        if under_api():
            return problem_for(error)
        if error.status == 403:
            from marac.auth import audit_refusal

            audit_refusal()
            from marac.restrictions.views import placeholder_page

            if (restricted := placeholder_page(error)) is not None:
                return restricted, 403
        code = error.status if error.status in ERROR_PAGES else 400
        return render_template(ERROR_PAGES[code], error=error), code

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        app.logger.exception("Unhandled error", exc_info=error)
        from marac.db import db_session

        try:
            db_session().rollback()
        except Exception:
            app.logger.exception("rollback after error failed")
        if under_api():
            return problem_for(error)
        return render_template("errors/500.html"), 500
