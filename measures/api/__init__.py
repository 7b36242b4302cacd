"""The measures app's API: the measure endpoints beyond the generic hierarchy ones."""
