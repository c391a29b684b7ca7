from django.utils.translation import gettext_lazy as _

from loyalty.exceptions import LoyaltyError


class SurveyError(LoyaltyError):
    message = _("This survey cannot be answered.")


class SurveyClosed(SurveyError):
    message = _("This survey is closed. Thank you for your interest.")


class AlreadyAnswered(SurveyError):
    message = _("You have already answered this survey. Thank you!")


class LoginRequired(SurveyError):
    message = _("Please log in to answer this survey.")


class InvalidVisitLink(SurveyError):
    message = _("This survey link is not valid. Please scan the code on your receipt again.")


class ComplaintError(LoyaltyError):
    message = _("That cannot be done with this case.")
