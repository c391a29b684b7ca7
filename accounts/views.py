from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts import consent
from accounts.forms import ProfileForm
from accounts.models import ConsentSource, User
from accounts.unsubscribe import read_token


@login_required
def profile(request):
    before = consent.current(request.user)
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
            consent.record(
                user, consent.changed_lists(user, before), source=ConsentSource.PROFILE, by=user
            )
        translation.activate(user.language)
        messages.success(request, _("Your profile is saved."))
        return set_language_cookie(redirect("profile"), user.language)
    return render(request, "accounts/profile.html", {"form": form})


@require_POST
def set_language(request):
    """Switch the page language; a logged-in member keeps the choice in their profile."""
    code = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    # Only a path on this site: anything else ("foo", another host) would be read as a view
    # name or send the visitor away.
    if not next_url.startswith("/") or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if code not in dict(settings.LANGUAGES):
        messages.error(request, _("That language is not available."))
        return response
    if request.user.is_authenticated:
        request.user.language = code
        request.user.save(update_fields=["language"])
    translation.activate(code)
    return set_language_cookie(response, code)


def set_language_cookie(response, code):
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=365 * 24 * 60 * 60,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
    )
    return response


@csrf_exempt  # the signed token is the credential; mail clients post here (RFC 8058)
def unsubscribe(request, token):
    found = read_token(token)
    user = User.objects.filter(pk=found[0]).first() if found else None
    if user is None:
        return render(request, "accounts/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        with transaction.atomic():
            consent.set_consent(user, found[1], False, source=ConsentSource.UNSUBSCRIBE)
        return render(request, "accounts/unsubscribe.html", {"done": True, "list": found[1]})
    return render(request, "accounts/unsubscribe.html", {"list": found[1], "token": token})
