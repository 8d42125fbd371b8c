"""API tokens: each belongs to a named client system, is stored only as a hash and shown once.

The key a client sends is ``<prefix>.<secret>``: the prefix (8 random characters) finds the row,
the SHA-512 hash of the whole key proves it (``djangorestframework-api-key``). A token reads, or
also writes (``scope``); it may be restricted to one team; a write token acts for a named user,
who is the actor in the audit trail and counts for four eyes. What a token may do is decided by
``riskboard.permissions`` like everything else (``TokenLimits``).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager

from riskboard.permissions import TokenLimits, TokenScope


class ApiTokenManager(BaseAPIKeyManager):
    pass


class ApiToken(AbstractAPIKey):
    name = models.CharField(
        "client", max_length=100, help_text="The system that uses this token, e.g. 'Case management (production)'."
    )
    scope = models.CharField(
        max_length=8,
        choices=[(TokenScope.READ.value, "Read"), (TokenScope.WRITE.value, "Read and write")],
        default=TokenScope.READ.value,
    )
    team = models.ForeignKey(
        "assessments.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Only this team's agreements, assessments and scores. Empty: whatever the user (or, "
        "for a read token without a user, every team) may see.",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_tokens",
        help_text="The user the token acts for: its rights are the user's, narrowed by scope and team. "
        "Required for write tokens.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenManager()

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API token"
        verbose_name_plural = "API tokens"
        constraints = [
            models.CheckConstraint(
                condition=~Q(scope=TokenScope.WRITE.value) | Q(user__isnull=False),
                name="apitoken_write_needs_user",
                violation_error_message="A write token acts for a named user: choose one.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def limits(self) -> TokenLimits:
        return TokenLimits(scope=self.scope, team_id=self.team_id, acts_for_user=self.user_id is not None)

    @property
    def is_usable(self) -> bool:
        return not self.revoked and not self.has_expired

    @property
    def state(self) -> str:
        if self.revoked:
            return "revoked"
        if self.expiry_date is not None and self.expiry_date < timezone.now():
            return "expired"
        return "active"
