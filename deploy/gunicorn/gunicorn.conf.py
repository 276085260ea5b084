"""gunicorn for the web service: Django's HTTP (WSGI) in sync worker processes.

Why WSGI for HTTP: every view, middleware and ORM call of the project is synchronous; under
ASGI each request hops to a worker thread and back (asgiref), which cost a fifth of the
throughput of `bench/pix_api.py` and four fifths of a bare `/healthz` here. Websockets
(channels) stay on ASGI in the `ws` service; nginx routes `/ws/` there.

One request at a time per process, so each process keeps one database connection
(DB_CONN_MAX_AGE) and needs no pool. nginx buffers slow clients in front of it.
"""

import json
import os
from pathlib import Path

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_WORKERS", "4"))
worker_class = "sync"
timeout = 60  # nginx gives up at 60 s (proxy_read_timeout): a worker stuck longer is killed
graceful_timeout = 20
max_requests = 5000  # recycle workers now and then (a leak in a library stays bounded)
max_requests_jitter = 500
forwarded_allow_ips = "*"  # behind nginx only: it sets X-Forwarded-Proto
accesslog = None  # the application logs each request itself (JSON, with its request id)
logconfig_dict = json.loads((Path(__file__).parent / "logging.json").read_text())


def child_exit(server, worker):
    """Prometheus multiprocess mode: forget the gauges of a worker that exited."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
