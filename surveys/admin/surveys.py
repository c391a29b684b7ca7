"""The owner's survey admin: surveys with their questions, results with filters and the CSV
export, the preview and the QR poster, and the read-only list of responses."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import (
    CheckedDateHierarchyMixin,
    EstimatedCountPaginator,
    ReadOnlyAdminMixin,
    admin_context,
    query_without,
)
from core.codes import qr_svg
from core.exports import csv_download
from loyalty.models import Tier
from surveys import results, selectors, services
from surveys.forms import SurveyForm
from surveys.models import CHOICE_KINDS, Audience, Choice, Question, Response, Survey


class QuestionForm(forms.ModelForm):
    choices_text = forms.CharField(
        label=gettext_lazy("choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 30}),
        help_text=gettext_lazy("Single and multiple choice: one choice per line."),
    )

    class Meta:
        model = Question
        fields = ["order", "kind", "text", "help_text", "required"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["choices_text"] = "\n".join(c.label for c in self.instance.choices.all())

    def clean(self):
        cleaned = super().clean()
        labels = [
            line.strip() for line in cleaned.get("choices_text", "").splitlines() if line.strip()
        ]
        if cleaned.get("kind") in CHOICE_KINDS and len(labels) < 2:
            self.add_error("choices_text", _("Give at least two choices, one per line."))
        cleaned["choice_labels"] = labels
        return cleaned


class QuestionInline(admin.TabularInline):
    model = Question
    form = QuestionForm
    extra = 1
    fields = ["order", "kind", "text", "help_text", "required", "choices_text"]


class FilterForm(forms.Form):
    """The results page's filters, read once into `results.Filters` for the page and its
    CSV export alike."""

    start = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    tier = forms.ModelChoiceField(
        label=gettext_lazy("Tier"), queryset=Tier.objects.all(), required=False
    )
    q = forms.CharField(label=gettext_lazy("Search text answers"), required=False, max_length=100)

    def filters(self) -> results.Filters:
        if not self.is_valid():
            return results.Filters()
        data = self.cleaned_data
        return results.Filters(
            start=data["start"],
            end=data["end"],
            tier_id=data["tier"].pk if data["tier"] else None,
            search=data["q"],
        )


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "audience",
        "is_post_visit",
        "is_active",
        "starts_at",
        "ends_at",
        "response_count",
        "links",
    ]
    list_filter = ["is_active", "audience", "is_post_visit"]
    search_fields = ["title"]
    inlines = [QuestionInline]
    actions = ["copy_surveys"]
    readonly_fields = ["public_link"]
    fields = [
        "title",
        "intro",
        "starts_at",
        "ends_at",
        "is_active",
        "audience",
        "allow_anonymous",
        "completion_bonus",
        "is_post_visit",
        "public_link",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(responses_total=Count("responses"))

    @admin.display(description=gettext_lazy("responses"), ordering="responses_total")
    def response_count(self, obj):
        return obj.responses_total

    @admin.display(description=gettext_lazy("open"))
    def links(self, obj):
        links = format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:surveys_survey_results", args=[obj.pk]),
            _("Results"),
            reverse("admin:surveys_survey_preview", args=[obj.pk]),
            _("Preview"),
        )
        if obj.audience != Audience.PUBLIC:
            return links  # a poster's QR would open a page only members see: a 404 for anyone
        return format_html(
            '{} · <a href="{}">{}</a>',
            links,
            reverse("admin:surveys_survey_poster", args=[obj.pk]),
            _("QR poster"),
        )

    @admin.display(description=gettext_lazy("public link"))
    def public_link(self, obj):
        if not obj.pk or obj.audience != Audience.PUBLIC:
            return _("Only for surveys open to anyone.")
        return reverse("public_survey", args=[obj.public_token])

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for formset in formsets:
            for question_form in formset.forms:
                question = question_form.instance
                if question.pk is None or question_form in formset.deleted_forms:
                    continue
                labels = question_form.cleaned_data.get("choice_labels", [])
                if question.kind in CHOICE_KINDS and labels != [
                    c.label for c in question.choices.all()
                ]:
                    _sync_choices(question, labels)

    @admin.action(description=gettext_lazy("Copy the selected surveys"))
    def copy_surveys(self, request, queryset):
        for survey in queryset:
            copy = services.copy_survey(survey)
            messages.success(
                request, _("Copied as “%(title)s” (inactive).") % {"title": copy.title}
            )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:survey_id>/results/", view(self.results_view), name="surveys_survey_results"
            ),
            path(
                "<int:survey_id>/preview/", view(self.preview_view), name="surveys_survey_preview"
            ),
            path("<int:survey_id>/poster/", view(self.poster_view), name="surveys_survey_poster"),
        ] + super().get_urls()

    def _survey_for_results(self, request, survey_id) -> Survey:
        if not request.user.has_perm("surveys.view_survey_results"):
            raise PermissionDenied
        return get_object_or_404(Survey, pk=survey_id)

    def results_view(self, request, survey_id):
        survey = self._survey_for_results(request, survey_id)
        filter_form = FilterForm(request.GET or None)
        filters = filter_form.filters()
        responses = results.filtered_responses(survey, filters)
        questions = selectors.questions(survey)
        if request.GET.get("export") == "csv":
            return responses_csv(survey, responses, questions)
        question_results = results.question_results(survey, responses, questions)
        weeks = results.weekly_trend(responses, questions)
        text_page = Paginator(
            results.text_answers(responses, questions, search=filters.search), 25
        ).get_page(request.GET.get("page"))
        context = admin_context(
            request,
            opts=self.model._meta,
            title=_("Results: %(title)s") % {"title": survey.title},
            survey=survey,
            filter_form=filter_form,
            total=responses.count(),
            rate=results.response_rate(survey, responses, filters),
            headline=results.headline(question_results),
            question_results=question_results,
            weeks=weeks,
            trend=results.trend_points(weeks),
            text_page=text_page,
            min_responses=results.MIN_RESPONSES,
            chart_width=results.CHART_WIDTH,
            query=query_without(request.GET, "page").urlencode(),
        )
        return render(request, "admin/surveys/results.html", context)

    def preview_view(self, request, survey_id):
        survey = self._survey_for_results(request, survey_id)
        form = SurveyForm(selectors.questions(survey))
        return render(
            request, "surveys/answer.html", {"survey": survey, "form": form, "preview": True}
        )

    def poster_view(self, request, survey_id):
        survey = self._survey_for_results(request, survey_id)
        if survey.audience != Audience.PUBLIC:
            messages.warning(
                request,
                _(
                    "Only a survey open to anyone has a QR poster: members-only surveys are "
                    "answered from the member's portal or a receipt's survey slip."
                ),
            )
            return redirect("admin:surveys_survey_change", survey.pk)
        url = request.build_absolute_uri(reverse("public_survey", args=[survey.public_token]))
        context = admin_context(
            request,
            title=_("QR poster: %(title)s") % {"title": survey.title},
            survey=survey,
            url=url,
            qr=qr_svg(url, title=_("QR code for %(title)s") % {"title": survey.title}),
        )
        return render(request, "admin/surveys/poster.html", context)


def _sync_choices(question, labels):
    # Choices someone already picked stay (their answers keep meaning); others follow the text.
    question.choices.exclude(label__in=labels).filter(answers__isnull=True).delete()
    existing = {choice.label: choice for choice in question.choices.all()}
    for order, label in enumerate(labels):
        choice = existing.get(label) or Choice(question=question, label=label)
        choice.order = order
        choice.save()


def responses_csv(survey, responses, questions):
    def value(answer):
        if answer is None:
            return ""
        if answer.number is not None:
            return answer.number
        labels = [choice.label for choice in answer.choices.all()]
        return "; ".join(labels) if labels else answer.text

    answered = responses.select_related("user", "tier").prefetch_related("answers__choices")
    rows = (
        [
            response.pk,
            response.created_at.isoformat(),
            response.user.email if response.user else "",
            response.tier.name if response.tier else "",
            *[value(by_question.get(q.pk)) for q in questions],
        ]
        for response in answered.order_by("created_at", "id").iterator(chunk_size=500)
        for by_question in [{answer.question_id: answer for answer in response.answers.all()}]
    )
    header = ["response", "answered_at", "member", "tier", *[q.text for q in questions]]
    return csv_download(f"survey-{survey.pk}-responses.csv", header, rows)


@admin.register(Response)
class ResponseAdmin(CheckedDateHierarchyMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Responses are written only by `submit_response`; the owner reads them here."""

    paginator = EstimatedCountPaginator  # no COUNT(*) of the whole table per page

    list_display = ["survey", "created_at", "user", "tier", "purchase"]
    list_filter = ["survey", "tier", "created_at"]
    list_select_related = ["survey", "user", "tier", "purchase"]
    search_fields = ["user__email"]
    date_hierarchy = "created_at"
    show_full_result_count = False
