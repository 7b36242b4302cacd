"""The audit trail: writing it (``record``), its hash chain (``chain``), checking the chain
(``verify``) and reading an object's history (``history``)."""

from governance.audit.record import (
    AuditEntry,
    audit_record,
    audit_record_many,
    field_changes,
    json_ready,
)

__all__ = ["AuditEntry", "audit_record", "audit_record_many", "field_changes", "json_ready"]
