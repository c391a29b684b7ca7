"""What every endpoint of the till API shares: till-key authentication, scope permissions,
the per-key rate limit, RFC 9457 problem documents and `Idempotency-Key` handling.

Kept apart from the views (loyalty/api.py, rewards/api.py) because the REST framework settings
name these classes, and a settings module must not import the framework's views.

Status codes of broken rules (`DomainError`): a `...NotFound` error is 404; an `Invalid...` or
`Missing...` error (the request's values cannot be used: fix them and send again) is 422; any
other (the card, voucher, receipt or branch is in a state that refuses it, such as a blocked
card, a receipt used on another card, a closed branch) is 409.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import time
from datetime import timedelta
from http import HTTPStatus

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework_api_key.permissions import KeyParser

from core.exceptions import DomainError
from loyalty import services
from loyalty.models import IdempotentRequest, Scope, Store, TillKey

logger = logging.getLogger("suki.api")

PROBLEM_JSON = "application/problem+json"
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX_LENGTH = 255


# Errors ------------------------------------------------------------------------------------


def _slug(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def domain_status(error: DomainError) -> int:
    """The HTTP status of a broken rule; see the module docstring."""
    name = type(error).__name__
    if name.endswith("NotFound"):
        return 404
    if name.startswith(("Invalid", "Missing")):
        return 422
    return 409


def problem_body(status: int, slug: str, title: str, detail: str, **members) -> dict:
    """An RFC 9457 problem document; `type` is a stable address per kind of problem."""
    return {
        "type": f"/api/problems/{slug}",
        "title": str(title),
        "status": status,
        "detail": str(detail),
        **members,
    }


def problem(status: int, slug: str, title: str, detail: str, **members) -> Response:
    body = problem_body(status, slug, title, detail, **members)
    return Response(body, status=status, content_type=PROBLEM_JSON)


def _first_message(errors) -> str:
    if isinstance(errors, dict):
        errors = next(iter(errors.values()), "")
    if isinstance(errors, list):
        return _first_message(errors[0]) if errors else ""
    return str(errors)


def exception_handler(error, context):
    """DRF's exception handler for the whole API: every error is a problem document."""
    if isinstance(error, DomainError):
        status = domain_status(error)
        title = getattr(type(error), "message", "") or _("That cannot be done.")
        return problem(status, _slug(type(error).__name__), title, str(error))
    if isinstance(error, Http404):
        error = exceptions.NotFound()
    if isinstance(error, SuspiciousOperation):
        error = exceptions.ParseError(_("The request cannot be read."))
    if isinstance(error, exceptions.ValidationError):
        errors = error.detail if isinstance(error.detail, dict) else {"body": error.detail}
        return problem(
            422,
            "invalid-fields",
            _("Some fields are not valid."),
            _first_message(errors),
            errors=errors,
        )
    if not isinstance(error, exceptions.APIException):
        return None  # a bug: Django answers 500 and the transaction rolls back
    response = problem(
        error.status_code,
        _slug_code(error),
        _title(error),
        _first_message(error.detail),
    )
    if getattr(error, "auth_header", None):
        response["WWW-Authenticate"] = error.auth_header
    if getattr(error, "wait", None):
        response["Retry-After"] = str(int(error.wait))
    return response


def _slug_code(error) -> str:
    codes = error.get_codes()
    code = codes if isinstance(codes, str) else getattr(error, "default_code", "error")
    return code.replace("_", "-")


def _title(error) -> str:
    return HTTPStatus(error.status_code).phrase


# Keys, scopes and limits -------------------------------------------------------------------

LAST_USED_EVERY = timedelta(minutes=1)


def usable_key(text: str) -> TillKey | None:
    """The till key this text is, with its branch, or None for an unknown, revoked or
    expired key."""
    prefix, dot, _rest = text.partition(".")
    if not dot or not prefix or "\0" in text or len(text) > 200:
        return None
    key = TillKey.objects.select_related("store").filter(prefix=prefix, revoked=False).first()
    if key is None or key.has_expired or not key.is_valid(text):
        return None
    return key


