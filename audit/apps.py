import logging

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self):
        from . import checks  # noqa: F401  (registers the startup check of the triggers)

        # pgtrigger logs one INFO line per trigger on every `migrate` (about fifty, even on SQLite
        # where it installs nothing). Keep its warnings; leave it alone if LOGGING configures it.
        pgtrigger_logger = logging.getLogger("pgtrigger")
        if pgtrigger_logger.level == logging.NOTSET:
            pgtrigger_logger.setLevel(logging.WARNING)
