"""Twenty tills stamping one card at the same moment, on PostgreSQL."""

from loyalty import services
from loyalty.models import StampCard, StampKind, StampLine, StampProgress, StampRule
from loyalty.services import PurchaseRecorded
from rewards.models import Redemption
from tests.concurrency import all_at_once, postgresql_only
from tests.rewards.factories import RewardFactory

pytestmark = postgresql_only


def test_twenty_tills_stamping_one_card_at_once_lose_no_stamp_and_fill_two_cards(
    card, staff, program
):
    coffee = StampCard.objects.create(
        name="Coffee card",
        stamps_needed=9,
        rule=StampRule.VISIT,
        reward=RewardFactory(name="Free coffee", points_cost=1),
    )

    results = all_at_once(
        20,
        lambda index: services.record_purchase(
            card, "4.50", reference=f"TILL-{index}", staff=staff
        ),
    )

    assert all(isinstance(result, PurchaseRecorded) for result in results), results
    progress = StampProgress.objects.get(card=card, stamp_card=coffee)
    assert (progress.stamps, progress.completed) == (2, 2)
    assert StampLine.objects.filter(kind=StampKind.STAMP).count() == 20
    assert Redemption.objects.filter(card=card, stamp_line__isnull=False).count() == 2
    running = list(StampLine.objects.order_by("pk").values_list("stamps", "stamps_after"))
    total = 0
    for stamps, after in running:
        total += stamps
        assert after == total >= 0
