"""Issue an API token for a member of an organization and print its key once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from governance.errors import ValidationError
from governance.models import Organization, TokenScope
from governance.rls import tenant_scope
from governance.services.tokens import token_issue


class Command(BaseCommand):
    help = "Issue an API token for USERNAME in the organization ORG_SLUG; the key is shown once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("org_slug")
        parser.add_argument("--scope", choices=TokenScope.values, default=TokenScope.READ)
        parser.add_argument("--name", default="Command-line token")
        parser.add_argument("--days", type=int, help="Expire after this many days.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        organization = Organization.objects.filter(slug=options["org_slug"]).first()
        if user is None or organization is None:
            raise CommandError("No such user or organization.")
        expires = timezone.now() + dt.timedelta(days=options["days"]) if options["days"] else None
        try:
            with tenant_scope(organization.pk):
                token, key = token_issue(
                    user=user,
                    organization=organization,
                    name=options["name"],
                    scope=options["scope"],
                    expires_at=expires,
                    by=None,
                )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"Token {token.prefix} ({token.scope}) for {user} in {organization}:")
        self.stdout.write(key)
