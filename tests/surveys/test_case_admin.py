"""Staff work complaints in the admin: the queue with its filters, the case page and its
actions (reply, note, status, assign, priority, resolve), and the owner's figures."""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from loyalty.models import Kind, PointTransaction
from surveys import selectors, services
from surveys.models import (
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintEvent,
    ComplaintPriority,
    ComplaintResolution,
    ComplaintStatus,
    QuestionKind,
    RemedySought,
    ReplyTemplate,
    SLATarget,
)
from tests.surveys.factories import QuestionFactory, SurveyFactory

NOON = datetime.datetime(2026, 3, 4, 12, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
STALE = "The croissant was stale and the coffee was cold."
# Session, user, its own and its groups' permissions, staff for the assignee filter, the
# count, one page of cases with their assignees, and two for the date bar; on PostgreSQL one
# more asks the planner how many cases there are (core.admin.EstimatedCountPaginator).
QUEUE_QUERIES = 9 + (connection.vendor == "postgresql")
# Session, user, one page of the member's cases.
MEMBER_CASES_QUERIES = 3


def open_case(user=None, **fields) -> Complaint:
    defaults = {
        "user": user,
        "name": user.get_full_name() if user else "Vera Visitor",
        "email": user.email if user else "vera@example.com",
        "category": ComplaintCategory.PRODUCT,
        "description": STALE,
        "remedy_sought": RemedySought.REPLACEMENT,
        "channel": ComplaintChannel.PORTAL if user else ComplaintChannel.PUBLIC_FORM,
    }
    return services.file_complaint(**{**defaults, **fields})


def act(client, case, action, **data):
    """Post one action from the case page; return the case page it leads back to."""
    return client.post(
        reverse("admin:surveys_complaint_act", args=[case.pk]),
        {"action": action, **data},
        follow=True,
    )


def case_page(client, case) -> str:
    return client.get(reverse("admin:surveys_complaint_case", args=[case.pk])).content.decode()


def listed(response) -> list[str]:
    """The references in the queue, in order."""
    return re.findall(r'/case/">(C-\d{4}-\d{6})</a>', response.content.decode())


def page_of(response) -> str:
    return response.content.decode()


def resolve_data(points=0):
    return {
        "resolution_type": ComplaintResolution.GOODWILL,
        "summary": "Sorry about the wait. Some points for your next coffee.",
        "goodwill_points": str(points),
    }


@pytest.fixture
def case(member, card):
    return open_case(member)


# Working a case ------------------------------------------------------------------------------


def test_public_reply_is_the_first_response_acknowledges_and_emails_the_customer(
    staff_client, staff, case, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOON, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            page = page_of(act(staff_client, case, "reply", body="Sorry! We are on it."))

        case.refresh_from_db()
        assert (case.first_response_at, case.status) == (NOON, ComplaintStatus.ACKNOWLEDGED)
    assert "Reply sent to the customer." in page
    assert [message.to for message in mail.outbox] == [["member@example.com"]]
    assert mail.outbox[0].subject.endswith(f"A reply about your case {case.reference}")
    assert "Sorry! We are on it." in mail.outbox[0].body
    assert list(case.events.order_by("pk").values_list("action", "actor")) == [
        ("created", case.user_id),
        ("public reply", staff.pk),
        ("status", staff.pk),
    ]


def test_later_public_reply_keeps_the_first_response_time(staff_client, case):
    with time_machine.travel(NOON, tick=False) as clock:
        act(staff_client, case, "reply", body="We are on it.")
        clock.shift(3 * HOUR)
        act(staff_client, case, "reply", body="Still on it.")

    case.refresh_from_db()
    assert case.first_response_at == NOON
    assert case.messages.count() == 2


def test_internal_note_is_kept_but_not_emailed_and_is_no_response(
    staff_client, case, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        page = page_of(
            act(staff_client, case, "reply", body="Check the CCTV first.", internal="on")
        )

    assert "Note saved." in page
    assert mail.outbox == []
    case.refresh_from_db()
    assert (case.status, case.first_response_at) == (ComplaintStatus.NEW, None)
    note = case.messages.get()
    assert (note.internal, note.body) == (True, "Check the CCTV first.")
    assert case.events.filter(action="internal note").count() == 1


def test_empty_reply_is_refused_with_a_message(staff_client, case):
    page = page_of(act(staff_client, case, "reply", body="   "))

    assert "Write a message first." in page
    assert not case.messages.exists()


def test_too_long_reply_says_how_long_it_may_be_and_saves_nothing(staff_client, case):
    page = page_of(act(staff_client, case, "reply", body="x" * 4001))

    assert (
        "A message can have at most 4000 characters; this one has 4001. "
        "Shorten it or send it in two parts."
    ) in page
    assert "Write a message first." not in page
    assert not case.messages.exists()


def test_status_moves_one_step_at_a_time_on_the_case_page(staff_client, staff, case):
    skipped = page_of(act(staff_client, case, "status", status=ComplaintStatus.IN_PROGRESS))
    assert "A case cannot go from New to In progress." in skipped

    act(staff_client, case, "status", status=ComplaintStatus.ACKNOWLEDGED)
    act(staff_client, case, "status", status=ComplaintStatus.IN_PROGRESS)
    backwards = page_of(act(staff_client, case, "status", status=ComplaintStatus.ACKNOWLEDGED))
    assert "A case cannot go from In progress to Acknowledged." in backwards
    shortcut = page_of(act(staff_client, case, "status", status=ComplaintStatus.RESOLVED))
    assert "Use “Resolve” to say how the case was resolved." in shortcut
    to_closed = page_of(act(staff_client, case, "status", status=ComplaintStatus.CLOSED))
    assert "A case cannot go from In progress to Closed." in to_closed

    case.refresh_from_db()
    assert case.status == ComplaintStatus.IN_PROGRESS
    assert list(case.events.filter(action="status").values_list("detail", flat=True)) == [
        "new → acknowledged",
        "acknowledged → in_progress",
    ]


def test_resolved_and_closed_cases_are_reopened_from_the_case_page(staff_client, case):
    act(staff_client, case, "status", status=ComplaintStatus.ACKNOWLEDGED)
    act(staff_client, case, "resolve", **resolve_data())
    page = case_page(staff_client, case)
    assert '<button type="submit" class="button">Reopen</button>' in page
    assert '<button type="submit" class="button">Mark closed</button>' in page

    reopened = page_of(act(staff_client, case, "reopen"))
    assert "Case reopened." in reopened
    case.refresh_from_db()
    assert (case.status, case.resolved_at) == (ComplaintStatus.IN_PROGRESS, None)

    act(staff_client, case, "resolve", **resolve_data())
    act(staff_client, case, "status", status=ComplaintStatus.CLOSED)
    case.refresh_from_db()
    assert case.status == ComplaintStatus.CLOSED
    act(staff_client, case, "reopen")
    case.refresh_from_db()
    assert (case.status, case.closed_at) == (ComplaintStatus.IN_PROGRESS, None)
    assert case.events.filter(action="status", detail__endswith="reopened").count() == 2


def test_stale_mark_in_progress_does_not_undo_a_colleagues_resolution(staff_client, case):
    act(staff_client, case, "status", status=ComplaintStatus.ACKNOWLEDGED)
    # A second tab still shows "Mark In progress" while a colleague resolves the case.
    act(staff_client, case, "resolve", **resolve_data())
    services.rate_handling(case, 5, "Thank you.")

    page = page_of(act(staff_client, case, "status", status=ComplaintStatus.IN_PROGRESS))

    assert "This case is already resolved." in page
    case.refresh_from_db()
    assert (case.status, case.rating) == (ComplaintStatus.RESOLVED, 5)
    assert case.resolved_at is not None


def test_reopening_an_open_new_case_is_refused(staff_client, case):
    page = page_of(act(staff_client, case, "reopen"))

    assert "A case cannot go from New to In progress." in page
    case.refresh_from_db()
    assert case.status == ComplaintStatus.NEW


def test_priority_change_recomputes_due_times_from_the_sla_targets(staff_client, staff, db):
    assert SLATarget.objects.count() == 4  # the defaults, from a data migration
    SLATarget.objects.filter(priority=ComplaintPriority.URGENT).update(
        first_response_hours=1, resolution_hours=6
    )
    with time_machine.travel(NOON, tick=False) as clock:
        case = open_case()
        clock.shift(HOUR / 2)
        page = page_of(act(staff_client, case, "priority", priority=ComplaintPriority.URGENT))

    assert "Priority changed; due times recomputed." in page
    case.refresh_from_db()
    # Counted from when the case came in, not from when the priority changed.
    assert (case.priority, case.first_response_due, case.resolution_due) == (
        ComplaintPriority.URGENT,
        NOON + HOUR,
        NOON + 6 * HOUR,
    )
    event = case.events.get(action="priority")
    assert (event.detail, event.actor) == ("Normal → Urgent", staff)


def test_assignment_is_logged(staff_client, staff, owner, case):
    page = page_of(act(staff_client, case, "assign", assignee=owner.pk))

    assert "Assigned." in page
    case.refresh_from_db()
    assert case.assignee == owner
    event = case.events.get(action="assigned")
    assert (event.detail, event.actor) == (str(owner), staff)

    act(staff_client, case, "assign", assignee="")
    case.refresh_from_db()
    assert case.assignee is None
    assert list(case.events.filter(action="assigned").values_list("detail", flat=True)) == [
        str(owner),
        "nobody",
    ]


def test_resolving_with_goodwill_points_credits_them_once_even_when_posted_twice(
    staff_client, staff, case, card, django_capture_on_commit_callbacks
):
    card.refresh_from_db()
    before = card.balance
    act(staff_client, case, "reply", body="Sorry! We are on it.")

    with django_capture_on_commit_callbacks(execute=True):
        first = page_of(act(staff_client, case, "resolve", **resolve_data(points=100)))
        second = page_of(act(staff_client, case, "resolve", **resolve_data(points=100)))

    assert "Case resolved; the customer has been e-mailed." in first
    assert "This case is already resolved." in second
    line = PointTransaction.objects.get(kind=Kind.GOODWILL)
    assert (line.points, line.card, line.source, line.created_by) == (100, card, case, staff)
    assert line.note == case.reference
    card.refresh_from_db()
    assert card.balance == before + 100
    case.refresh_from_db()
    assert (case.status, case.goodwill_points, case.resolution_type) == (
        ComplaintStatus.RESOLVED,
        100,
        ComplaintResolution.GOODWILL,
    )
    resolved = [message for message in mail.outbox if "is resolved" in message.subject]
    assert len(resolved) == 1
    assert resolved[0].to == ["member@example.com"]
    assert "We added 100 goodwill points to your card." in resolved[0].body
    assert re.search(r"https?://\S+/rate/\S+/", resolved[0].body)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"summary": ""}, "This field is required."),
        ({"goodwill_points": "-5"}, "Ensure this value is greater than or equal to 0."),
        ({"resolution_type": "magic"}, "Select a valid choice."),
    ],
)
def test_resolving_without_a_valid_resolution_is_refused(staff_client, case, data, message):
    act(staff_client, case, "status", status=ComplaintStatus.ACKNOWLEDGED)

    page = page_of(act(staff_client, case, "resolve", **{**resolve_data(points=10), **data}))

    assert message in page
    case.refresh_from_db()
    assert case.status == ComplaintStatus.ACKNOWLEDGED
    assert not PointTransaction.objects.filter(kind=Kind.GOODWILL).exists()


