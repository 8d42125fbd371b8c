"""Load the shipped default risk catalogue (version 1, published) unless it is already there."""

from django.core.management.base import BaseCommand

from catalogue.selectors import catalogue_get
from catalogue.serialization import DEFAULT_CATALOGUE_NAME
from catalogue.services import catalogue_default_ensure


class Command(BaseCommand):
    help = "Load the default risk catalogue (version 1, published) if it is not in the database yet."

    def handle(self, *args, **options):
        existed = catalogue_get(name=DEFAULT_CATALOGUE_NAME, version=1) is not None
        catalogue = catalogue_default_ensure()
        if existed:
            self.stdout.write(f"Found {catalogue}; nothing to load.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Created {catalogue} from the default catalogue file."))
