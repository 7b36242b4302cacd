"""Reporting's pages."""
