"""Invitations, verification, Min side invitations and self-registration (SPEC §5, §8)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvitationsConfig(AppConfig):
    name = "invitations"
    verbose_name = _("Invitations")

    def ready(self) -> None:
        from invitations.listing import card_panel_context
        from members.navigation import NavItem, register_nav_item
        from members.panels import Panel, register_member_card_panel

        register_nav_item(
            NavItem("activation", _("Activation"), "activation:index", 75, admin_only=True)
        )
        register_member_card_panel(
            Panel(
                "activation",
                _("Verification and Min side"),
                "invitations/panels/activation.html",
                card_panel_context,
                order=15,
                visible=lambda access: access.is_admin,
            )
        )
        register_invite_action()
        from invitations.panels import register_panels

        register_panels()


def register_invite_action() -> None:
    """ "Invite" on the member overview (R-REG-1), for club admins."""
    from django.urls import reverse

    from members.actions import PageAction, register_page_action

    def url(request, _query):
        if not request.club_access.is_admin:
            return None
        return reverse("invites:new", kwargs={"club_slug": request.club.slug})

    register_page_action(PageAction("invite", _("Invite"), "member_list", url, order=10))
