"""Admin pages for agencies' identity providers. Audited; client secrets never shown again."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marac.accounts.operations import ProviderValues, save_identity_provider
from marac.accounts.queries import agencies_by_name, identity_providers
from marac.accounts.sso import secret_box
from marac.accounts.sso_forms import IdentityProviderForm
from marac.accounts.sso_models import IdentityProvider
from marac.auth import admin_required
from marac.db import db_session, get_or_404
from marac.forms import show_invalid
from marac.operations import Invalid

bp = Blueprint("sso_admin", __name__, url_prefix="/admin/identity-providers")


@bp.route("")
@admin_required
def index() -> str:
    providers = identity_providers(db_session())
    return render_template("admin/identity_providers.html", providers=providers)


def _agency_choices(provider: IdentityProvider | None) -> list[tuple[int, str]]:
    return [
        (a.id, a.name if a.active else f"{a.name} (inactive)")
        for a in agencies_by_name(db_session())
        if a.active or (provider is not None and a.id == provider.agency_id)
    ]


def _save(form: IdentityProviderForm, provider: IdentityProvider | None) -> bool:
    """Save through the operation; False (errors on the form) when a rule is broken."""
    values = ProviderValues(
        agency_id=form.agency_id.data,
        display_name=form.display_name.data,
        issuer=form.issuer.data or "",
        client_id=form.client_id.data,
        email_domains=form.email_domains.data or "",
        tenant_id=form.tenant_id.data or "",
        trust_mfa=bool(form.trust_mfa.data),
        mfa_acr_values=form.mfa_acr_values.data or "",
        enabled=bool(form.enabled.data),
        client_secret=form.client_secret.data or "",
    )
    try:
        save_identity_provider(
            db_session(),
            current_user,
            provider.id if provider else None,
            values,
            box=secret_box(),
            production=current_app.config["MARAC_SETTINGS"].is_production,
        )
    except Invalid as error:
        show_invalid(form, error)
        return False
    return True


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new() -> str | Response:
    form = IdentityProviderForm()
    form.agency_id.choices = _agency_choices(None)
    if request.method == "GET" and request.args.get("agency", type=int):
        form.agency_id.data = request.args.get("agency", type=int)
    if form.validate_on_submit() and _save(form, None):
        flash(f"Saved {form.display_name.data}.", "success")
        return redirect(url_for("sso_admin.index"))
    return render_template("admin/identity_provider_form.html", form=form, provider=None)


@bp.route("/<int:provider_id>", methods=["GET", "POST"])
@admin_required
def edit(provider_id: int) -> str | Response:
    provider = get_or_404(IdentityProvider, provider_id)
    form = IdentityProviderForm(obj=provider)
    form.agency_id.choices = _agency_choices(provider)
    if form.validate_on_submit() and _save(form, provider):
        flash(f"Saved the changes to {provider.display_name}.", "success")
        return redirect(url_for("sso_admin.index"))
    return render_template("admin/identity_provider_form.html", form=form, provider=provider)
