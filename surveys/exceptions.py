"""The surveys app's broken rules, by domain: answering a survey, working a complaint case,
writing and reviewing a testimonial. Each carries the message the person sees."""

from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError

# Surveys ------------------------------------------------------------------------------


class SurveyError(DomainError):
    message = _("This survey cannot be answered.")


class SurveyClosed(SurveyError):
    message = _("This survey is closed. Thank you for your interest.")


class AlreadyAnswered(SurveyError):
    message = _("You have already answered this survey. Thank you!")


class LoginRequired(SurveyError):
    message = _("Please log in to answer this survey.")


class InvalidVisitLink(SurveyError):
    message = _("This survey link is not valid. Please scan the code on your receipt again.")


# Complaints ---------------------------------------------------------------------------


class ComplaintError(DomainError):
    message = _("That cannot be done with this case.")


# Testimonials -------------------------------------------------------------------------


class TestimonialError(DomainError):
    message = _("This testimonial cannot be saved.")


class InvalidTestimonial(TestimonialError):
    """A rating outside 1–5 or words missing or too long; the message says which."""


class TestimonialPending(TestimonialError):
    message = _("Your last testimonial is still waiting for review.")


class TestimonialAlreadyReviewed(TestimonialError):
    message = _("This testimonial was already reviewed.")
