"""API tokens of the signed-in member: list, create (the key shown once) and revoke.

Every member manages their own tokens in the organization of the URL and only those: another
person's token, or one of another organization, answers 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView

from governance.errors import ValidationError
from governance.forms.base import apply_service_errors
from governance.forms.tokens import TokenCreateForm
from governance.models import ApiToken
from governance.services.tokens import (
    TOKEN_PREFIX,
    token_issue,
    token_list,
    token_revoke_own,
)
from governance.views.base import OrgMixin

# The key of a token just created waits in the session for exactly one page view: the page the
# create form redirects to takes it out, so reloading (or coming back) never shows it again.
NEW_TOKEN_SESSION_KEY = "throughline.new_api_token"  # noqa: S105 - a session key name


class TokenMixin(OrgMixin):
    model = ApiToken  # names the object of the URL in the security log
    kwargs: dict[str, Any]

    def own_tokens(self) -> Any:
        return token_list(user=self.request.user, organization=self.organization)

    def own_token(self) -> ApiToken:
        token = self.own_tokens().filter(pk=self.kwargs["pk"]).first()
        if token is None:
            raise Http404("No such token.")
        return token


@method_decorator(never_cache, name="dispatch")
class TokenListView(TokenMixin, TemplateView):
    template_name = "governance/tokens/list.html"

    def pop_new_token(self) -> dict[str, Any] | None:
        new = self.request.session.get(NEW_TOKEN_SESSION_KEY)
        if not new or new.get("organization") != self.organization.pk:
            return None
        del self.request.session[NEW_TOKEN_SESSION_KEY]
        return new

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        tokens = list(self.own_tokens())
        new = self.pop_new_token()
        context["tokens"] = tokens
        context["token_prefix"] = TOKEN_PREFIX
        if new is not None:
            context["new_token"] = next((t for t in tokens if t.pk == new["id"]), None)
            context["new_token_key"] = new["key"]
        return context


class TokenCreateView(TokenMixin, FormView):
    template_name = "governance/tokens/create.html"
    form_class = TokenCreateForm

    def form_valid(self, form: TokenCreateForm) -> HttpResponse:
        try:
            token, key = token_issue(
                user=self.request.user,
                organization=self.organization,
                by=self.request.user,
                **form.token_values(),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        self.request.session[NEW_TOKEN_SESSION_KEY] = {
            "organization": self.organization.pk,
            "id": token.pk,
            "key": key,
        }
        return redirect("token-list", org_slug=self.organization.slug)

    def form_invalid(self, form: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=422)


class TokenRevokeView(TokenMixin, TemplateView):
    """GET: the confirmation page. POST: revoke, then back to the list."""

    template_name = "governance/tokens/revoke.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["token"] = self.own_token()
        context["token_prefix"] = TOKEN_PREFIX
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            token = token_revoke_own(
                user=request.user, organization=self.organization, token_id=self.kwargs["pk"]
            )
        except ApiToken.DoesNotExist:
            raise Http404("No such token.") from None
        messages.success(
            request, f"Revoked “{token.name}”. Requests with it are refused from now on."
        )
        return redirect("token-list", org_slug=self.organization.slug)
