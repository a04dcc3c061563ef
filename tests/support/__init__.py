"""Helpers shared by tests (conftest.py registers the fixtures built on them)."""
