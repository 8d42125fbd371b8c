"""Production refuses a database whose audit trail is not protected by its triggers.

A ``database`` check: it runs where the database is asked for (``manage.py check --database
default``), as the containers do before they start (``deploy/entrypoint.sh``) and as ``migrate``
does. Only under production settings (``RISKBOARD_PRODUCTION``): development may use SQLite.
"""

from django.conf import settings
from django.core.checks import Error, Tags, register

from .integrity import audit_trigger_problems


@register(Tags.database)
def audit_triggers_installed(app_configs=None, databases=None, **kwargs):
    if not getattr(settings, "RISKBOARD_PRODUCTION", False) or not databases or "default" not in databases:
        return []
    problems = audit_trigger_problems(using="default")
    if not problems:
        return []
    shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
    return [
        Error(
            f"The audit trail is not protected: {shown}.",
            hint="Run `manage.py migrate` as the database owner role (it installs the triggers), then "
            "`manage.py db_roles_grant --runtime-role <role>`. Production needs PostgreSQL.",
            id="audit.E001",
        )
    ]
