"""Flags for Debian's Chromium here: headless, no sandbox (root), and no background
connections (this machine has no network; Chromium's own requests would be refused)."""

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
