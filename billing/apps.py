from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self) -> None:
        # Each module wires one part of billing into the apps below it (DESIGN.md):
        # pages and panels into members' registries, receivers onto members' signals.
        from billing import panels, receivers

        panels.register()
        receivers.connect()