def test_members_cannot_work_cases_in_the_admin(member_client, case):
    response = member_client.post(
        reverse("admin:surveys_complaint_act", args=[case.pk]),
        {"action": "status", "status": ComplaintStatus.ACKNOWLEDGED},
    )

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    case.refresh_from_db()
    assert case.status == ComplaintStatus.NEW
    assert member_client.get(reverse("admin:surveys_complaint_changelist")).status_code == 302


# The case page --------------------------------------------------------------------------------


def test_case_page_shows_member_card_activity_thread_saved_replies_and_log(
    staff_client, staff, member, card, case
):
    ReplyTemplate.objects.create(title="Sorry for the wait", body="We are sorry for the wait.")
    earlier = open_case(member, category=ComplaintCategory.STAFF)
    services.reply(case, "Check the CCTV first.", author=staff, internal=True)
    services.reply(case, "So sorry! We are on it.", author=staff)
    services.reply(case, "Thank you.", author=member)

    page = case_page(staff_client, case)

    assert f"{case.reference} · Product" in page
    assert "Maria Reyes · member@example.com" in page
    assert card.formatted_number in page
    assert "Balance 50" in page
    assert "<caption>Recent activity</caption>" in page
    assert "Welcome bonus" in page
    assert f"{earlier.reference}</a> (New)" in page
    assert "<strong>Internal note</strong> · Sami" in page
    assert "Check the CCTV first." in page
    assert "So sorry! We are on it." in page
    assert "Customer · " in page
    assert '<label for="reply-template">Saved replies</label>' in page
    assert '<option value="We are sorry for the wait.">Sorry for the wait</option>' in page
    assert "Event log" in page
    for action in ["created", "internal note", "public reply", "customer reply"]:
        assert f"<td>{action}</td>" in page


