"""Measure packages and measures are tenant rows: not in the admin (see governance.admin)."""
