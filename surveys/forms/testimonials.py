"""The form a member writes a testimonial with."""

from django import forms
from django.utils.translation import gettext_lazy as _

from surveys.forms.surveys import rating_field


class TestimonialForm(forms.Form):
    rating = rating_field(_("Your rating of us"))
    text = forms.CharField(
        label=_("Your words"), max_length=500, widget=forms.Textarea(attrs={"rows": 4})
    )
