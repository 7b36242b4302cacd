"""Evidence files of milestones: what is accepted, storing them, and who may read them.

Accepted: the extensions of ``THROUGHLINE_EVIDENCE_EXTENSIONS`` (pdf, png, jpg, xlsx, docx, csv,
txt, msg, eml by default), each with the content types it may arrive as, up to
``THROUGHLINE_EVIDENCE_MAX_BYTES`` (10 MB by default). Anything else is refused with the reason
and nothing is stored. Files go through Django's storage API under the organization with a random
name; they are served only by a view that checks access, never from a public media URL.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from governance.access import require
from governance.audit import audit_record
from governance.errors import ValidationError
from measures.models import Measure, Milestone, MilestoneEvidence

# The content types each accepted extension may arrive as; the first is the one stored.
CONTENT_TYPES: dict[str, tuple[str, ...]] = {
    "pdf": ("application/pdf",),
    "png": ("image/png",),
    "jpg": ("image/jpeg", "image/jpg", "image/pjpeg"),
    "jpeg": ("image/jpeg", "image/jpg", "image/pjpeg"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",),
    "csv": ("text/csv", "application/csv", "text/plain", "application/vnd.ms-excel"),
    "txt": ("text/plain",),
    "msg": ("application/vnd.ms-outlook",),
    "eml": ("message/rfc822",),
}
# How files of binary formats begin: a file named .pdf that is not a PDF is refused.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF",),
    "png": (b"\x89PNG",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "xlsx": (b"PK\x03\x04",),
    "docx": (b"PK\x03\x04",),
    "msg": (b"\xd0\xcf\x11\xe0",),
}
# What a client sends when it does not know; the extension then decides.
UNKNOWN_TYPES = ("", "application/octet-stream", "binary/octet-stream")
MAX_NAME = 255


def allowed_extensions() -> list[str]:
    return [ext.lower().lstrip(".") for ext in settings.THROUGHLINE_EVIDENCE_EXTENSIONS]


def max_bytes() -> int:
    return int(settings.THROUGHLINE_EVIDENCE_MAX_BYTES)


def describe_limits() -> str:
    size = max_bytes()
    shown = f"{size / 1024 / 1024:g} MB" if size >= 1024 * 1024 else f"{size:,} bytes"
    return f"{', '.join(allowed_extensions())}; at most {shown}"


def check_upload(upload: Any, name: str | None = None) -> tuple[str, str]:
    """``(original name, content type to store)`` of an acceptable file, or
    ``ValidationError`` on ``file`` saying why not. ``name`` replaces the upload's own name
    (for clients that stream a file without one)."""
    if not isinstance(upload, UploadedFile):
        raise ValidationError({"file": ["Attach a file."]})
    name = PurePath((name or upload.name or "").replace("\\", "/")).name.strip()
    if not name or "\x00" in name:
        raise ValidationError({"file": ["The file has no usable name."]})
    if len(name) > MAX_NAME:
        name = name[-MAX_NAME:]
    extension = PurePath(name).suffix.lower().lstrip(".")
    allowed = allowed_extensions()
    if extension not in allowed or extension not in CONTENT_TYPES:
        raise ValidationError(
            {
                "file": [
                    f"Files of type .{extension or '(none)'} are not accepted as evidence; "
                    f"use {', '.join(allowed)}."
                ]
            }
        )
    sent = (upload.content_type or "").split(";")[0].strip().lower()
    if sent not in UNKNOWN_TYPES and sent not in CONTENT_TYPES[extension]:
        raise ValidationError(
            {"file": [f"The file says it is {sent[:60]}, which does not match .{extension}."]}
        )
    if upload.size is None or upload.size > max_bytes():
        raise ValidationError(
            {"file": [f"The file is too large: evidence files are at most {describe_limits()}."]}
        )
    if upload.size == 0:
        raise ValidationError({"file": ["The file is empty."]})
    signatures = SIGNATURES.get(extension)
    if signatures:
        upload.seek(0)
        head = upload.read(8)
        upload.seek(0)
        if not any(head.startswith(signature) for signature in signatures):
            raise ValidationError({"file": [f"The file's content is not a .{extension} file."]})
    return name, CONTENT_TYPES[extension][0]


def evidence_attach(
    *, milestone: Milestone, upload: Any, by: Any, name: str | None = None
) -> MilestoneEvidence:
    """Store one evidence file for a milestone (``contribute`` on its measure); ``name``, when
    given, is the file's name instead of the upload's."""
    with transaction.atomic():
        measure = (
            Measure.objects.for_org(milestone.organization_id)
            .select_for_update()
            .get(pk=milestone.measure_id)
        )
        require(by, "contribute", measure)
        name, content_type = check_upload(upload, name)
        evidence = MilestoneEvidence(
            organization_id=measure.organization_id,
            measure=measure,
            milestone=milestone,
            original_name=name,
            content_type=content_type,
            size=upload.size,
            uploaded_by=by if getattr(by, "pk", None) else None,
        )
        evidence.file.save(name, upload, save=False)
        stored = evidence.file.name
        # A failed write must not leave an orphan file behind.
        try:
            evidence.save()
            audit_record(
                actor=by,
                action="milestone.evidence_attached",
                obj=milestone,
                changes={"file": name, "size": upload.size, "content_type": content_type},
            )
        except Exception:
            evidence.file.storage.delete(stored)
            raise
    return evidence
