"""WSGI entry point of the benchmark project (served by gunicorn in ``http_load.py``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.project.settings")

application = get_wsgi_application()
