"""Sending e-mail through the SMTP server the configuration names (MAIL_SERVER and friends).

The standard library's smtplib and email are all this needs: one message at a time, plain
text, STARTTLS or implicit TLS, optional login. Without MAIL_SERVER the site sends nothing
and offers no alerts.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app


class MailNotSent(RuntimeError):
    """The SMTP server could not be reached or refused the message."""


def mail_enabled() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def send_mail(to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> None:
    """Send one plain-text message; MailNotSent when the server cannot take it."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=config["MAIL_FROM"].rpartition("@")[2] or None)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    connect = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    try:
        with connect(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as server:
            if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
                server.starttls()
            if config.get("MAIL_USERNAME"):
                server.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            server.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailNotSent(str(error)) from error
