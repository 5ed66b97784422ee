"""Re-encrypt every stored ID number with the newest PERSONAL_DATA_KEY (docs/deploy.md, key rotation);
with --rehash, rewrite the search hashes too (after PERSONAL_DATA_HASH_KEY changed)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from accounts import privacy
from people.models import Person

BATCH = 1000


class Command(BaseCommand):
    help = "Re-encrypt personal data with the newest key; --rehash rewrites the ID number search hashes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rehash", action="store_true", help="Recompute the search hashes as well.")

    def handle(self, *args: Any, rehash: bool = False, **options: Any) -> None:
        done = 0
        last_id = 0
        while True:
            with transaction.atomic():
                batch = list(
                    Person.objects.select_for_update()
                    .exclude(id_number_encrypted="")
                    .filter(pk__gt=last_id)
                    .order_by("pk")[:BATCH]
                )
                if not batch:
                    break
                for person in batch:
                    person.id_number_encrypted = privacy.reencrypt(person.id_number_encrypted)
                    if rehash:
                        person.id_number_hash = privacy.lookup_hash(person.id_number)
                Person.objects.bulk_update(batch, ["id_number_encrypted", "id_number_hash"])
            done += len(batch)
            last_id = batch[-1].pk
        self.stdout.write(f"{done} ID numbers re-encrypted{' and rehashed' if rehash else ''}.")
