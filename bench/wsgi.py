"""One WSGI entry point for the bench's targets; DJANGO_SETTINGS_MODULE picks the target."""

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
