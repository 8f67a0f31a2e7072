from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommsConfig(AppConfig):
    name = "comms"
    verbose_name = _("Messages")

    def ready(self) -> None:
        from comms import checks  # noqa: F401 (registers the SMS configuration check)
        from comms.panels import messages_panel_context
        from members.panels import Panel, register_member_card_panel

        register_member_card_panel(
            Panel(
                "messages",
                _("Messages"),
                "comms/panels/messages.html",
                messages_panel_context,
                order=60,
                visible=lambda access: access.is_admin,
            )
        )
        register_composer()
        register_min_side()


def register_min_side() -> None:
    """Messages received, in every person's section of Min side (R-ACT-6)."""
    from comms.panels import min_side_messages_context
    from members.minside import Panel, register_min_side_panel

    register_min_side_panel(
        Panel(
            "messages",
            _("Messages received"),
            "comms/min_side/messages.html",
            min_side_messages_context,
            order=60,
        )
    )


def register_composer() -> None:
    """The composer in the club navigation, and "Send message" on the member card, the
    member overview (its current filter) and a group page (R-COM-2)."""
    from comms.composer import compose_url
    from members.actions import PageAction, register_page_action
    from members.navigation import NavItem, register_nav_item

    register_nav_item(NavItem("messages", _("Messages"), "composer:sends", 40))
    label = _("Send message")
    register_page_action(
        PageAction("message", label, "member_card", lambda r, m: compose_url(r.club, member=m.pk))
    )
    register_page_action(
        PageAction("message", label, "member_list", lambda r, q: compose_url(r.club, filter=q))
    )
    register_page_action(
        PageAction("message", label, "group", lambda r, g: compose_url(r.club, group=g.pk))
    )
