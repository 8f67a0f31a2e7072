"""Celery tasks of the activation: thin wrappers that look up ids and call a service.
Each is safe to run twice (the services' idempotency keys), so a retried or repeated
task sends nothing twice. The e-mails themselves are sent by comms' tasks."""

from celery import shared_task
from django.contrib.auth import get_user_model
from django_scopes import scopes_disabled

from comms.models import SendBatch
from invitations import services
from members.models import Club


def _load(club_id: int, user_id: int | None, batch_id: int | None):
    with scopes_disabled():
        club = Club.objects.get(pk=club_id)
        user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
        batch = SendBatch.objects.filter(pk=batch_id).first() if batch_id else None
    return club, user, batch


@shared_task(name="invitations.activate_club", acks_late=True)
def activate_club(club_id: int, user_id: int | None = None, batch_id: int | None = None) -> int:
    club, user, batch = _load(club_id, user_id, batch_id)
    return services.activate_club(club, by=user, batch=batch).queued


@shared_task(name="invitations.resend_verifications", acks_late=True)
def resend_verifications(club_id: int, user_id: int | None, batch_id: int | None, key: str) -> int:
    club, user, batch = _load(club_id, user_id, batch_id)
    return services.resend_verifications(club, by=user, key=key, batch=batch).queued


@shared_task(name="invitations.invite_all_active", acks_late=True)
def invite_all_active(club_id: int, user_id: int | None, batch_id: int | None, key: str) -> int:
    """R-ACT-5 "all active members": the members active when the task runs."""
    club, user, batch = _load(club_id, user_id, batch_id)
    with scopes_disabled():
        ids = list(services.active_memberships(club).values_list("pk", flat=True))
    return services.send_min_side_invites(club, ids, by=user, key=key, batch=batch).queued
