"""Reused read-only queries of the surveys app, one module per domain; they write nothing."""

from surveys.selectors.complaints import (
    complaint_figures,
    goodwill_paid,
    has_open_complaint,
    recovered_detractors,
)
from surveys.selectors.surveys import (
    already_answered,
    bonus_for_response,
    open_surveys_for,
    post_visit_survey,
    questions,
    refusal,
)
from surveys.selectors.testimonials import published_testimonials

__all__ = [
    "already_answered",
    "bonus_for_response",
    "complaint_figures",
    "goodwill_paid",
    "has_open_complaint",
    "open_surveys_for",
    "post_visit_survey",
    "published_testimonials",
    "questions",
    "recovered_detractors",
    "refusal",
]
