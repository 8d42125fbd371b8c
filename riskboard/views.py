"""Project-level pages: the home redirect and signing out."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect


def home(request):
    """Every role starts on the agreements list (until role dashboards exist); a visitor who is not
    signed in is sent on to sign in from there."""
    return redirect("assessments:agreement-list")


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Signing out is a POST (Django refuses GET); it says so on the login page afterwards."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.success(request, "You have signed out.")
        return response
