"""Admin pages for agencies' identity providers. Audited; client secrets never shown again."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from marac.accounts.models import Agency
from marac.accounts.sso import secret_box
from marac.accounts.sso_forms import IdentityProviderForm
from marac.accounts.sso_models import IdentityProvider
from marac.accounts.sso_rules import issuer_problem, normalise_issuer, parse_domains
from marac.audit import record
from marac.auth import admin_required
from marac.db import db_session, get_or_404

bp = Blueprint("sso_admin", __name__, url_prefix="/admin/identity-providers")

FIELDS = [
    "agency_id",
    "display_name",
    "issuer",
    "client_id",
    "email_domains",
    "tenant_id",
    "trust_mfa",
    "mfa_acr_values",
    "enabled",
]


@bp.route("")
@admin_required
def index() -> str:
    providers = db_session().scalars(
        select(IdentityProvider)
        .join(Agency, Agency.id == IdentityProvider.agency_id)
        .order_by(Agency.name, IdentityProvider.display_name)
    )
    return render_template("admin/identity_providers.html", providers=list(providers))


def _agency_choices(provider: IdentityProvider | None) -> list[tuple[int, str]]:
    rows = db_session().scalars(select(Agency).order_by(Agency.name))
    return [
        (a.id, a.name if a.active else f"{a.name} (inactive)")
        for a in rows
        if a.active or (provider is not None and a.id == provider.agency_id)
    ]


def _save(form: IdentityProviderForm, provider: IdentityProvider | None) -> bool:
    """Check what the form cannot, then save with an audit row; False when there are errors."""
    db = db_session()
    production = current_app.config["MARAC_SETTINGS"].is_production
    issuer = normalise_issuer(form.issuer.data or "")
    if problem := issuer_problem(issuer, production=production):
        form.issuer.errors.append(problem)
    domains, bad = parse_domains(form.email_domains.data or "")
    if bad:
        form.email_domains.errors.append(
            f"{bad[0]} is not an email domain; enter domains like police.example"
        )
    elif not domains:
        form.email_domains.errors.append("Enter at least one email domain")
    secret = form.client_secret.data or ""
    if provider is None and not secret:
        form.client_secret.errors.append("Enter the client secret")
    if form.enabled.data and domains and not bad:
        others = db.scalars(
            select(IdentityProvider).where(
                IdentityProvider.enabled,
                IdentityProvider.id != (provider.id if provider else 0),
            )
        )
        for other in others:
            if clash := sorted(set(other.domain_list) & set(domains)):
                form.email_domains.errors.append(
                    f"{clash[0]} already signs in with {other.display_name}: "
                    "a domain can belong to one enabled provider"
                )
                break
    if any(f.errors for f in form):
        return False
    data: dict[str, Any] = {
        "agency_id": form.agency_id.data,
        "display_name": form.display_name.data,
        "issuer": issuer,
        "client_id": form.client_id.data,
        "email_domains": "\n".join(domains),
        "tenant_id": form.tenant_id.data or "",
        "trust_mfa": bool(form.trust_mfa.data),
        "mfa_acr_values": " ".join((form.mfa_acr_values.data or "").split()),
        "enabled": bool(form.enabled.data),
    }
    if provider is None:
        provider = IdentityProvider(**data, client_secret_encrypted=secret_box().encrypt(secret))
        db.add(provider)
        db.flush()
        record(
            db,
            "identity_provider_created",
            "identity_provider",
            provider.id,
            f"Added {provider.display_name} for agency {provider.agency_id}, issuer {issuer}",
        )
    else:
        changed = [f for f in FIELDS if getattr(provider, f) != data[f]]
        for key, value in data.items():
            setattr(provider, key, value)
        if secret:
            provider.client_secret_encrypted = secret_box().encrypt(secret)
            changed.append("client secret")
        record(
            db,
            "identity_provider_updated",
            "identity_provider",
            provider.id,
            "Changed " + (", ".join(c.replace("_", " ") for c in changed) or "nothing"),
        )
    db.commit()
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
