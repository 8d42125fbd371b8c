"""Django's User and Group admin, wrapped so that ``riskboard.permissions`` decides who uses them.

Only administrators (``can_manage_accounts``) see, add or change users and groups; Django's model
permissions still apply on top, so a staff account with ``auth.change_user`` and no Administrator
role changes nothing. A superuser's account is changed only by a superuser (``can_change_account``).
The form never offers superuser status (``can_grant_superuser_on_the_web``): it is granted on the
command line (``manage.py superuser_grant``).
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from riskboard.permissions import can_change_account, can_grant_superuser_on_the_web, can_manage_accounts

from .models import SignIn

User = get_user_model()


class AccountsAdminMixin:
    """Nothing listed, shown or written without ``can_manage_accounts``."""

    def has_module_permission(self, request):
        return can_manage_accounts(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return can_manage_accounts(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return can_manage_accounts(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return can_manage_accounts(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return can_manage_accounts(request.user) and super().has_delete_permission(request, obj)


for model in (User, Group):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(User)
class AccountUserAdmin(AccountsAdminMixin, UserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "is_active", "is_staff", "is_superuser")
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")

    def get_readonly_fields(self, request, obj=None):
        # Shown, never a form field: a posted value is ignored.
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly if can_grant_superuser_on_the_web(request.user) else (*readonly, "is_superuser")

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and can_change_account(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and can_change_account(request.user, obj)

    def save_model(self, request, obj, form, change):
        # The form has no such field; this guards against one added later, or a forged instance.
        stored = User._default_manager.filter(pk=obj.pk).values_list("is_superuser", flat=True).first() if change \
            else False
        if bool(obj.is_superuser) != bool(stored) and not can_grant_superuser_on_the_web(request.user):
            raise PermissionDenied("Superuser status is granted on the command line only (manage.py superuser_grant).")
        super().save_model(request, obj, form, change)


@admin.register(Group)
class AccountGroupAdmin(AccountsAdminMixin, GroupAdmin):
    pass


@admin.register(SignIn)
class SignInAdmin(AccountsAdminMixin, admin.ModelAdmin):
    """Sign-in attempts, read-only (the audit trail keeps the permanent copy)."""

    list_display = ("at", "outcome", "username", "user", "ip_address")
    list_filter = ("outcome",)
    search_fields = ("username", "ip_address")
    list_select_related = ("user",)
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
