"""Outgoing webhooks: signed POSTs of events to the endpoints an organization registers.

Other apps report an event with ``webhook_emit(organization=…, event=…, payload=…)`` inside the
transaction of the change, and add event names with ``event(name, description)``.
"""

from governance.webhooks.registry import event, events
from governance.webhooks.services import webhook_emit

__all__ = ["event", "events", "webhook_emit"]
