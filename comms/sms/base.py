class SmsBackend:
    """The provider interface. ``send`` returns the provider's id of the message, raises
    ``comms.errors.TemporaryFailure`` (try again later) or ``PermanentFailure``."""

    @classmethod
    def from_settings(cls) -> "SmsBackend":
        return cls()

    def send(self, sender: str, to: str, text: str, *, reference: str = "") -> str:
        raise NotImplementedError
