"""Two staff resolving the same case at the same moment (two tabs, two people) credit the
goodwill points once."""

from loyalty.models import Kind, PointTransaction
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
from tests.concurrency import all_at_once, postgresql_only
from tests.factories import UserFactory

pytestmark = postgresql_only


def test_two_staff_resolving_one_case_at_once_credit_the_goodwill_points_once(card, member, staff):
    colleague = UserFactory(is_staff=True)
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
    card.refresh_from_db()
    before = card.balance

    results = all_at_once(
        2,
        lambda index: services.resolve_complaint(
            Complaint.objects.get(pk=case.pk),
            actor=[staff, colleague][index],
            resolution_type=ComplaintResolution.GOODWILL,
            summary="Sorry for the wait; have some points.",
            goodwill_points=100,
        ),
    )

    resolved = [result for result in results if isinstance(result, Complaint)]
    refused = [result for result in results if isinstance(result, ComplaintError)]
    assert (len(resolved), len(refused)) == (1, 1), results
    assert str(refused[0]) == "This case is already resolved."
    line = PointTransaction.objects.get(kind=Kind.GOODWILL)
    assert (line.points, line.source) == (100, case)
    card.refresh_from_db()
    assert card.balance == before + 100
    case.refresh_from_db()
    assert case.status == ComplaintStatus.RESOLVED
    assert (
        case.events.filter(action="status", detail__startswith="in_progress → resolved").count()
        == 1
    )
