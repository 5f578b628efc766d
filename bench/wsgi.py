"""One WSGI entry point for the bench's targets, DJANGO_SETTINGS_MODULE picking the target:
the portal's own (portal.wsgi), so that every target starts up as the portal does."""

from portal.wsgi import application

__all__ = ["application"]
