from abc import ABC, abstractmethod


class SmsBackend(ABC):
    """The provider interface. ``send`` returns the provider's id of the message, raises
    ``comms.errors.TemporaryFailure`` (try again later) or ``PermanentFailure``."""

    @classmethod
    def from_settings(cls) -> "SmsBackend":
        return cls()

    @abstractmethod
    def send(self, sender: str, to: str, text: str, *, reference: str = "") -> str:
        """Hand the message to the provider; a backend without it can't be made."""
