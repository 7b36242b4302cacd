"""Scheduled leadership reports: sections, rendering (PDF, XLSX, CSV), runs and delivery."""
