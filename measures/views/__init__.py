"""The measures app's pages beyond the generic hierarchy ones."""
