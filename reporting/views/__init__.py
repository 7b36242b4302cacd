"""The reporting app's pages."""
