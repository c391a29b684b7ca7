"""The member's testimonial page: write one, and see the last few with their review status."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.exceptions import DomainError
from surveys import services
from surveys.forms import TestimonialForm
from surveys.models import Testimonial, TestimonialStatus


@login_required
def testimonial_new(request):
    form = TestimonialForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_testimonial(
                request.user, form.cleaned_data["rating"], form.cleaned_data["text"]
            )
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Thank you! We will read it and publish it soon."))
            return redirect("portal")
    mine = Testimonial.objects.filter(user=request.user).order_by("-created_at")[:5]
    return render(
        request,
        "surveys/testimonial_form.html",
        {"form": form, "mine": mine, "pending": TestimonialStatus.PENDING},
    )
