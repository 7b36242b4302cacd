"""Reporting's own rows: snapshots of the measures, and leadership report definitions and runs."""
