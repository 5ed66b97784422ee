"""The project package: settings, ASGI/WSGI entry points, Celery app, users and departments, realtime."""

from .celery import app as celery_app

__all__ = ["celery_app"]
