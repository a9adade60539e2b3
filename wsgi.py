"""WSGI entry point: ``gunicorn wsgi:app`` in production, ``flask --app wsgi run`` in development."""

from dotenv import load_dotenv

from app import create_app

load_dotenv()
app = create_app()
