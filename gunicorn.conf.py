"""gunicorn settings for the Impartial check service (`make run`).

In production put a buffering reverse proxy (nginx) in front: gunicorn's sync
and gthread workers give a whole thread to a client that sends its request
slowly. docs/deploy.md has the nginx settings and the measurements.
"""

import glob
import os
import shutil
import tempfile

# Metrics from every worker (prometheus_client's multiprocess mode): each
# worker writes its counts to files in this directory, and /metrics adds them
# up. It must be set before the app (and prometheus_client) is loaded, which
# this file is. Without one given, a fresh directory per run, removed at exit.
_metrics_dir_given = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
if not _metrics_dir_given:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="impartial-metrics-")

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
# Recycle each worker after this many requests (plus up to 10% at random, so
# workers do not all restart at once): a bound on whatever a long-lived worker
# accumulates. A recycled worker loads the current rulebook before it serves.
# Not lower: a recycle stops a worker for ~250 ms and leaves one more set of
# metrics files, and at 5,000 a busy worker recycled every ten seconds (the
# p99 of a one-worker run was those pauses). Its memory levels off well before:
# 462 -> 495 MB over 60,000 varied checks, flat after 40,000 (the caches are bounded).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "100000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", str(max_requests // 10)))
# gunicorn 25+ opens a control socket at ~/.gunicorn/gunicorn.ctl, one path
# shared by every instance a user runs (the second takes it over). Nothing here
# uses gunicornc: no socket.
control_socket_disable = True
# Headers and request line bounded (gunicorn's defaults, stated): 100 headers
# of at most 8 KB, a request line of at most 4 KB.
limit_request_fields = 100
limit_request_field_size = 8190
limit_request_line = 4094
# Access logs carry no bodies, but stay off unless asked for (the app logs
# each request itself, with its request id: IMPARTIAL_ACCESS_LOG).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("IMPARTIAL_LOG_LEVEL", "info").lower()
# gunicorn's own lines (start-up, worker timeouts and deaths) in the app's format.
logconfig_dict = {}
if os.environ.get("IMPARTIAL_LOG_FORMAT", "json") in ("json", "text"):
    from server.logs import gunicorn_logconfig

    logconfig_dict = gunicorn_logconfig(os.environ.get("IMPARTIAL_LOG_FORMAT", "json"), loglevel)


def on_starting(server):
    """A directory given by the admin may hold a previous run's files: they would be added in."""
    for path in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(path)


def on_exit(server):
    if not _metrics_dir_given:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


def child_exit(server, worker):
    """A worker ended: its counts stay in the totals, its gauges (the rulebook it served) go."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """Before a new worker serves: load the current rulebook (the preloaded one
    may be older, e.g. after a max_requests restart) and start its watcher."""
    from server.app import worker_started

    worker_started(worker.wsgi)


def worker_exit(server, worker):
    """Before a worker exits (a restart, max_requests, shutdown): save its check counts."""
    from server.app import worker_stopping

    worker_stopping(worker.wsgi)
