"""The service's application package: `python -m app` serves it (see app/__main__.py)."""
