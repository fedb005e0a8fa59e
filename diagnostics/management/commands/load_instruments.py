from django.core.management.base import BaseCommand, CommandError

from diagnostics.definition import DefinitionError
from diagnostics.services import instruments_load


class Command(BaseCommand):
    help = "Load diagnostics/instruments/*.yaml; a changed file becomes a new instrument version."

    def handle(self, *args, **options):
        try:
            loaded = instruments_load()
        except DefinitionError as error:
            raise CommandError("\n".join(error.problems)) from None
        for code, number, created in loaded:
            self.stdout.write(f"{code}: v{number}{' (new)' if created else ''}")
