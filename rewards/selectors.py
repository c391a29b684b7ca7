"""Read-only questions about rewards and vouchers."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from loyalty.models import Card, tier_meets
from rewards.models import Redemption, RedemptionStatus, Reward
from rewards.services import OPEN_STATUSES


@dataclass
class CatalogEntry:
    reward: Reward
    points_needed: int
    tier_locked: bool
    sold_out: bool
    limit_reached: bool

    @property
    def can_redeem(self):
        return not (self.points_needed or self.tier_locked or self.sold_out or self.limit_reached)


def available_rewards() -> QuerySet[Reward]:
    now = timezone.now()
    return (
        Reward.objects.filter(is_active=True)
        .filter(Q(available_from__isnull=True) | Q(available_from__lte=now))
        .filter(Q(available_until__isnull=True) | Q(available_until__gt=now))
        .select_related("minimum_tier")
    )


def catalog(card: Card | None, *, kind: str = "") -> list[CatalogEntry]:
    """Every reward on offer with what stands between this card and it. One query, and one
    more for the member's open vouchers when a reward on offer has a per-member limit."""
    rewards = available_rewards()
    if kind:
        rewards = rewards.filter(kind=kind)
    rewards = list(rewards)
    held = {}
    limited = any(reward.per_member_limit is not None for reward in rewards)
    if limited and card is not None and card.user_id:
        held = dict(
            Redemption.objects.filter(card__user=card.user_id, status__in=OPEN_STATUSES)
            .values_list("reward")
            .annotate(total=Sum("quantity"))
        )
    balance = card.balance if card is not None else 0
    tier = card.tier if card is not None else None
    return [
        CatalogEntry(
            reward=reward,
            points_needed=max(reward.points_cost - balance, 0),
            tier_locked=not tier_meets(tier, reward.minimum_tier),
            sold_out=reward.stock == 0,
            limit_reached=reward.per_member_limit is not None
            and held.get(reward.pk, 0) >= reward.per_member_limit,
        )
        for reward in rewards
    ]


def within_reach(card: Card, *, count: int = 3) -> tuple[list[CatalogEntry], CatalogEntry | None]:
    """For the member home: rewards redeemable now (cheapest first) and the next one to aim for."""
    entries = [
        entry
        for entry in catalog(card)
        if not (entry.tier_locked or entry.sold_out or entry.limit_reached)
    ]
    ready = sorted((e for e in entries if e.can_redeem), key=lambda e: e.reward.points_cost)
    close = sorted((e for e in entries if e.points_needed), key=lambda e: e.points_needed)
    return ready[:count], (close[0] if close else None)


def member_vouchers(user) -> QuerySet[Redemption]:
    return Redemption.objects.filter(card__user=user).select_related("reward")


def stamp_vouchers(card: Card) -> list[Redemption]:
    """The unused vouchers the card's full stamp cards earned."""
    return list(
        Redemption.objects.filter(
            card=card,
            stamp_line__isnull=False,
            status=RedemptionStatus.ISSUED,
            valid_until__gt=timezone.now(),
        )
        .select_related("reward")
        .order_by("valid_until", "pk")
    )


def reward_figures() -> QuerySet[Reward]:
    """Rewards with how many units were redeemed, used, cancelled and expired."""

    def units(status=None):
        condition = Q(redemptions__status=status) if status else Q(redemptions__isnull=False)
        return Sum("redemptions__quantity", filter=condition, default=0)

    return Reward.objects.annotate(
        redeemed_units=units(),
        fulfilled_units=units(RedemptionStatus.FULFILLED),
        cancelled_units=units(RedemptionStatus.CANCELLED),
        expired_units=units(RedemptionStatus.EXPIRED),
        redemption_count=Count("redemptions"),
    )
