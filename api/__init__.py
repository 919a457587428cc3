"""The ASGI app and its HTTP routes."""
