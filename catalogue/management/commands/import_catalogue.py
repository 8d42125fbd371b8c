"""Import a risk catalogue from a JSON or YAML file as a new draft version."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from catalogue.serialization import DocumentSyntaxError, document_parse
from catalogue.services import SYSTEM, catalogue_import

FORMATS_BY_SUFFIX = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}


class Command(BaseCommand):
    help = (
        "Import a catalogue file (JSON or YAML, in the export_catalogue format) as a new draft version "
        "of its catalogue name. Nothing is written if the file has any problem."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of a .json, .yaml or .yml file.")

    def handle(self, *args, file, **options):
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        try:
            data = document_parse(text=text, fmt=FORMATS_BY_SUFFIX.get(path.suffix.lower()))
        except DocumentSyntaxError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        try:
            catalogue = catalogue_import(data=data, actor=SYSTEM)
        except ValidationError as exc:
            problems = "\n".join(f"  - {message}" for message in exc.messages)
            count = len(exc.messages)
            raise CommandError(
                f"{path} was not imported; it has {count} problem{'s' if count != 1 else ''}:\n{problems}"
            ) from exc
        self.stdout.write(self.style.SUCCESS(f"Imported {catalogue.name} as draft version {catalogue.version}"))
