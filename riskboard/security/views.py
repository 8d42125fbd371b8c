"""Account pages: change your password, set up and give a second factor."""

from __future__ import annotations

import base64
import logging

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.forms import PasswordChangeForm
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import gate, services
from .forms import OtpTokenForm

security_log = logging.getLogger("riskboard.security")


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return target
    return default


@require_http_methods(["GET", "POST"])
def password_change(request):
    required = gate.state(request).get("password", False)
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_password_change(request=request, user=request.user, form=form)
        messages.success(request, "Your password has been changed. Any other session signed in as you has ended.")
        return redirect(_next_url(request, reverse("home")))
    return render(request, "security/password_change.html",
                  {"form": form, "required": required, "next": _next_url(request, "")})


def _otpauth_svg(uri: str) -> str:
    """The enrolment URI as an SVG QR code (made here: no third-party service sees the secret)."""
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff", title="QR code of the secret")


@require_http_methods(["GET", "POST"])
def two_factor(request):
    """Two-factor status; enrol a TOTP device (secret, otpauth URI and QR code; confirm with a
    code); remove it where it is not required."""
    user = request.user
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    required = gate.two_factor_required(user)
    if confirmed is not None:
        if request.method == "POST" and request.POST.get("action") == "remove" and not required:
            services.totp_device_remove(request=request, user=user)
            messages.success(request, "Two-factor authentication is off.")
            return redirect("security:two-factor")
        return render(request, "security/two_factor.html",
                      {"device": confirmed, "required": required, "verified": request.user.is_verified()})
    device = services.totp_device_unconfirmed(user=user)
    form = OtpTokenForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        services.totp_device_confirm(request=request, device=device)
        messages.success(request, "Two-factor authentication is on. You will be asked for a code at each sign-in.")
        return redirect(_next_url(request, reverse("home")))
    secret = base64.b32encode(device.bin_key).decode("ascii")
    return render(request, "security/two_factor_enrol.html", {
        "form": form, "required": required, "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "otpauth_uri": device.config_url, "qr_svg": _otpauth_svg(device.config_url),
        "next": _next_url(request, ""),
    })


@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """After the password, the code: asked once per session of a user with a device."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None:
        return redirect("security:two-factor")
    if request.user.is_verified():
        return redirect(_next_url(request, reverse("home")))
    form = OtpTokenForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        otp_login(request, device)
        return redirect(_next_url(request, reverse("home")))
    if request.method == "POST":
        security_log.warning(
            "Two-factor code refused", extra={"event": "otp_failed", "user_id": request.user.pk})
    return render(request, "security/two_factor_verify.html", {"form": form, "next": _next_url(request, "")})


def locked_out(request, original_response=None, credentials=None):
    """The page of a refused sign-in while a (username, address) pair is paused (django-axes'
    ``AXES_LOCKOUT_CALLABLE``): 429, with how long the pause lasts."""
    from axes.helpers import get_client_username

    cooloff = settings.AXES_COOLOFF_TIME
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "username": get_client_username(request, credentials) or "",
        "cooloff_minutes": int(cooloff.total_seconds() // 60) if cooloff else None,
    }
    return render(request, "registration/locked_out.html", context, status=429)
