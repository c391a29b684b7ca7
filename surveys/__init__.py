"""Surveys and their results, complaints and their follow-up, testimonials: one Django app,
split into modules by domain."""
