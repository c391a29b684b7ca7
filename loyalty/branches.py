"""Which branch a counter device works in: chosen once per device and remembered in a signed
cookie; a staff member an owner limited to some branches can choose only those."""

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet

from loyalty.models import Store

COOKIE = "suki_branch"
COOKIE_SALT = "loyalty.branch"
COOKIE_AGE = 60 * 60 * 24 * 365 * 5  # a till stays in its branch


def allowed(user) -> QuerySet[Store]:
    """The open branches this person may work at: every one for a superuser and for anyone
    an owner ticked at no branch, else the ones they are ticked at. One query."""
    stores = Store.objects.filter(is_open=True)
    if user.is_superuser:
        return stores
    ticked = Store.staff.through.objects.filter(user=user)
    return stores.filter(Exists(ticked.filter(store=OuterRef("pk"))) | ~Exists(ticked))


def current(request) -> Store | None:
    """The branch this device chose, if this person may still work there; else the only
    branch they may work at; else None (they must choose). One query."""
    stores = list(allowed(request.user))
    pk = request.get_signed_cookie(COOKIE, default=None, salt=COOKIE_SALT)
    chosen = next((store for store in stores if str(store.pk) == pk), None)
    if chosen is None and len(stores) == 1:
        return stores[0]
    return chosen


def remember(response, store: Store):
    response.set_signed_cookie(
        COOKIE,
        str(store.pk),
        salt=COOKIE_SALT,
        max_age=COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response
