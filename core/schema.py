"""OpenAPI generation: drf-spectacular's AutoSchema plus the error answers every API gives.

drf-spectacular documents only the success answer of an operation; the API also answers 400
(bad input, core/drf.py), 401/403 (token and role, core/access.py), 404 (an id or a page that
is not there), 409 (append-only rows), 413/415 on bodies (core/uploads.py, DRF's parsers), 429
where a view is throttled and 503 during an outage (core/middleware.py). A client generated from
the schema, and the schema fuzz test (tests/test_schema_fuzz.py), must know them all.

Some bodies depend on the reader: a serializer drops the fields a role may not read (the TPS's
override reason, everything but time, place and state of an incident for the KPU liaison). Such
a serializer names them in `Meta.role_dependent_fields`; the schema lists them but does not
require them (drf-spectacular requires every read-only field otherwise).
"""

from drf_spectacular.openapi import AutoSchema

# Every JSON error carries a human `detail` (or field-level messages) and a stable `code`.
ERROR_BODY = {
    "type": "object",
    "properties": {
        "detail": {"description": "What went wrong, for a person."},
        # A string, except in a 400 on a body with a field called `code` (its messages).
        "code": {"description": "Stable machine-readable error code."},
    },
    "additionalProperties": {"description": "Field-level messages of a 400."},
}
ERRORS = {
    "400": "Bad input: a field-level message per field, or `detail`.",
    "401": "No valid token or session.",
    "403": "The role may not do this.",
    "404": "No such object (or not visible to the caller), or no such page.",
    "409": "The row is append-only.",
    "413": "The body is larger than this endpoint takes.",
    "415": "The body's content type is not accepted.",
    "429": "Too many requests; Retry-After says when to try again.",
    "503": "The database or Redis is unreachable; Retry-After says when to try again.",
}
# Plain text, answered by middleware before DRF (core/uploads.py).
TEXT_ERRORS = {"413"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
BODIES = {"POST", "PUT", "PATCH"}


class ErrorDocumentingAutoSchema(AutoSchema):
    """AutoSchema that adds the documented error answers to each operation."""

    def _error_codes(self) -> list[str]:
        codes = ["400", "401", "403", "404", "503"]
        if self.method in WRITES:
            codes.append("409")
        if self.method in BODIES:
            codes += ["413", "415"]
        if getattr(self.view, "throttle_classes", None):
            codes.append("429")
        return codes

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        optional = set(getattr(getattr(serializer, "Meta", None), "role_dependent_fields", ()))
        if optional and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in optional]
            if not schema["required"]:
                del schema["required"]
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction=direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code in responses:
                continue
            if code in TEXT_ERRORS:
                content = {"text/plain": {"schema": {"type": "string"}}}
            else:
                content = {"application/json": {"schema": ERROR_BODY}}
            responses[code] = {"content": content, "description": ERRORS[code]}
        return responses
