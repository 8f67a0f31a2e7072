from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members")

    def ready(self) -> None:
        from ims import db  # noqa: F401 - registers the in_array lookup

        from . import navigation, panels

        panels.register_builtin_panels()
        navigation.register_builtin_items()
