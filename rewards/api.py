"""The till API for rewards: pay part of a bill with points, check and use vouchers. Keys,
scopes, limits, idempotency and problem documents come from loyalty/api.py."""

from decimal import Decimal

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from loyalty import selectors
from loyalty import services as loyalty_services
from loyalty.api import CARD_NUMBER, IDEMPOTENCY_PARAMETER, LineOut, problems, read
from loyalty.api_base import idempotent, requires, till_branch
from loyalty.models import Program, Scope
from rewards import services
from rewards.models import RedemptionStatus

# Points and counts beyond these are no real request; refused before any arithmetic.
LARGEST_POINTS = 1_000_000_000


class StepOut(serializers.Serializer):
    points = serializers.IntegerField()
    value = serializers.DecimalField(max_digits=14, decimal_places=2)


class QuoteIn(serializers.Serializer):
    amount = serializers.CharField(
        max_length=20,
        required=False,
        help_text="The bill, a decimal string: only steps worth no more than it are offered.",
    )
    points = serializers.IntegerField(
        required=False,
        min_value=-LARGEST_POINTS,
        max_value=LARGEST_POINTS,
        help_text="Points the member wants to use: says whether they can and what they are worth.",
    )


class RequestedOut(serializers.Serializer):
    points = serializers.IntegerField()
    value = serializers.DecimalField(max_digits=14, decimal_places=2)
    allowed = serializers.BooleanField()


class QuoteOut(serializers.Serializer):
    balance = serializers.IntegerField()
    point_value = serializers.DecimalField(max_digits=10, decimal_places=4)
    steps = StepOut(many=True, help_text="The points the counter offers, with their value.")
    requested = RequestedOut(allow_null=True)


class PaymentIn(serializers.Serializer):
    points = serializers.IntegerField(min_value=-LARGEST_POINTS, max_value=LARGEST_POINTS)
    receipt = serializers.CharField(max_length=64)


class PaymentOut(serializers.Serializer):
    created = serializers.BooleanField(
        help_text="False: this receipt was already paid with points; do not take it off again."
    )
    points = serializers.IntegerField()
    value = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="The money to take off."
    )
    line = LineOut()
    balance = serializers.IntegerField()


class VoucherOut(serializers.Serializer):
    code = serializers.CharField()
    formatted_code = serializers.CharField()
    reward = serializers.CharField(source="reward.name")
    quantity = serializers.IntegerField()
    points = serializers.IntegerField()
    status = serializers.ChoiceField(choices=RedemptionStatus.choices)
    valid_until = serializers.DateTimeField()
    card = serializers.CharField(source="card.number")
    holder = serializers.CharField(source="card.holder", allow_null=True, default="")
    usable = serializers.SerializerMethodField()
    refusal = serializers.SerializerMethodField(
        help_text="Why the voucher cannot be used, as the counter says it; null if it can."
    )

    def get_usable(self, redemption) -> bool:
        return services.refusal_for(redemption) is None

    def get_refusal(self, redemption) -> str | None:
        return services.refusal_for(redemption)


class FulfilmentOut(VoucherOut):
    message = serializers.CharField()


VOUCHER_CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The voucher's 10 characters."
)


@extend_schema(
    summary="Quote a payment with points",
    parameters=[CARD_NUMBER],
    request=QuoteIn,
    responses={200: QuoteOut, **problems(404, 409, 415, 422)},
)
@api_view(["POST"])
@permission_classes([requires(Scope.POINTS)])
def quote(request, number):
    """What the member can pay with points: the same steps the counter offers (the owner's
    step, up to the balance), only those worth no more than `amount` when it is given, and
    for `points`, whether that many can be used and what they are worth. Changes nothing."""
    data = read(QuoteIn, request)
    card = selectors.card_by_number(number)
    program = Program.current()
    steps = selectors.payment_steps(card.balance, program)
    if "amount" in data:
        bill = loyalty_services.clean_amount(data["amount"].replace(",", "."), program)
        steps = [(points, value) for points, value in steps if value <= bill]
    requested = None
    if "points" in data:
        points = data["points"]
        step = program.pay_with_points_step
        requested = {
            "points": points,
            "value": Decimal(points) * program.point_value,
            "allowed": 0 < points <= card.balance and points % step == 0,
        }
    body = {
        "balance": card.balance,
        "point_value": program.point_value,
        "steps": [{"points": points, "value": value} for points, value in steps],
        "requested": requested,
    }
    return Response(QuoteOut(body).data)


@extend_schema(
    summary="Pay with points",
    parameters=[CARD_NUMBER, IDEMPOTENCY_PARAMETER],
    request=PaymentIn,
    responses={201: PaymentOut, 200: PaymentOut, **problems(404, 409, 415, 422)},
)
@api_view(["POST"])
@permission_classes([requires(Scope.POINTS)])
@idempotent
def payment(request, number):
    """Take points off the card as money off receipt `receipt` in the key's branch, at the
    program's point value, in the owner's steps and never more than the balance. A receipt is
    paid once: a repeat answers 200 with `created: false` and takes nothing again."""
    data = read(PaymentIn, request)
    card = selectors.card_by_number(number)
    paid = services.pay_with_points(
        card,
        data["points"],
        staff=None,
        reference=data["receipt"],
        store=till_branch(request),
        till_key=request.auth,
    )
    card.refresh_from_db(fields=["balance"])
    body = {
        "created": paid.created,
        "points": paid.points,
        "value": paid.value,
        "line": paid.line,
        "balance": card.balance,
    }
    return Response(PaymentOut(body).data, status=201 if paid.created else 200)


@extend_schema(
    summary="Check a voucher",
    parameters=[VOUCHER_CODE],
    responses={200: VoucherOut, **problems(404, 422)},
)
@api_view(["GET"])
@permission_classes([requires(Scope.VOUCHERS)])
def voucher(request, code):
    """A voucher of any branch: its reward, card, status and, when it cannot be used, why
    (used, cancelled or expired, with when), in the counter's words."""
    return Response(VoucherOut(services.find_voucher(code)).data)


@extend_schema(
    summary="Use a voucher",
    parameters=[VOUCHER_CODE, IDEMPOTENCY_PARAMETER],
    request=None,
    responses={200: FulfilmentOut, **problems(404, 409, 422)},
)
@api_view(["POST"])
@permission_classes([requires(Scope.VOUCHERS)])
@idempotent
def fulfilment(request, code):
    """Mark the voucher used in the key's branch: hand over the reward. A used, cancelled or
    expired voucher is refused (409) saying which and when."""
    redemption = services.find_voucher(code)
    redemption = services.fulfil_redemption(redemption, staff=None, store=till_branch(request))
    message = _("Voucher %(code)s used: hand over %(reward)s.") % {
        "code": redemption.formatted_code,
        "reward": redemption.reward.name,
    }
    return Response(VoucherOut(redemption).data | {"message": message})
