"""The base of every broken business rule. Views show `str(error)` to the person."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    message = _("That cannot be done.")

    def __init__(self, message=None):
        super().__init__(message or self.message)
