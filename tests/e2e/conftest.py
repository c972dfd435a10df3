"""Registers the end-to-end fixtures, which live in harness.py (a unique module name)."""

from harness import (  # noqa: F401
    browser, browser_factory, certificate, chromium_policy, extension_path, fixture_server, impartial_server,
    impartial_server_factory, playwright_instance,
)
