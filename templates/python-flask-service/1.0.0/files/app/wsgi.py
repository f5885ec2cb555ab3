"""The WSGI entry point gunicorn loads (`wsgi_app` in gunicorn.conf.py)."""

from opentelemetry import trace

from app import create_app, tracer_provider

provider = tracer_provider()
trace.set_tracer_provider(provider)
app = create_app(tracing=provider)
