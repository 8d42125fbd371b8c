"""API tokens in the admin: administrators list, create (the key is shown once) and revoke them.

A token is never edited: its scope, team and user are what an administrator agreed to when it was
created. To change them, revoke it and create another. Tokens are not deleted either: a revoked
token stays listed, with when it was last used.
"""

from django.contrib import admin, messages
from django.utils import timezone
from rest_framework_api_key.models import APIKey

from riskboard.admin_mixins import AdministerRequiredMixin, ServiceErrorsAsFormErrorsMixin

from . import services
from .models import ApiToken

# The library's own, unscoped key model is not used: its admin would mint keys outside these rules.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


@admin.register(ApiToken)
class ApiTokenAdmin(ServiceErrorsAsFormErrorsMixin, AdministerRequiredMixin, admin.ModelAdmin):
    list_display = ("name", "prefix", "scope", "team", "user", "created", "expiry_date", "last_used_at", "state")
    list_filter = ("scope", "revoked", "team")
    search_fields = ("name", "prefix", "user__username")
    list_select_related = ("team", "user")
    autocomplete_fields = ("user",)
    actions = ["revoke"]
    fields = ("name", "scope", "user", "team", "expiry_date")
    readonly_fields_on_change = (
        "name", "prefix", "scope", "user", "team", "expiry_date", "revoked", "created", "created_by", "last_used_at",
    )

    @admin.display(description="state")
    def state(self, token: ApiToken) -> str:
        return token.state

    def get_fields(self, request, obj=None):
        return self.readonly_fields_on_change if obj is not None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields_on_change if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False

    def get_changeform_initial_data(self, request):
        return {"expiry_date": timezone.now() + timezone.timedelta(days=services.DEFAULT_EXPIRY_DAYS)}

    def save_model(self, request, obj, form, change):
        if change:  # nothing is editable; the form has no fields
            return
        token, key = services.api_token_create(
            client=obj.name, scope=obj.scope, user=obj.user, team=obj.team, expires_at=obj.expiry_date,
            actor=request.user,
        )
        obj.__dict__.update({name: getattr(token, name) for name in ("id", "prefix", "hashed_key", "created")})
        obj._state.adding = False
        messages.warning(
            request,
            f"The token for {token.name} is: {key} — copy it now: it is stored only as a hash and will not "
            "be shown again.",
        )

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        count = 0
        for token in queryset.filter(revoked=False):
            services.api_token_revoke(token=token, actor=request.user)
            count += 1
        messages.success(request, f"Revoked {count} token{'s' if count != 1 else ''}.")
