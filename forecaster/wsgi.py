"""The WSGI application for any WSGI server; HEAD responses never carry a body."""

import os

from django.core.wsgi import get_wsgi_application

from forecaster.core.server import strip_head_bodies

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forecaster.settings")
application = strip_head_bodies(get_wsgi_application())