class TillKeyAuthentication(BaseAuthentication):
    """`Authorization: Api-Key <key>`: `request.auth` is the `TillKey`. Marks the key used at
    most once a minute, so a busy till does not write on every request."""

    keyword = KeyParser.keyword

    def authenticate(self, request):
        text = KeyParser().get_from_authorization(request)
        if text is None:
            return None
        key = usable_key(text.strip())
        if key is None:
            raise exceptions.AuthenticationFailed(
                _("This key is not valid: it is unknown, expired or revoked.")
            )
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at >= LAST_USED_EVERY:
            TillKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
        return AnonymousUser(), key

    def authenticate_header(self, request):
        return self.keyword


class HasTillKey(BasePermission):
    """A request from a till: a valid key, whatever its scopes."""

    def has_permission(self, request, view):
        return isinstance(request.auth, TillKey)


class _ScopePermission(HasTillKey):
    scope: str = ""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if request.auth.allows(self.scope):
            return True
        self.message = _("This key may not do this: it needs the scope “%(scope)s” (%(what)s).") % {
            "scope": self.scope,
            "what": Scope(self.scope).label,
        }
        return False


@functools.cache
def requires(scope: str) -> type[BasePermission]:
    """The permission class for one scope: 401 without a key, 403 naming the missing scope."""
    name = "Requires_" + re.sub(r"\W", "_", str(scope))
    return type(name, (_ScopePermission,), {"scope": str(scope)})


class TillKeyThrottle(BaseThrottle):
    """Each key's `requests_per_minute`, counted per calendar minute in the cache. A cache that
    is down or forgets the count lets the request through: a till must keep selling."""

    def __init__(self):
        self.wait_seconds = None

    def allow_request(self, request, view):
        key = request.auth
        if not isinstance(key, TillKey):
            return True
        now = time.time()
        minute = int(now // 60)
        counter = f"api-rate:{key.pk}:{minute}"
        try:
            cache.add(counter, 0, timeout=90)
            count = cache.incr(counter)
        except Exception as error:  # noqa: BLE001 - any cache failure fails open
            logger.warning("Rate limit not counted: %s", error)
            return True
        if count <= key.requests_per_minute:
            return True
        self.wait_seconds = max(1, int(60 - now % 60))
        return False

    def wait(self):
        return self.wait_seconds


def till_branch(request) -> Store:
    """The branch the key writes in; BranchClosed (409) when it is closed."""
    return services.branch_for(request.auth.store)


# Idempotency -------------------------------------------------------------------------------


def _answer(view, request, args, kwargs) -> Response:
    """The view's response, with a refusal turned into its problem document here (not by DRF
    after the transaction), so that it is kept and replayed like any other answer."""
    try:
        return view(request, *args, **kwargs)
    except Exception as error:
        response = exception_handler(error, {"request": request})
        if response is None:
            raise
        return response


def _replay(record) -> Response:
    response = Response(
        record.response,
        status=record.status_code,
        content_type=PROBLEM_JSON if record.status_code >= 400 else None,
    )
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(view):
    """Keep a write's first answer under its `Idempotency-Key`.

    The key's row is inserted first, in the same transaction as the work: a concurrent retry's
    insert waits on the unique index until the first request commits, then fails, and the
    retry reads and replays the stored answer. A server error rolls back work and row alike."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is None:
            return view(request, *args, **kwargs)
        if not key or len(key) > IDEMPOTENCY_KEY_MAX_LENGTH or "\0" in key:
            raise exceptions.ParseError(
                _("The Idempotency-Key header must be 1 to 255 characters.")
            )
        fingerprint = hashlib.sha256(
            b"\n".join([request.method.encode(), request.path.encode(), request.body])
        ).hexdigest()
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotentRequest.objects.create(
                        till_key=request.auth, key=key, fingerprint=fingerprint
                    )
            except IntegrityError:
                record = None
            if record is not None:
                response = _answer(view, request, args, kwargs)
                if response.status_code >= 500:
                    transaction.set_rollback(True)
                    return response
                record.status_code = response.status_code
                record.response = json.loads(JSONRenderer().render(response.data))
                record.save(update_fields=["status_code", "response"])
                return response
        record = IdempotentRequest.objects.get(till_key=request.auth, key=key)
        if record.fingerprint != fingerprint:
            return problem(
                422,
                "idempotency-key-reused",
                _("This Idempotency-Key was used for another request."),
                _(
                    "This Idempotency-Key was already used with another request; "
                    "use a new key for a new request."
                ),
            )
        return _replay(record)

    return wrapper
