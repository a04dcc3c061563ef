"""The home page, health check and support page."""
