from django.urls import path

from . import views

app_name = "security"

urlpatterns = [
    path("password/", views.password_change, name="password-change"),
    path("two-factor/", views.two_factor, name="two-factor"),
    path("two-factor/verify/", views.two_factor_verify, name="two-factor-verify"),
]
