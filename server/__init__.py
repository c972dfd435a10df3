"""Impartial: checks drafts of official social media posts for political impartiality."""

__version__ = "0.1.0"