def test_case_page_for_a_visitor_shows_no_member_card(staff_client, db):
    case = open_case()

    page = case_page(staff_client, case)

    assert "Vera Visitor · vera@example.com" in page
    assert "Recent activity" not in page
    assert 'id="member-heading"' not in page


# The queue ------------------------------------------------------------------------------------


@pytest.fixture
def queue(member, card, staff):
    """Four cases at NOON + 1 hour: late (filed two days ago, unanswered), billing
    (acknowledged, assigned to staff), phoned in (high priority) and plain (new)."""
    with time_machine.travel(NOON - 2 * DAY, tick=False) as clock:
        late = open_case(member, description="Nobody answered my call.")
        clock.move_to(NOON)
        billing = open_case(category=ComplaintCategory.BILLING)
        services.reply(billing, "Looking into it.", author=staff)
        services.assign(billing, staff, actor=staff)
        phoned = open_case(channel=ComplaintChannel.PHONE, priority=ComplaintPriority.HIGH)
        plain = open_case(member)
    return {"late": late, "billing": billing, "phoned": phoned, "plain": plain}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"late", "billing", "phoned", "plain"}),
        ({"status__exact": ComplaintStatus.ACKNOWLEDGED}, {"billing"}),
        ({"status__exact": ComplaintStatus.NEW}, {"late", "phoned", "plain"}),
        ({"priority__exact": ComplaintPriority.HIGH}, {"phoned"}),
        ({"category__exact": ComplaintCategory.BILLING}, {"billing"}),
        ({"assignee__id__exact": "staff"}, {"billing"}),
        ({"overdue": "yes"}, {"late"}),
        ({"channel__exact": ComplaintChannel.PHONE}, {"phoned"}),
        ({"channel__exact": ComplaintChannel.PORTAL}, {"late", "plain"}),
    ],
)
def test_queue_filters_cases(owner_client, staff, queue, query, expected):
    if query.get("assignee__id__exact") == "staff":
        query = {"assignee__id__exact": staff.pk}

    with time_machine.travel(NOON + HOUR, tick=False):
        response = owner_client.get(reverse("admin:surveys_complaint_changelist"), query)

    assert set(listed(response)) == {queue[name].reference for name in expected}


