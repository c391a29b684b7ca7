"""Limits on goodwill points: staff give at most the program's cap, once per case however often
it is reopened; only an owner gives more, and adds to goodwill already paid only with a reason."""

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse

from loyalty.models import Kind, PointTransaction, Program
from surveys import services
from surveys.exceptions import ComplaintError
from surveys.models import (
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintResolution,
    ComplaintStatus,
    RemedySought,
)

SUMMARY = "Sorry about the wait. Some points for your next coffee."


@pytest.fixture
def case(member, card, staff) -> Complaint:
    case = services.file_complaint(
        user=member,
        name="Maria Reyes",
        email=member.email,
        category=ComplaintCategory.SERVICE,
        description="We waited forty minutes for two coffees.",
        remedy_sought=RemedySought.APOLOGY,
        channel=ComplaintChannel.PORTAL,
    )
    services.change_status(case, ComplaintStatus.ACKNOWLEDGED, actor=staff)
    return case


def resolve(case, actor, points, reason=""):
    return services.resolve_complaint(
        case,
        actor=actor,
        resolution_type=ComplaintResolution.GOODWILL,
        summary=SUMMARY,
        goodwill_points=points,
        goodwill_reason=reason,
    )


def balance_of(card):
    card.refresh_from_db()
    return card.balance


def goodwill_lines():
    return list(PointTransaction.objects.filter(kind=Kind.GOODWILL).order_by("pk"))


def act(client, case, action, **data):
    return client.post(
        reverse("admin:surveys_complaint_act", args=[case.pk]),
        {"action": action, **data},
        follow=True,
    ).content.decode()


def resolve_on_the_case_page(client, case, points):
    return act(
        client,
        case,
        "resolve",
        resolution_type=ComplaintResolution.GOODWILL,
        summary=SUMMARY,
        goodwill_points=str(points),
    )


def test_three_rounds_of_reopen_and_resolve_pay_staff_goodwill_once_and_at_most_the_cap(
    staff_client, case, card
):
    before = balance_of(card)

    pages = []
    for _round in range(3):
        pages.append(resolve_on_the_case_page(staff_client, case, 100_000))
        pages.append(resolve_on_the_case_page(staff_client, case, 500))
        case.refresh_from_db()
        if case.status != ComplaintStatus.RESOLVED:
            resolve_on_the_case_page(staff_client, case, 0)
        act(staff_client, case, "reopen")

    assert balance_of(card) == before + 500
    assert [line.points for line in goodwill_lines()] == [500]
    assert "Staff may give at most 500 goodwill points on one case." in pages[0]
    assert "Case resolved; the customer has been e-mailed." in pages[1]
    assert "This case already had 500 goodwill points. Only an owner may add more." in pages[3]


def test_staff_above_the_cap_is_refused_and_nothing_changes(staff, case, card, program):
    program.goodwill_cap = 200
    program.save()
    before = balance_of(card)
    events = case.events.count()

    with pytest.raises(ComplaintError) as refused:
        resolve(case, staff, 201)

    assert str(refused.value) == (
        "Staff may give at most 200 goodwill points on one case. Ask an owner to give more."
    )
    case.refresh_from_db()
    assert (case.status, case.goodwill_points, case.resolved_at) == (
        ComplaintStatus.ACKNOWLEDGED,
        0,
        None,
    )
    assert case.events.count() == events
    assert goodwill_lines() == []
    assert balance_of(card) == before
    resolve(case, staff, 200)
    assert balance_of(card) == before + 200


def test_owner_may_give_more_than_the_cap(owner, case, card):
    before = balance_of(card)

    resolve(case, owner, 2_000)

    assert balance_of(card) == before + 2_000
    case.refresh_from_db()
    assert (case.status, case.goodwill_points) == (ComplaintStatus.RESOLVED, 2_000)


def test_staff_cannot_add_goodwill_to_a_reopened_case_but_may_resolve_it_without(staff, case, card):
    resolve(case, staff, 100)
    services.reopen(case, by=staff)
    before = balance_of(card)

    with pytest.raises(
        ComplaintError,
        match="This case already had 100 goodwill points. Only an owner may add more.",
    ):
        resolve(case, staff, 50)

    assert balance_of(card) == before
    case.refresh_from_db()
    assert case.status == ComplaintStatus.IN_PROGRESS
    resolve(case, staff, 0)
    case.refresh_from_db()
    assert case.status == ComplaintStatus.RESOLVED
    assert [line.points for line in goodwill_lines()] == [100]


def test_owner_adds_more_goodwill_to_a_case_that_had_some_only_with_a_reason(
    staff, owner, case, card
):
    resolve(case, staff, 100)
    services.reopen(case, by=owner)
    before = balance_of(card)

    with pytest.raises(ComplaintError, match="Give a reason to add more."):
        resolve(case, owner, 300, reason="   ")
    assert balance_of(card) == before

    resolve(case, owner, 300, reason="Second visit went wrong too")

    assert balance_of(card) == before + 300
    first, more = goodwill_lines()
    assert (first.points, more.points) == (100, 300)
    assert (more.source, more.created_by) == (case, owner)
    assert more.note == f"{case.reference}: Second visit went wrong too"
    assert case.events.filter(
        action="more goodwill", detail="+300: Second visit went wrong too", actor=owner
    ).exists()


def test_case_page_says_the_cap_and_whether_goodwill_was_already_paid(
    staff_client, owner, staff, case
):
    owner_client = Client()
    owner_client.force_login(owner)
    page = staff_client.get(reverse("admin:surveys_complaint_case", args=[case.pk])).content
    page = page.decode()
    assert "none paid on this case yet." in page
    assert "Staff may give up to 500 goodwill points once per case; more needs an owner." in page

    resolve(case, staff, 100)
    services.reopen(case, by=staff)
    url = reverse("admin:surveys_complaint_case", args=[case.pk])
    staff_page = staff_client.get(url).content.decode()
    owner_page = owner_client.get(url).content.decode()

    for page in (staff_page, owner_page):
        assert "already paid on this case: 100 points." in page
        assert "none paid on this case yet." not in page
    assert 'name="goodwill_reason"' in owner_page
    assert 'name="goodwill_reason"' not in staff_page


def test_owner_sets_the_goodwill_cap_on_the_program_page(owner_client, program):
    url = reverse("admin:loyalty_program_change", args=[program.pk])
    page = owner_client.get(url).content.decode()
    assert "Most goodwill points staff may give on one case" in page

    owner_client.post(url, {**model_to_dict(program, exclude=["id"]), "goodwill_cap": 1_000})

    assert Program.current().goodwill_cap == 1_000
