"""The Celery worker that runs background callbacks when ``REDIS_URL`` is set::

    celery -A dashboard.worker:celery_app worker --loglevel=INFO --concurrency=2

Importing this module builds the dashboard from the environment (``REDIS_URL``,
``TPF_DASHBOARD_CACHE``, ... exactly as the web workers have them), which registers every
background callback (archive search, download, TESScut) as a Celery task under the name the web
side queues it by. The worker must see the same cache directory as the web workers: a finished
download is added to the file store there.
"""

from __future__ import annotations

import os

from .caching import celery_app as _celery_for
from .caching import log_to_stderr

if not os.environ.get("REDIS_URL"):
    raise RuntimeError("REDIS_URL is not set: the Celery worker needs the Redis that the web "
                       "workers use (without REDIS_URL, background jobs run without Celery).")

log_to_stderr()
from .app import app  # noqa: E402  (builds the app: registers the background tasks)

celery_app = _celery_for(app.settings.redis_url)
