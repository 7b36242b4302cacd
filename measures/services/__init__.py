"""Every write of the measures app, one module per concern."""
