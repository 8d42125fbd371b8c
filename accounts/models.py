"""Sign-in attempts: one row per sign-in, failed sign-in, lockout and sign-out.

Each row is copied into the audit trail by a trigger (``audit.models.SignInEvent``), where the
application's database role cannot change or delete it. The attempt never holds a password: a
failed attempt keeps only the username that was typed.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class SignIn(models.Model):
    class Outcome(models.TextChoices):
        SIGNED_IN = "signed_in", "Signed in"
        FAILED = "failed", "Sign-in failed"
        LOCKED_OUT = "locked_out", "Locked out"
        SIGNED_OUT = "signed_out", "Signed out"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    username = models.CharField(
        max_length=150, help_text="The username given (for a failed attempt, as typed: it may name no account)."
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="The account, when the username names one.",
    )
    ip_address = models.GenericIPAddressField("address", null=True, blank=True)

    class Meta:
        verbose_name = "sign-in"
        verbose_name_plural = "sign-ins"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: {self.username}"
