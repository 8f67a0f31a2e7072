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
