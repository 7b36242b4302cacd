"""Reporting's REST endpoints."""
