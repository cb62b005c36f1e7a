"""Request bodies and file parts: only as large as the endpoint can use, files only where taken.

Three layers, outermost first:
- `BodyLimitASGI` (sispam/asgi.py) answers 413 to a body larger than the endpoint its path
  resolves to can use (`body_cap`: REQUEST_MAX_BYTES where files are taken, else
  DATA_UPLOAD_MAX_MEMORY_SIZE plus a little multipart framing) before Django reads it: under
  ASGI Django reads (and spools) the whole body before any middleware runs.
- `UploadGuardMiddleware` answers 413 the same way by Content-Length (under any other server)
  and, for a multipart body, puts `ExpectedUploadsHandler` first: a file part under a name the
  endpoint does not take, or a file over 10 MB, stops the parse at once with a 400.
- An endpoint that takes files says which fields: `@accepts_uploads("photos")` on a view
  function or a DRF action (or `upload_fields = (...)` on an APIView).
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

FRAMING_BYTES = 64 * 1024  # multipart boundaries and part headers around the form's fields
UPLOAD_MAX_BYTES = 10 * 1024 * 1024  # one file: the largest a photo or a CSV may be


class UploadRefused(MultiPartParserError):
    """A file part the endpoint does not take, or too large (Django and DRF answer 400)."""


def accepts_uploads(*fields: str):
    """Mark a view function or a DRF action as taking file parts under these field names."""

    def mark(func):
        func.upload_fields = frozenset(fields)
        return func

    return mark


def upload_fields_for(view_func, method: str) -> frozenset:
    """The file fields the view resolved for this request takes (empty: none)."""
    cls = getattr(view_func, "cls", None)
    if cls is None:
        return frozenset(getattr(view_func, "upload_fields", ()))
    actions = getattr(view_func, "actions", None)  # a DRF viewset: {"post": "photos"}
    if actions:
        handler = getattr(cls, actions.get(method.lower(), ""), None)
        return frozenset(getattr(handler, "upload_fields", ()))
    return frozenset(getattr(cls, "upload_fields", ()))


class ExpectedUploadsHandler(FileUploadHandler):
    """First upload handler: refuses unexpected or oversized file parts as they arrive."""

    def __init__(self, request, allowed: frozenset):
        super().__init__(request)
        self.allowed = allowed
        self.received = 0

    def new_file(self, field_name, *args, **kwargs):
        if field_name not in self.allowed:
            raise UploadRefused(_("Berkas tidak diterima di sini (%(f)s).") % {"f": field_name})
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > UPLOAD_MAX_BYTES:
            raise UploadRefused(_("Berkas lebih dari 10 MB."))
        return raw_data

    def file_complete(self, file_size):
        return None


def _too_large() -> HttpResponse:
    return HttpResponse(
        _("Kiriman terlalu besar."), status=413, content_type="text/plain; charset=utf-8"
    )


class UploadGuardMiddleware:
    """Caps the body by what the resolved view takes; must come before CsrfViewMiddleware
    (which reads the POST) so the handler is in place before anything parses the body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method not in {"POST", "PUT", "PATCH"}:
            return None
        if request.path.startswith("/admin/"):
            return None  # Django's admin: staff only, its own forms
        allowed = upload_fields_for(view_func, request.method)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > body_cap(allowed):
            return _too_large()
        if request.content_type == "multipart/form-data":
            request.upload_handlers.insert(0, ExpectedUploadsHandler(request, allowed))
        return None


def body_cap(allowed: frozenset) -> int:
    """The largest body an endpoint taking these file fields can use."""
    if allowed:
        return settings.REQUEST_MAX_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE + FRAMING_BYTES


def body_cap_for_scope(scope) -> int:
    """body_cap for the view an ASGI request's path resolves to (no view: the small cap)."""
    path = scope.get("path", "")
    if path.startswith("/admin/"):
        return settings.REQUEST_MAX_BYTES
    try:
        match = resolve(path)
    except Resolver404:
        return body_cap(frozenset())
    return body_cap(upload_fields_for(match.func, scope.get("method", "GET")))


class BodyLimitASGI:
    """ASGI wrapper: 413 for a body over what the resolved endpoint takes (body_cap), declared
    or streamed, before the application reads it (the proxy in front caps it too)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = body_cap_for_scope(scope)
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    return await self._refuse(send)
        received = 0
        refused = False

        async def limited_receive():
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    await self._refuse(send)
                    return {"type": "http.disconnect"}  # Django stops reading (RequestAborted)
            return message

        async def guarded_send(message):
            if not refused:
                await send(message)

        return await self.app(scope, limited_receive, guarded_send)

    @staticmethod
    async def _refuse(send):
        body = b"Request body too large.\n"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
