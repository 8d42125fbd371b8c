"""Project-level pages: the home redirect and signing out."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect

from riskboard.permissions import primary_role
from riskboard.roles import Role

# Where each role starts; every role starts on the agreements list until dashboards exist.
HOME_BY_ROLE = {
    Role.ANALYST: "assessments:agreement-list",
    Role.MANAGER: "assessments:agreement-list",
    Role.ADMINISTRATOR: "assessments:agreement-list",
    Role.AUDITOR: "assessments:agreement-list",
}


def home(request):
    return redirect(HOME_BY_ROLE.get(primary_role(request.user), "assessments:agreement-list"))


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Signing out is a POST (Django refuses GET); it says so on the login page afterwards."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.success(request, "You have signed out.")
        return response
