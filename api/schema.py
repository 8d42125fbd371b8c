"""The OpenAPI schema (drf-spectacular): every operation lists the errors it can answer, in the
one error shape of ``api.errors``, and the headers of conditional requests."""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """Every error of the API."""

    status = serializers.IntegerField(help_text="The HTTP status, repeated.")
    code = serializers.CharField(
        help_text="Stable, for programs: invalid, not_authenticated, authentication_failed, permission_denied, "
        "not_found, method_not_allowed, not_acceptable, unsupported_media_type, precondition_failed, "
        "precondition_required, throttled, parse_error."
    )
    detail = serializers.CharField(help_text="What went wrong and what to do, for people.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Messages per input field or query parameter, e.g. {"ratings[0].residual_impact": ["..."]}.',
    )

    class Meta:
        ref_name = "Error"


ERRORS = {
    "400": "The input or a query parameter is not valid: see `fields`.",
    "401": "No token, or a token that is unknown, expired or revoked (`WWW-Authenticate: Token`). A token in "
    "the query string is refused.",
    "403": "Your role or the token's scope does not allow this action.",
    "404": "No such object, or not yours to see.",
    "406": "The Accept header asks for a format this endpoint does not serve.",
    "412": "If-Match does not name the current version: read the object again.",
    "415": "Send JSON (`Content-Type: application/json`).",
    "428": "If-Match is required: send the ETag you read.",
    "429": "Too many requests for this token: wait `Retry-After` seconds.",
}
ETAG_HEADER = OpenApiParameter(
    "ETag", str, OpenApiParameter.HEADER, response=["200", "201"],
    description="The version of what was returned; send it back in If-None-Match (reads) or If-Match (updates).",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match", str, OpenApiParameter.HEADER, required=False,
    description="An ETag you hold: 304 Not Modified when it is still current.",
)
IF_MATCH = OpenApiParameter(
    "If-Match", str, OpenApiParameter.HEADER, required=False,
    description='Required: the ETag of the object as you read it, e.g. "v7". Without it 428, stale 412.',
)


class AutoSchema(openapi.AutoSchema):
    """Adds the documented errors, 304 and the conditional headers to every operation."""

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method == "GET":
            parameters += [IF_NONE_MATCH, ETAG_HEADER]
        elif getattr(self.view, "needs_if_match", lambda action: False)(getattr(self.view, "action", None)):
            parameters += [IF_MATCH, ETAG_HEADER]
        else:
            parameters.append(ETAG_HEADER)
        return parameters

    def _error_codes(self) -> list[str]:
        codes = ["400", "401", "403", "406", "429"]
        if "{" in self.path:
            codes.append("404")
        if self.method in ("POST", "PUT", "PATCH"):
            codes.append("415")
        if getattr(self.view, "needs_if_match", lambda action: False)(getattr(self.view, "action", None)):
            codes += ["412", "428"]
        return sorted(codes)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self.method == "GET":
            responses["304"] = {"description": "Not modified: the ETag in If-None-Match is current."}
        for code in self._error_codes():
            response = self._get_response_for_code(ErrorSerializer, code, media_types=["application/json"])
            response["description"] = ERRORS[code]
            responses.setdefault(code, response)
        return responses


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiTokenAuthentication"
    name = "token"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`: the key printed once by `manage.py create_api_token` or shown once in "
            "the admin. Never in the query string.",
        }
