from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "riskboard.security"
    label = "security"
    verbose_name = "Account security"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the receivers)
