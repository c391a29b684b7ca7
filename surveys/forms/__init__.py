"""The surveys app's member-facing forms, one module per domain."""

from surveys.forms.complaints import ComplaintForm, MemberComplaintForm, RatingForm, ReplyForm
from surveys.forms.surveys import SurveyForm
from surveys.forms.testimonials import TestimonialForm

__all__ = [
    "ComplaintForm",
    "MemberComplaintForm",
    "RatingForm",
    "ReplyForm",
    "SurveyForm",
    "TestimonialForm",
]
