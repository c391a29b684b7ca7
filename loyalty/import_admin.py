"""The owner's member import in the admin: upload a file, read the dry run, confirm.

The uploaded file waits for the confirmation in the cache (shared by every instance in
production) for an hour, under a random key the page carries signed for the owner who sent it.
It holds members' personal data, so it is removed once imported and expires if never confirmed.
"""

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from import_export.tmp_storages import CacheStorage

from accounts.roles import is_owner
from core.admin import admin_context
from loyalty import imports
from loyalty.forms import ConfirmImportForm, MemberImportForm
from loyalty.models import Card

SALT = "loyalty.member-import"
KEEP_SECONDS = 60 * 60
# A preview lists every row with a problem, and this many of the others of each kind.
ROWS_SHOWN = 200


class KeptUpload(CacheStorage):
    CACHE_LIFETIME = KEEP_SECONDS
    CACHE_PREFIX = "member-import-"


def _owner_only(request) -> None:
    if not is_owner(request.user):
        raise PermissionDenied


def upload(request):
    """The upload form; a sent file is read, checked and imported in a dry run, and the
    preview shows what confirming would do."""
    _owner_only(request)
    form = MemberImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        content = form.cleaned_data["file"].read()
        try:
            member_file = imports.read_members(content)
        except imports.ImportFileError as error:
            form.add_error("file", str(error))
        else:
            report = imports.run_import(member_file, staff=request.user, dry_run=True)
            confirm = None
            if report.good:
                kept = KeptUpload()
                kept.save(content)
                token = signing.dumps({"key": kept.name, "user": request.user.pk}, salt=SALT)
                confirm = ConfirmImportForm(initial={"upload": token})
            return _report_page(request, report, confirm=confirm)
    context = admin_context(
        request,
        title=_("Import members"),
        form=form,
        opts=Card._meta,
        max_rows=imports.MAX_ROWS,
    )
    return render(request, "admin/loyalty/card/import.html", context)


def _kept_upload(request) -> tuple[KeptUpload, bytes] | None:
    form = ConfirmImportForm(request.POST)
    if not form.is_valid():
        return None
    try:
        kept = signing.loads(form.cleaned_data["upload"], salt=SALT, max_age=KEEP_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(kept, dict) or kept.get("user") != request.user.pk:
        return None
    storage = KeptUpload(name=str(kept.get("key")))
    content = storage.read()
    return (storage, content) if isinstance(content, bytes) else None


@require_POST
def confirm(request):
    """Import the file shown in the preview, checked again: the good rows are saved together,
    the others are listed. Sent twice, the second import finds every row already imported."""
    _owner_only(request)
    kept = _kept_upload(request)
    if kept is None:
        messages.error(
            request,
            _("That upload is no longer waiting to be imported. Please upload the file again."),
        )
        return redirect("admin:loyalty_card_import")
    storage, content = kept
    report = imports.run_import(imports.read_members(content), staff=request.user, dry_run=False)
    storage.remove()
    imported = len(report.good)
    messages.success(
        request,
        ngettext("%(count)s member imported.", "%(count)s members imported.", imported)
        % {"count": imported},
    )
    return _report_page(request, report)


def _report_page(request, report: imports.ImportReport, *, confirm=None):
    good, already = report.good, report.already_imported
    if report.dry_run:
        title = _("Check the import before anything is saved")
    else:
        title = _("Import finished")
    context = admin_context(
        request,
        title=title,
        opts=Card._meta,
        report=report,
        good=good[:ROWS_SHOWN],
        good_hidden=max(len(good) - ROWS_SHOWN, 0),
        good_count=len(good),
        already=already[:ROWS_SHOWN],
        already_hidden=max(len(already) - ROWS_SHOWN, 0),
        already_count=len(already),
        problems=report.with_problems,
        confirm=confirm,
    )
    return render(request, "admin/loyalty/card/import_report.html", context)