def test_queue_searches_by_reference(staff_client, queue):
    wanted = queue["phoned"].reference

    response = staff_client.get(reverse("admin:surveys_complaint_changelist"), {"q": wanted})

    assert listed(response) == [wanted]


def test_overdue_cases_say_so_in_the_queue_and_on_the_case_page(staff_client, queue):
    with time_machine.travel(NOON + HOUR, tick=False):
        queue_page = page_of(staff_client.get(reverse("admin:surveys_complaint_changelist")))
        late_page = case_page(staff_client, queue["late"])
        plain_page = case_page(staff_client, queue["plain"])

    assert queue_page.count("overdue since") == 1
    late_row = re.search(rf"{queue['late'].reference}</a>.*?</tr>", queue_page, re.S).group(0)
    assert '<div class="overdue">First reply overdue since ' in late_row
    assert '<strong class="overdue">OVERDUE</strong>' in late_page
    assert "OVERDUE" not in plain_page


def queue_cell(page, case) -> str:
    """The due column of the case's row in the queue."""
    row = re.search(rf"{case.reference}</a>.*?</tr>", page, re.S).group(0)
    return re.search(r'<td class="field-due">(.*?)</td>', row, re.S).group(1)


def test_queue_says_which_promise_was_missed_and_since_when(staff_client, member, card, staff):
    # Normal priority: a first response within 24 hours, a resolution within 120.
    with time_machine.travel(NOON - 6 * DAY, tick=False) as clock:
        unanswered = open_case(member, description="Nobody ever answered.")
        answered = open_case(member, description="Answered in time, never resolved.")
        clock.shift(HOUR)
        services.reply(answered, "Looking into it.", author=staff)
        clock.move_to(NOON - 2 * DAY)
        recent = open_case(member, description="Filed two days ago.")

    with time_machine.travel(NOON, tick=False):
        page = page_of(staff_client.get(reverse("admin:surveys_complaint_changelist")))

    def since(moment):
        return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")

    assert queue_cell(page, unanswered) == (
        f'<div class="overdue">First reply overdue since {since(NOON - 5 * DAY)}</div>'
        f'<div class="overdue">Resolution overdue since {since(NOON - DAY)}</div>'
    )
    assert queue_cell(page, answered) == (
        f'<div class="overdue">Resolution overdue since {since(NOON - DAY)}</div>'
    )
    assert queue_cell(page, recent) == (
        f'<div class="overdue">First reply overdue since {since(NOON - DAY)}</div>'
    )


