"""The measure endpoints: the generic node endpoints plus the Degree of Implementation.

``POST measures/<id>/transition/`` with ``{"to": "<stage>", "reason": "…"}`` (and ``If-Match``)
moves the measure, or answers 409 with every unmet criterion under ``errors.criteria``;
``GET measures/<id>/gates/`` is the checklist of the next stage.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from governance.api.hierarchy import node_serializer_class, node_viewset_class
from governance.api.versions import IF_MATCH
from measures.models import DoI, Measure
from measures.services.stages import APPROVAL_TARGETS, options, transition

BaseSerializer = node_serializer_class(Measure)
BaseViewSet = node_viewset_class(Measure)
STAGE_FIELDS = ["doi", "doi_before_hold", "cancel_reason"]


class MeasureSerializer(BaseSerializer):  # type: ignore[valid-type,misc]
    doi_before_hold = serializers.CharField(
        read_only=True, help_text="The stage a measure on hold resumes to; empty otherwise."
    )

    class Meta(BaseSerializer.Meta):  # type: ignore[name-defined]
        fields = [*BaseSerializer.Meta.fields, *STAGE_FIELDS]
        read_only_fields = [*BaseSerializer.Meta.read_only_fields, *STAGE_FIELDS]


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=DoI.choices, help_text="The stage to move to.")
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Why: required to cancel, recorded in the history otherwise.",
    )


class GateCriterionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    met = serializers.BooleanField()
    problem = serializers.CharField(allow_null=True, help_text="What to do, when unmet.")


GatesAnswer = inline_serializer(
    "Gates",
    {
        "doi": serializers.CharField(),
        "next": serializers.CharField(allow_null=True),
        "criteria": GateCriterionSerializer(many=True),
        "needs_approval": serializers.BooleanField(),
        "may_advance": serializers.BooleanField(),
        "blocked": serializers.CharField(),
    },
)
TAGS = [str(Measure._meta.verbose_name_plural)]


@extend_schema_view(
    transition=extend_schema(tags=TAGS, request=TransitionSerializer, parameters=[IF_MATCH]),
    gates=extend_schema(tags=TAGS, responses=GatesAnswer),
)
class MeasureViewSet(BaseViewSet):  # type: ignore[valid-type,misc]
    __doc__ = BaseViewSet.__doc__
    serializer_class = MeasureSerializer
    ACTION_PERMISSIONS = {**BaseViewSet.ACTION_PERMISSIONS, "transition": "change", "gates": "view"}

    @action(detail=True, methods=["post"])
    def transition(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Move the measure to another stage (forward one gate, on hold, resume, cancel)."""
        measure = self.get_object()
        payload = TransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        measure = transition(
            measure,
            payload.validated_data["to"],
            by=request.user,
            expected_version=self._expected_version(request),
            reason=payload.validated_data.get("reason", ""),
        )
        measure = self.get_queryset().get(pk=measure.pk)
        return self._with_etag(Response(self.get_serializer(measure).data), measure)

    @action(detail=True, methods=["get"])
    def gates(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The checklist of the next stage: each criterion, met or not, in words."""
        measure = self.get_object()
        offer = options(measure, request.user)
        data = {
            "doi": measure.doi,
            "next": offer["next"],
            "criteria": [
                {"key": item.key, "label": item.label, "met": item.met, "problem": item.problem}
                for item in offer["checklist"]
            ],
            "needs_approval": offer["next"] in APPROVAL_TARGETS,
            "may_advance": offer["may_advance"] and not offer["blocked"],
            "blocked": offer["blocked"],
        }
        return self._with_etag(Response(data), measure)
