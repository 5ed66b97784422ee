"""Register an Open311 application and print its api_key (shown once)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from residents.services import register_open311_client


class Command(BaseCommand):
    help = "Register an Open311 application and print its api_key (only its digest is kept)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the application's name, e.g. 'city app'")

    def handle(self, *args: Any, **options: Any) -> None:
        client, key = register_open311_client(name=options["name"])
        self.stdout.write(f"{client.name}: api_key={key}")
