"""Registers the end-to-end fixtures, which live in harness.py (a unique module name)."""

from harness import (  # noqa: F401
    browser, browser_factory, certificate, fixture_server, impartial_server, playwright_instance,
)
