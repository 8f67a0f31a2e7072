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
