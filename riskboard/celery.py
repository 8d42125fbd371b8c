"""Celery application. Configuration is read from Django settings under the CELERY_ namespace."""

import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger, task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskboard.settings.base")

app = Celery("riskboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# --- Logs: the same format as the web's (DJANGO_LOG_FORMAT), each line with its task's id --------
@after_setup_logger.connect
@after_setup_task_logger.connect
def _structured_worker_logs(logger, **kwargs):
    from django.conf import settings

    from riskboard.security.logs import ContextFilter, JsonFormatter

    for handler in logger.handlers:
        handler.addFilter(ContextFilter())
        if settings.DJANGO_LOG_FORMAT == "json":
            handler.setFormatter(JsonFormatter())


@task_prerun.connect
def _task_context_set(task_id=None, task=None, **kwargs):
    from riskboard.security.logs import current_task_id, current_task_name

    current_task_id.set(task_id)
    current_task_name.set(getattr(task, "name", None))


@task_postrun.connect
def _task_context_clear(**kwargs):
    from riskboard.security.logs import current_task_id, current_task_name

    current_task_id.set(None)
    current_task_name.set(None)
