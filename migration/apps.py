from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MigrationConfig(AppConfig):
    name = "migration"
    verbose_name = _("Migration")

    def ready(self) -> None:
        from members.navigation import NavItem, register_nav_item
        from members.panels import Panel, register_member_card_panel
        from migration.panels import import_panel_context

        register_nav_item(NavItem("import", _("Import"), "migration:imports", 70, admin_only=True))
        register_nav_item(
            NavItem("quality", _("Data quality"), "migration:quality", 80, admin_only=True)
        )
        register_member_card_panel(
            Panel(
                "import",
                _("From the old system"),
                "migration/panels/import.html",
                import_panel_context,
                order=80,
                visible=lambda access: access.is_admin,
            )
        )
