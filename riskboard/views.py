"""Project-level pages: the home redirect and signing out."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect

from riskboard.permissions import primary_role
from riskboard.roles import Role
from riskboard.security import sessions


def home(request):
    """Each role lands on its own page: analysts on what to do next, managers and administrators
    on the dashboard, auditors on the dashboard too (read-only: they approve nothing). Without a
    role, the agreements list explains how to join a team."""
    role = primary_role(request.user)
    if role == Role.ANALYST:
        return redirect("dashboards:analyst-home")
    if role in (Role.MANAGER, Role.ADMINISTRATOR, Role.AUDITOR):
        return redirect("dashboards:dashboard")
    return redirect("assessments:agreement-list")


class LoginView(auth_views.LoginView):
    """Sign in. Repeated failures from one address lock that (username, address) out for a while
    (django-axes: settings.AXES_*); the page then says so (registration/locked_out.html)."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Why the last session ended (idle or too old), said once.
        context["session_ended"] = sessions.ended_message(self.request.session.pop(sessions.ENDED_KEY, None))
        return context


class LogoutView(auth_views.LogoutView):
    """Signing out is a POST (Django refuses GET); it says so on the login page afterwards."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.success(request, "You have signed out.")
        return response
