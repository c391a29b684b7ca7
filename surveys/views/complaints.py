"""Member and public complaint pages: filing a case, following it, replying, rating the
handling (also by the e-mailed link) and reopening."""

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import DomainError
from core.inputs import row_id
from loyalty.models import PointTransaction
from surveys import services
from surveys.forms import ComplaintForm, MemberComplaintForm, RatingForm, ReplyForm
from surveys.models import Complaint, ComplaintCategory, ComplaintChannel


@login_required
def complaint_list(request):
    complaints = Complaint.objects.filter(user=request.user).order_by("-created_at")[:200]
    return render(request, "surveys/complaints.html", {"complaints": complaints})


@login_required
def complaint_new(request):
    line = None
    line_id = request.GET.get("line") or request.POST.get("line")
    if line_id:
        # "Question this" on a points line: only the member's own lines (404 otherwise).
        line = get_object_or_404(PointTransaction, pk=row_id(line_id), card__user=request.user)
    initial = {"phone": request.user.phone}
    if line is not None:
        initial.update(category=ComplaintCategory.BILLING, receipt_number=line.reference)
    form = MemberComplaintForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        complaint = services.file_complaint(
            **form.complaint_fields(),
            user=request.user,
            name=request.user.get_full_name() or request.user.email,
            email=request.user.email,
            channel=ComplaintChannel.PORTAL,
            disputed_line=line,
        )
        messages.success(
            request,
            _("Thank you. Your reference is %(reference)s; we have e-mailed it to you.")
            % {"reference": complaint.reference},
        )
        return redirect("complaint", reference=complaint.reference)
    return render(request, "surveys/complaint_form.html", {"form": form, "line": line})


def contact(request):
    """The public complaint and contact form, for anyone."""
    if request.user.is_authenticated and not request.user.is_staff:
        return redirect("complaint_new")  # members file from the portal and can follow it there
    if request.method == "POST" and not ratelimit.consume(request, action="contact_form"):
        # Every attempt counts, refused ones too; over the limit the upload is not even
        # opened, so a flood of bad pictures costs no image work.
        form = ComplaintForm(request.POST)
        form.add_error(None, _("Too many messages from your network. Please try again later."))
        return render(request, "surveys/contact.html", {"form": form})
    form = ComplaintForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        complaint = services.file_complaint(
            **form.complaint_fields(), channel=ComplaintChannel.PUBLIC_FORM
        )
        return render(request, "surveys/complaint_received.html", {"complaint": complaint})
    return render(request, "surveys/contact.html", {"form": form})


def _own(request, reference):
    return get_object_or_404(Complaint, reference=reference, user=request.user)


@login_required
def complaint_detail(request, reference):
    complaint = _own(request, reference)
    public_messages = complaint.messages.filter(internal=False).select_related("author")
    context = {
        "complaint": complaint,
        "thread": public_messages,
        "reply_form": ReplyForm(),
        "rating_form": RatingForm(),
        "can_reopen": services.can_reopen(complaint),
    }
    return render(request, "surveys/complaint.html", context)


@login_required
@require_POST
def complaint_reply(request, reference):
    complaint = _own(request, reference)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.reply(complaint, form.cleaned_data["body"], author=request.user)
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Your reply is sent."))
    else:
        messages.error(request, " ".join(form.errors.get("body", [])))
    return redirect("complaint", reference=complaint.reference)


@login_required
@require_POST
def complaint_rate(request, reference):
    complaint = _own(request, reference)
    _rate(request, complaint, RatingForm(request.POST))
    return redirect("complaint", reference=complaint.reference)


def rate_by_link(request, token):
    """The rating link from the resolution e-mail: works without logging in."""
    try:
        complaint = services.complaint_for_rating_token(token)
    except DomainError as error:
        return render(request, "surveys/closed.html", {"message": str(error)}, status=404)
    form = RatingForm(request.POST or None)
    if request.method == "POST" and _rate(request, complaint, form):
        return render(request, "surveys/rated.html", {"complaint": complaint})
    return render(request, "surveys/rate.html", {"complaint": complaint, "form": form})


def _rate(request, complaint, form):
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return False
    try:
        services.rate_handling(complaint, form.cleaned_data["rating"], form.cleaned_data["comment"])
    except DomainError as error:
        messages.error(request, str(error))
        return False
    messages.success(request, _("Thank you for rating how we handled your case."))
    return True


@login_required
@require_POST
def complaint_reopen(request, reference):
    complaint = _own(request, reference)
    try:
        services.reopen(complaint, by=request.user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Your case is open again. We will be in touch."))
    return redirect("complaint", reference=complaint.reference)
