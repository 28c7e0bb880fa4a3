"""Blueprints of the web app: pages, the SPARQL endpoint and the JSON API."""
