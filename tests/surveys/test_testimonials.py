"""Testimonials: a member writes one, staff approve or reject it in the admin, approved ones
appear on the public home page with first name and initial, and approval pays a bonus at
most once per member per period."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from loyalty.models import Kind, PointTransaction

# The modules, not their classes: pytest would collect classes named Test… as tests.
from surveys import exceptions, models, services

NOON = datetime.datetime(2026, 3, 4, 12, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
KIND_WORDS = "Warm bread, warmer people. My favourite corner of town."


def page_of(response) -> str:
    return response.content.decode()


def review(staff, testimonials, action):
    """Tick the testimonials in the admin list and run the action ("approve" or "reject")."""
    client = Client()  # logged in now, so a session made before a time jump cannot expire
    client.force_login(staff)
    return client.post(
        reverse("admin:surveys_testimonial_changelist"),
        {"action": action, "_selected_action": [testimonial.pk for testimonial in testimonials]},
        follow=True,
    )


def bonus_lines():
    return PointTransaction.objects.filter(kind=Kind.TESTIMONIAL_BONUS)


def test_member_writes_a_testimonial_that_waits_for_review(member_client, member, card):
    form = page_of(member_client.get(reverse("testimonial")))
    assert "Approved testimonials appear on our home page with your first name and initial" in form

    response = member_client.post(
        reverse("testimonial"), {"rating": "5", "text": f"  {KIND_WORDS}  "}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("portal")
    assert "Thank you! We will read it and publish it soon." in page_of(response)
    testimonial = models.Testimonial.objects.get()
    assert (testimonial.user, testimonial.rating, testimonial.text, testimonial.status) == (
        member,
        5,
        KIND_WORDS,
        models.TestimonialStatus.PENDING,
    )
    mine = page_of(member_client.get(reverse("testimonial")))
    assert "Waiting for review" in mine
    assert KIND_WORDS[:40] in mine
    assert not bonus_lines().exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rating": "0"}, "Select a valid choice. 0 is not one of the available choices."),
        ({"rating": "6"}, "Select a valid choice. 6 is not one of the available choices."),
        ({"text": ""}, "This field is required."),
        ({"text": "x" * 501}, "Ensure this value has at most 500 characters (it has 501)."),
    ],
)
def test_testimonial_needs_a_rating_from_1_to_5_and_at_most_500_characters(
    member_client, card, data, message
):
    response = member_client.post(reverse("testimonial"), {"rating": "4", "text": "Nice.", **data})

    assert response.status_code == 200
    assert message in page_of(response)
    assert not models.Testimonial.objects.exists()


def test_second_testimonial_waits_until_the_first_is_reviewed(member_client, member, card):
    services.submit_testimonial(member, 5, KIND_WORDS)

    response = member_client.post(reverse("testimonial"), {"rating": "4", "text": "Again!"})

    assert "Your last testimonial is still waiting for review." in page_of(response)
    assert models.Testimonial.objects.count() == 1


def test_refused_testimonials_raise_testimonial_errors_not_complaint_errors(member, card, staff):
    reviewed = services.submit_testimonial(member, 5, KIND_WORDS)
    services.decide_testimonial(reviewed, approve=False, staff=staff)
    services.submit_testimonial(member, 4, "Waiting for its turn.")
    attempts = {
        "Choose a rating from 1 to 5.": lambda: services.submit_testimonial(member, 6, KIND_WORDS),
        "Write a few words, at most 500 characters.": lambda: services.submit_testimonial(
            member, 5, "x" * 501
        ),
        "Your last testimonial is still waiting for review.": lambda: services.submit_testimonial(
            member, 5, KIND_WORDS
        ),
        "This testimonial was already reviewed.": lambda: services.decide_testimonial(
            reviewed, approve=True, staff=staff
        ),
    }

    for message, attempt in attempts.items():
        with pytest.raises(exceptions.TestimonialError) as raised:
            attempt()
        assert str(raised.value) == message
        assert not isinstance(raised.value, exceptions.ComplaintError)
    assert models.Testimonial.objects.count() == 2


def test_member_sees_only_their_own_testimonials(client, member, outsider, card):
    services.submit_testimonial(member, 5, KIND_WORDS)
    client.force_login(outsider)

    page = page_of(client.get(reverse("testimonial")))

    assert KIND_WORDS[:40] not in page
    assert "Your testimonials" not in page


def test_approved_testimonial_is_published_with_first_name_and_initial_only(
    client, member, card, staff
):
    testimonial = services.submit_testimonial(member, 4, KIND_WORDS)
    assert KIND_WORDS not in page_of(client.get(reverse("home")))

    response = review(staff, [testimonial], "approve")

    assert "1 testimonial reviewed." in page_of(response)
    testimonial.refresh_from_db()
    assert (testimonial.status, testimonial.decided_by) == (
        models.TestimonialStatus.APPROVED,
        staff,
    )
    home = page_of(client.get(reverse("home")))
    assert f'<blockquote class="mb-2">{KIND_WORDS}</blockquote>' in home
    assert "— Maria R." in home
    assert "Rated 4 of 5" in home
    assert "Reyes" not in home
    assert member.email not in home


def test_rejected_testimonial_is_not_published_and_earns_nothing(client, member, card, staff):
    testimonial = services.submit_testimonial(member, 1, "Never again!!!")

    review(staff, [testimonial], "reject")

    testimonial.refresh_from_db()
    assert (testimonial.status, testimonial.decided_by) == (
        models.TestimonialStatus.REJECTED,
        staff,
    )
    assert "Never again!!!" not in page_of(client.get(reverse("home")))
    assert not bonus_lines().exists()


def test_approval_pays_the_bonus_once_per_member_per_period(member, card, staff, program):
    program.testimonial_bonus_days = 30
    program.save()
    card.refresh_from_db()
    start = card.balance

    with time_machine.travel(NOON, tick=False) as clock:
        first = services.submit_testimonial(member, 5, "Lovely.")
        review(staff, [first], "approve")
        review(staff, [first], "approve")  # ticked again: already reviewed, nothing more
        clock.shift(29 * DAY)
        within = services.submit_testimonial(member, 5, "Still lovely.")
        review(staff, [within], "approve")
        clock.shift(2 * DAY)
        after = services.submit_testimonial(member, 5, "Lovely as ever.")
        review(staff, [after], "approve")

    assert models.Testimonial.objects.filter(status=models.TestimonialStatus.APPROVED).count() == 3
    assert [(line.source, line.points) for line in bonus_lines().order_by("pk")] == [
        (first, program.testimonial_bonus),
        (after, program.testimonial_bonus),
    ]
    card.refresh_from_db()
    assert card.balance == start + 2 * program.testimonial_bonus
