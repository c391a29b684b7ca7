import factory

from rewards.models import RewardKind


class RewardFactory(factory.django.DjangoModelFactory):
    """A free item for 100 points, unlimited, open to every tier, vouchers valid 30 days."""

    class Meta:
        model = "rewards.Reward"

    name = factory.Sequence(lambda n: f"Reward {n}")
    kind = RewardKind.FREE_ITEM
    points_cost = 100
    stock = None
    valid_days = 30


def top_up(card, points):
    """Give a card points through the ledger (a goodwill line) and return the fresh card."""
    from loyalty import services
    from loyalty.models import Kind

    services.award_bonus(card, Kind.GOODWILL, points, note="Test top-up")
    card.refresh_from_db()
    return card