def test_queue_has_few_columns_to_fit_a_1024_px_screen(staff_client, queue):
    page = page_of(staff_client.get(reverse("admin:surveys_complaint_changelist")))

    columns = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', page)
    assert columns == ["reference_link", "name", "status", "priority", "assignee", "due"]


def test_queue_filter_figures_escalation_and_case_agree_on_which_cases_are_overdue(
    owner_client, member, card, staff
):
    # Normal priority: a first response within 24 hours, a resolution within 120.
    with time_machine.travel(NOON - 6 * DAY, tick=False) as clock:
        unresolved = open_case(member, description="Answered in time, never resolved.")
        clock.shift(HOUR)
        services.reply(unresolved, "Looking into it.", author=staff)
        clock.move_to(NOON - 10 * DAY)
        closed = open_case(member, description="Resolved and closed long ago.")
        services.reply(closed, "On it.", author=staff)
        services.resolve_complaint(
            closed, actor=staff, resolution_type=ComplaintResolution.APOLOGY, summary="Sorry."
        )
        services.change_status(closed, ComplaintStatus.CLOSED, actor=staff)
        clock.move_to(NOON - 2 * DAY)
        unanswered = open_case(member, description="Nobody has answered me.")
        answered = open_case(member, description="Answered within the hour.")
        clock.shift(HOUR)
        services.reply(answered, "Sorry! We are on it.", author=staff)

    with time_machine.travel(NOON, tick=False):
        by_filter = set(Complaint.objects.overdue().values_list("reference", flat=True))
        by_row = {case.reference for case in Complaint.objects.all() if case.is_overdue}
        in_queue = set(
            listed(
                owner_client.get(reverse("admin:surveys_complaint_changelist"), {"overdue": "yes"})
            )
        )
        figures = selectors.complaint_figures()
        escalated = services.escalate_overdue()

    expected = {unanswered.reference, unresolved.reference}
    assert by_filter == by_row == in_queue == expected
    assert (figures["open"], figures["overdue"], escalated) == (3, 2, 2)
    assert {answered.reference, closed.reference}.isdisjoint(
        Complaint.objects.filter(events__action="escalated").values_list("reference", flat=True)
    )


def add_cases(member, staff, count):
    """`count` cases for the member written straight to the table, for read-only tests."""
    now = timezone.now()
    Complaint.objects.bulk_create(
        Complaint(
            reference=f"C-2026-{number:06d}",
            user=member,
            name="Maria Reyes",
            email=member.email,
            category=ComplaintCategory.values[number % len(ComplaintCategory.values)],
            description=STALE,
            remedy_sought=RemedySought.APOLOGY,
            channel=ComplaintChannel.PORTAL,
            status=ComplaintStatus.values[number % len(ComplaintStatus.values)],
            assignee=staff if number % 2 else None,
            created_at=now - datetime.timedelta(minutes=number),
            first_response_due=now + datetime.timedelta(hours=24 - number),
            resolution_due=now + datetime.timedelta(hours=120 - number),
        )
        for number in range(1, count + 1)
    )


@pytest.mark.parametrize("count", [10, 2000])
def test_queue_and_member_case_list_queries_do_not_grow_with_cases(
    member, staff, owner, count, django_assert_num_queries
):
    add_cases(member, staff, count)
    owner_client, member_client = Client(), Client()
    owner_client.force_login(owner)
    member_client.force_login(member)

    with django_assert_num_queries(QUEUE_QUERIES):
        queue_page = owner_client.get(reverse("admin:surveys_complaint_changelist"))
    with django_assert_num_queries(MEMBER_CASES_QUERIES):
        member_page = member_client.get(reverse("complaints"))

    assert len(listed(queue_page)) == min(count, 100)
    assert page_of(member_page).count('<li class="list-group-item') == min(count, 200)


# Figures --------------------------------------------------------------------------------------


