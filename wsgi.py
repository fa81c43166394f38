"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

from api import create_app_or_exit

app = create_app_or_exit()
