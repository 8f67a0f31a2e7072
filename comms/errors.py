"""Why a send did not go through. The message is stored as the failure reason and shown
on the member card, so it is written for the club admin, in plain words."""


class SendFailure(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class TemporaryFailure(SendFailure):
    """Try again later (server busy, network down, 4xx from SMTP, 5xx from a gateway)."""


class PermanentFailure(SendFailure):
    """Trying again will not help (no such address, refused by the gateway)."""
