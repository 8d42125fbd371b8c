"""Write a risk catalogue version to standard output as JSON or YAML (the import format)."""

from django.core.management.base import BaseCommand, CommandError

from catalogue.selectors import catalogue_get, catalogue_get_current_published, catalogue_name_default
from catalogue.serialization import document_dump
from catalogue.services import catalogue_export


class Command(BaseCommand):
    help = (
        "Write a catalogue version to standard output. By default: the newest published version of the "
        "default catalogue (or of the only catalogue in the database)."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # Our --version (the catalogue's) replaces Django's --version (the framework's).
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["json", "yaml"], default="json", help="Output format (default json).")
        parser.add_argument("--version", type=int, help="Catalogue version (any status); default the newest published.")
        parser.add_argument("--name", help="Catalogue name; default the default catalogue's name.")

    def handle(self, *args, **options):
        name = options["name"] or catalogue_name_default()
        version = options["version"]
        if version is None:
            catalogue = catalogue_get_current_published(name=name)
            if catalogue is None:
                raise CommandError(f"No published version of catalogue {name!r}. Pass --version (and --name).")
        else:
            catalogue = catalogue_get(name=name, version=version)
            if catalogue is None:
                raise CommandError(f"No catalogue {name!r} version {version}.")
        document = catalogue_export(catalogue=catalogue)
        self.stdout.write(document_dump(document=document, fmt=options["format"]), ending="")
