"""forecaster createadmin --username NAME: create an administrator; password from stdin/prompt."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from forecaster.accounts.forms import username_taken


class Command(BaseCommand):
    help = "Create an administrator account. The password is read from a hidden prompt or stdin."
    stealth_options = ("stdin",)  # tests pass a StringIO

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True, help="The login name.")
        parser.add_argument("--email", default="", help="Optional e-mail address.")
        parser.add_argument("--viewer", action="store_true", help="Create a viewer instead.")

    def handle(self, *args: Any, username: str, email: str, viewer: bool, **options: Any) -> None:
        User = get_user_model()
        username = User.normalize_username(username.strip())
        if username_taken(username):
            raise CommandError(f"a user named {username!r} already exists")
        stdin = options.get("stdin") or sys.stdin
        if stdin.isatty():
            password = getpass.getpass("Password: ")
            if getpass.getpass("Password again: ") != password:
                raise CommandError("the two passwords differ")
        else:
            password = stdin.readline().rstrip("\n")
        user = User(username=username, email=email)
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        User.objects.create_user(
            username=username, email=email, password=password, is_staff=not viewer, is_superuser=not viewer
        )
        role = "viewer" if viewer else "administrator"
        self.stdout.write(f"Created {role} {username}.")
