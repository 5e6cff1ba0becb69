"""E-mail alerts: the subscribe form's target, confirming, unsubscribing, deleting an address.

The links in messages carry the subscription's secret token. Unsubscribing and deleting the
address answer a POST without the site's form token, as mail programs send for one-click
unsubscribing (RFC 8058); the secret token is what authorises them.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, url_for

from hearings import alerts
from hearings.extensions import csrf, db, limiter
from hearings.mail import MailNotSent, mail_enabled, send_mail
from hearings.record_ids import optional_record_id
from hearings.views.changes import change_to_the_record

bp = Blueprint("alerts", __name__, url_prefix="/alerts")


def _page(title: str, message: str, status: int = 200, **context):
    return render_template("alerts/page.html", title=title, message=message, **context), status


def _refused(problem):
    return _page("Alerts", str(problem), problem.status)


def _link(endpoint: str, **values) -> str:
    return url_for(endpoint, _external=True, **values)


@bp.post("")
@limiter.limit(lambda: current_app.config["ALERT_LIMIT"])
def subscribe():
    """Record a subscription and send the link that confirms it."""
    if not mail_enabled():
        return _page("Alerts", "E-mail alerts are not set up on this site.", 404)
    with change_to_the_record(_refused):
        subscription = alerts.subscribe(
            db.session,
            request.form.get("email", ""),
            request.form.get("kind", ""),
            optional_record_id(request.form.get("target")),
            alerts.search_arguments(request.form.get("query", "")),
        )
        about = alerts.subject(db.session, subscription)
    if subscription.confirmed_at is not None:
        return _page("Alerts", f"You already get alerts on {about}.")
    try:
        send_mail(
            subscription.email,
            f"Confirm your alerts on {about}"[:200],
            render_template(
                "alerts/confirm_mail.txt",
                about=about,
                confirm=_link("alerts.confirm", token=subscription.token),
            ),
        )
    except MailNotSent:
        return _page("Alerts", "The confirmation could not be sent just now; try again later.", 503)
    return _page(
        "Check your inbox",
        f"We sent a link to {subscription.email}. Alerts on {about} start once you follow it.",
    )


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """GET shows a button (mail scanners open links); POST confirms."""
    subscription = alerts.by_token(db.session, token) or abort(404)
    about = alerts.subject(db.session, subscription)
    if request.method == "GET":
        return _page("Confirm your alerts", f"Get e-mail alerts on {about}?", confirm=token)
    with change_to_the_record(_refused):
        alerts.confirm(db.session, subscription)
    return _page("Alerts confirmed", f"You will get an e-mail when there is news on {about}.")


@csrf.exempt
@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    subscription = alerts.by_token(db.session, token)
    if subscription is None:
        return _page("Alerts", "This alert is already gone.", 404)
    about = alerts.subject(db.session, subscription)
    if request.method == "GET":
        return _page("Stop these alerts", f"Stop e-mail alerts on {about}?", unsubscribe=token)
    with change_to_the_record(_refused):
        alerts.unsubscribe(db.session, subscription)
    return _page("Alerts stopped", f"No more alerts on {about}.")


@csrf.exempt
@bp.route("/forget/<token>", methods=["GET", "POST"])
def forget(token: str):
    subscription = alerts.by_token(db.session, token)
    if subscription is None:
        return _page("Alerts", "This address is already gone.", 404)
    if request.method == "GET":
        return _page(
            "Delete your address",
            f"Delete {subscription.email} and every alert it gets?",
            forget=token,
        )
    with change_to_the_record(_refused):
        alerts.forget_address(db.session, subscription)
    return _page("Address deleted", "Your address and all its alerts are deleted.")
