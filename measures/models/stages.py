"""The Degree of Implementation: the stage gates a measure passes on its way to realised value."""

from django.db import models


class DoI(models.TextChoices):
    DEFINED = "defined", "Defined"
    IDENTIFIED = "identified", "Identified"
    DETAILED = "detailed", "Detailed"
    DECIDED = "decided", "Decided"
    IMPLEMENTED = "implemented", "Implemented"
    CLOSED = "closed", "Closed"
    ON_HOLD = "on_hold", "On hold"
    CANCELLED = "cancelled", "Cancelled"


# The forward path, in order; On hold and Cancelled sit beside it.
DOI_ORDER: tuple[str, ...] = (
    DoI.DEFINED,
    DoI.IDENTIFIED,
    DoI.DETAILED,
    DoI.DECIDED,
    DoI.IMPLEMENTED,
    DoI.CLOSED,
)