def test_owner_sees_open_overdue_median_times_satisfaction_and_recovered_detractors(
    owner_client, member, card, staff
):
    first = SurveyFactory(title="Our new menu", starts_at=NOON - DAY)
    first_nps = QuestionFactory(survey=first, kind=QuestionKind.NPS)
    second = SurveyFactory(title="Our terrace", starts_at=NOON - DAY)
    second_nps = QuestionFactory(survey=second, kind=QuestionKind.NPS)
    with time_machine.travel(NOON, tick=False) as clock:
        rated = open_case(member)
        late = open_case(member)
        services.submit_response(first, {first_nps.pk: 3}, user=member)
        follow_up = Complaint.objects.get(channel=ComplaintChannel.SURVEY_FOLLOW_UP)
        clock.shift(2 * HOUR)
        for case in [rated, follow_up]:
            services.reply(case, "Sorry! We are on it.", author=staff)
        clock.shift(22 * HOUR)
        for case in [rated, follow_up]:
            services.resolve_complaint(
                case,
                actor=staff,
                resolution_type=ComplaintResolution.APOLOGY,
                summary="We apologised.",
            )
        services.rate_handling(rated, 4, "Fine.")
        clock.shift(DAY)
        services.submit_response(second, {second_nps.pk: 9}, user=member)
        open_case(member, category=ComplaintCategory.STAFF)

        page = page_of(owner_client.get(reverse("admin:surveys_complaint_figures")))

    assert '<div class="balance" data-testid="open">2</div>' in page
    assert '<div class="balance overdue" data-testid="overdue">1</div>' in page
    assert '<div class="balance">2 h 0 min</div>' in page  # median first response
    assert '<div class="balance">1 d 0 h</div>' in page  # median resolution
    assert '<div class="balance">4.0/5</div><div class="help">n = 1</div>' in page
    assert '<div class="balance" data-testid="recovered">1</div>' in page
    assert "<tr><td>Product</td><td>2</td><td>1</td><td>4.0/5</td></tr>" in page
    assert "<tr><td>Service</td><td>1</td><td>0</td><td>–</td></tr>" in page
    assert late.is_open


def test_figures_are_for_the_owner_only(owner_client, staff, db):
    assert 'href="{}"'.format(reverse("admin:surveys_complaint_figures")) in page_of(
        owner_client.get(reverse("admin:surveys_complaint_changelist"))
    )
    staff_client = Client()
    staff_client.force_login(staff)

    assert staff_client.get(reverse("admin:surveys_complaint_figures")).status_code == 403
    assert "Figures" not in page_of(staff_client.get(reverse("admin:surveys_complaint_changelist")))


def test_every_action_on_the_case_page_is_logged(staff_client, staff, owner, case):
    steps = [
        ("reply", {"body": "Sorry! We are on it."}),
        ("reply", {"body": "Ask the baker.", "internal": "on"}),
        ("assign", {"assignee": owner.pk}),
        ("priority", {"priority": ComplaintPriority.HIGH}),
        ("status", {"status": ComplaintStatus.IN_PROGRESS}),
        ("resolve", resolve_data(points=20)),
        ("status", {"status": ComplaintStatus.CLOSED}),
        ("reopen", {}),
    ]
    for action, data in steps:
        before = ComplaintEvent.objects.filter(complaint=case).count()
        act(staff_client, case, action, **data)
        assert ComplaintEvent.objects.filter(complaint=case).count() > before, action

    assert set(case.events.values_list("actor", flat=True)) == {case.user_id, staff.pk}


def test_each_field_of_the_sla_target_list_names_its_column_and_row(owner_client):
    page = page_of(owner_client.get(reverse("admin:surveys_slatarget_changelist")))

    for target in SLATarget.objects.all():
        for label in ("First response within hours", "Resolution within hours"):
            assert f'aria-label="{label} ({target})"' in page


def test_a_table_of_forms_names_each_field_and_delete_box_by_its_row(db):
    from django.forms import modelformset_factory

    from core.admin import with_named_fields

    formset = with_named_fields(
        modelformset_factory(SLATarget, fields=["resolution_hours"], can_delete=True, extra=1)
    )(queryset=SLATarget.objects.order_by("priority"))
    first, *_, new = formset.forms

    assert first["resolution_hours"].field.widget.attrs["aria-label"] == (
        f"Resolution within hours ({first.instance})"
    )
    assert first["DELETE"].field.widget.attrs["aria-label"] == f"Delete ({first.instance})"
    assert new["resolution_hours"].field.widget.attrs["aria-label"] == "Resolution within hours (5)"
    assert "aria-label" not in first["id"].field.widget.attrs  # hidden
    assert formset.empty_form["resolution_hours"].field.widget.attrs["aria-label"] == (
        "Resolution within hours (6)"
    )
