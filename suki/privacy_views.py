"""The member's own personal-data pages: download my data, delete my account."""

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from suki import privacy
from suki.models import PrivacySource


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    understood = forms.BooleanField(
        label=gettext_lazy("I understand that my points, vouchers and account are gone for good."),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your password."))
        return password


def data_response(user, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{privacy.export_filename(user)}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def my_data(request):
    if request.method != "POST":
        return render(request, "suki/my_data.html")
    content = privacy.export(request.user, source=PrivacySource.PORTAL, by=request.user)
    return data_response(request.user, content)


@login_required
def delete_account(request):
    if request.user.is_staff:
        messages.error(request, _("A staff account is closed by an owner in the admin."))
        return redirect("profile")
    form = DeleteAccountForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        privacy.erase(user, source=PrivacySource.PORTAL, by=None)
        logout(request)
        return redirect("account_deleted")
    return render(request, "suki/delete_account.html", {"form": form})


def account_deleted(request):
    return render(request, "suki/account_deleted.html")
