from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and sign-ins"

    def ready(self):
        from . import receivers

        receivers.connect_lockouts()
