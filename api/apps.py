from django.apps import AppConfig


class ApiConfig(AppConfig):
    """What every endpoint of the REST API shares: tokens, authentication, paging, errors, ETags."""

    name = "api"
    verbose_name = "REST API"
    default_auto_field = "django.db.models.BigAutoField"
