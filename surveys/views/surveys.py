"""Member and public survey pages: the list, answering (by link, slip or invitation), thanks."""

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import DomainError
from surveys import selectors, services
from surveys.exceptions import InvalidVisitLink
from surveys.forms import SurveyForm
from surveys.models import Audience, Invitation, Survey


@login_required
def survey_list(request):
    surveys = selectors.open_surveys_for(request.user)
    return render(request, "surveys/list.html", {"surveys": surveys})


@login_required
def answer(request, survey_id):
    # A post-visit survey is answered for one visit (invitation or slip), never on its own.
    survey = get_object_or_404(Survey, pk=survey_id, is_post_visit=False)
    return _answer(request, survey, user=request.user)


def public_answer(request, token):
    survey = get_object_or_404(Survey, public_token=token, audience=Audience.PUBLIC)
    user = request.user if request.user.is_authenticated else None
    if user is None and not survey.allow_anonymous:
        return redirect(f"{reverse('account_login')}?next={request.path}")
    return _answer(request, survey, user=user)


def visit_answer(request, token):
    """The survey slip printed with a receipt: one answer per purchase, no login needed."""
    try:
        purchase = services.purchase_for_token(token)
    except InvalidVisitLink as error:
        return render(request, "surveys/closed.html", {"message": str(error)}, status=404)
    survey = selectors.post_visit_survey()
    if survey is None:
        raise Http404
    user = request.user if request.user.is_authenticated else None
    return _answer(request, survey, user=user, purchase=purchase)


@login_required
def invitation_answer(request, invitation_id):
    invitation = get_object_or_404(
        Invitation.objects.select_related("survey", "purchase"), pk=invitation_id, user=request.user
    )
    return _answer(request, invitation.survey, user=request.user, purchase=invitation.purchase)


def _answer(request, survey, *, user, purchase=None):
    questions = selectors.questions(survey)
    form = SurveyForm(questions, request.POST or None)
    error = selectors.refusal(
        survey, user=user, purchase=purchase, session_key=_session_key(request)
    )
    # A closed or already answered survey shows its reason, not a form to retry.
    show_form = error is None
    if error is None and request.method == "POST" and form.is_valid():
        if user is None and not ratelimit.consume(request, action="survey_answer"):
            # Keep what was typed: the answers can be sent later.
            error = _("Too many answers from your network. Please try again later.")
        else:
            try:
                response = services.submit_response(
                    survey,
                    form.answers(),
                    user=user,
                    purchase=purchase,
                    session_key=_session_key(request, create=True) if user is None else "",
                )
            except DomainError as refusal:
                error = str(refusal)
                show_form = False
            else:
                request.session[f"survey-thanks-{survey.pk}"] = response.pk
                return redirect("survey_thanks", survey_id=survey.pk)
    context = {
        "survey": survey,
        "form": form,
        "error": error,
        "show_form": show_form,
        "preview": False,
    }
    return render(request, "surveys/answer.html", context)


def _session_key(request, *, create=False):
    if create and not request.session.session_key:
        request.session.save()
    return request.session.session_key or ""


def thanks(request, survey_id):
    survey = get_object_or_404(Survey, pk=survey_id)
    response_id = request.session.get(f"survey-thanks-{survey.pk}")
    if response_id is None:
        raise Http404
    bonus = selectors.bonus_for_response(response_id)
    return render(request, "surveys/thanks.html", {"survey": survey, "bonus": bonus})


@login_required
@require_POST
def dismiss(request, invitation_id):
    invitation = get_object_or_404(Invitation, pk=invitation_id, user=request.user)
    services.dismiss_invitation(invitation)
    messages.info(request, _("No problem. We will ask again another time."))
    return redirect("portal")
