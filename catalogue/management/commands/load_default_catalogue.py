"""Load the shipped default risk catalogue, or publish its changed definition as a new version."""

from django.core.management.base import BaseCommand

from catalogue.services import catalogue_default_load


class Command(BaseCommand):
    help = (
        "Load the default risk catalogue (version 1, published) if it is not in the database yet. When the "
        "shipped definition differs from every published or retired version of it, publish it as the next "
        "version and retire the older published ones (assessments made with them keep their rules)."
    )

    def handle(self, *args, **options):
        loaded = catalogue_default_load()
        catalogue = loaded.catalogue
        if not loaded.created:
            self.stdout.write(f"Found {catalogue}; nothing to load.")
            return
        if catalogue.version == 1:
            self.stdout.write(self.style.SUCCESS(f"Created {catalogue} from the default catalogue file."))
            return
        self.stdout.write(self.style.SUCCESS(
            f"Published {catalogue}: the default catalogue file changed since the last version was loaded."
        ))
        for older in loaded.retired:
            self.stdout.write(
                f"Retired {older.name} v{older.version}: its approved assessments keep its rules; new assessments "
                f"and reassessments use v{catalogue.version}."
            )
