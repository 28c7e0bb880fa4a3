"""policykg's web layer: Flask app factory and thin blueprints over ``kg``."""
from .app import create_app

__all__ = ["create_app"]
