"""E-mail templates: ``<template>.subject.txt``, ``<template>.txt`` and ``<template>.html``.

The text parts are rendered without HTML escaping (a name like "Berg & Sønn" stays as it
is); the HTML part is escaped as usual. Messages are written in the site's language
(Norwegian Bokmål), whatever language the person who caused them uses.
"""

from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.template import Context, Engine, engines
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

UNSUBSCRIBE_SALT = "comms.unsubscribe"


@lru_cache(maxsize=1)
def _text_engine() -> Engine:
    html = engines["django"].engine
    return Engine(
        dirs=html.dirs,
        app_dirs=html.app_dirs,
        libraries=html.libraries,
        autoescape=False,
    )


def render_text(name: str, context: dict) -> str:
    return _text_engine().get_template(name).render(Context(context, autoescape=False))


def render_email(template: str, context: dict, *, unsubscribe: str | None = None):
    """``(subject, text, html)`` of ``template``; the subject on one line."""
    context = {"site_url": settings.SITE_URL, "unsubscribe_url": unsubscribe, **context}
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_text(f"{template}.subject.txt", context).split())
        text = render_text(f"{template}.txt", context).strip() + "\n"
        html = render_to_string(f"{template}.html", context)
    return subject, text, html


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _signer() -> signing.Signer:
    return signing.Signer(salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(person_id: int) -> str:
    """``<person id>:<signature>``: no expiry, one purpose (the salt)."""
    return _signer().sign(str(person_id))


def person_id_from_token(token: str) -> int | None:
    try:
        value = _signer().unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def unsubscribe_url(person) -> str:
    return unsubscribe_url_for_id(person.pk)


class UnsubscribeLinks:
    """Many links at once: the URL pattern is reversed once, and one signer signs them."""

    MARK = "0:token"

    def __init__(self):
        self.signer = _signer()
        self.pattern = absolute_url(reverse("comms:unsubscribe", args=[self.MARK]))

    def url(self, person_id: int) -> str:
        return self.pattern.replace(self.MARK, self.signer.sign(str(person_id)))


def unsubscribe_url_for_id(person_id: int) -> str:
    return absolute_url(reverse("comms:unsubscribe", args=[unsubscribe_token(person_id)]))
