"""The oversight page (/admin): sign-in, figures, charts and CSV export."""

from .views import bp, init_app  # noqa: F401
