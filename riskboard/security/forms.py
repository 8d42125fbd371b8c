"""Forms of the account pages: shape only; the writes are in services."""

from __future__ import annotations

from django import forms


class OtpTokenForm(forms.Form):
    otp_token = forms.CharField(
        label="Code from your authenticator app", min_length=6, max_length=8,
        help_text="Six digits; a new code appears every 30 seconds.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args, device=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_otp_token(self) -> str:
        token = self.cleaned_data["otp_token"].replace(" ", "")
        if not token.isdigit():
            raise forms.ValidationError("Enter the digits shown by your authenticator app.")
        if self.device is not None:
            allowed, details = self.device.verify_is_allowed()
            if not allowed and details and details.get("locked_until"):
                raise forms.ValidationError(
                    "Too many wrong codes: wait until %(time)s UTC, then enter the current code.",
                    params={"time": details["locked_until"].strftime("%H:%M:%S")},
                )
        if self.device is None or not self.device.verify_token(token):
            raise forms.ValidationError("That code is not valid. Check your device's clock and enter the current code.")
        return token
