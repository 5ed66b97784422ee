"""WSGI entry point for gunicorn (HTTP in the district profile)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "command_center.settings")
application = get_wsgi_application()
