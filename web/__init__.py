"""policykg's web layer: Flask app factory, thin blueprints over ``kg``, and the CLI."""
from __future__ import annotations

__all__ = ["create_app"]


def __getattr__(name: str):
    # Flask is imported only when the app is wanted, so CLI commands start fast.
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(name)
