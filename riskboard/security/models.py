from django.conf import settings
from django.db import models


class PasswordChangeRequirement(models.Model):
    """An administrator asked this user to choose a new password: every page leads to the password
    change until they do (riskboard.security.gate). Deleted when they have."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
        related_name="password_change_requirement",
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
    )

    class Meta:
        verbose_name = "required password change"

    def __str__(self) -> str:
        return f"{self.user} must change their password"
