"""Development backends: nothing leaves the machine."""

import os
import sys
import uuid
from pathlib import Path

from django.conf import settings

from comms.sms.base import SmsBackend


class ConsoleBackend(SmsBackend):
    """Prints each SMS to standard output."""

    def send(self, sender: str, to: str, text: str, *, reference: str = "") -> str:
        message_id = uuid.uuid4().hex
        sys.stdout.write(f"SMS {message_id} from {sender} to {to}:\n{text}\n{'-' * 40}\n")
        sys.stdout.flush()
        return message_id


class FileBackend(SmsBackend):
    """Writes each SMS to its own file in ``SMS_FILE_PATH`` (named after the reference,
    the outbox's idempotency key, when there is one)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    @classmethod
    def from_settings(cls) -> "FileBackend":
        return cls(settings.SMS_FILE_PATH)

    def send(self, sender: str, to: str, text: str, *, reference: str = "") -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        message_id = uuid.uuid4().hex
        name = "".join(c if c.isalnum() or c in "-_." else "_" for c in reference) or message_id
        path = self.directory / f"{name}.{message_id}.sms"
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"From: {sender}\nTo: {to}\n\n{text}\n")
            f.flush()
            os.fsync(f.fileno())
        return message_id
