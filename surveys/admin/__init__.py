"""The surveys app's admin, one module per domain; importing them registers their models."""

from surveys.admin import complaints, surveys, testimonials

__all__ = ["complaints", "surveys", "testimonials"]
