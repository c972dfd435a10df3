"""gunicorn settings for the Impartial check service (`make run`)."""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# One worker per core: checks are CPU-bound and short, so more workers per
# core only queue (see ../shared/research/perf.md).
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))
# gthread keeps browser connections alive between keystroke checks.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Load the app (and the ~1 s syllable dictionary) once, before forking.
preload_app = True
timeout = 30
graceful_timeout = 10
keepalive = 5
# Access logs carry no bodies, but stay off unless asked for.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("IMPARTIAL_LOG_LEVEL", "info").lower()
