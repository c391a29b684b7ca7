"""The till API's card endpoints: member lookup, card reads, purchases, reversals and
enrolment. rewards/api.py has payments with points and vouchers; loyalty/api_base.py the
machinery they share (keys, scopes, limits, idempotency, problem documents).

A till sends `Authorization: Api-Key <key>`; the key (a `TillKey`) names the branch its sales
belong to and the scopes it may use. Errors are RFC 9457 problem documents whose `detail` is
the sentence staff see at the counter. Writes take an `Idempotency-Key` header: the first
answer is kept and sent again, unchanged and without doing anything again, to a retry with the
same key and body.
"""

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from core.inputs import only_digits, row_id
from loyalty import selectors, services, stamps
from loyalty.api_base import (
    IDEMPOTENCY_HEADER,
    PROBLEM_JSON,
    TillKeyAuthentication,
    idempotent,
    requires,
    till_branch,
)
from loyalty.exceptions import CardNotFound
from loyalty.models import Card, Kind, PointTransaction, Scope
from loyalty.templatetags.loyalty import why

RECENT_LINES = 10


class TillKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = TillKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`: the key made for this till in the admin.",
        }


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique text up to 255 characters. A retry with the same key and body gets the "
        "first answer again (header `Idempotent-Replayed: true`) and changes nothing; the same "
        "key with another body is refused (422). Keys are kept per till key."
    ),
)


class Problem(serializers.Serializer):
    """An RFC 9457 problem document."""

    type = serializers.CharField(help_text="A stable address naming the kind of problem.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text="What went wrong, in the words staff see.")
    errors = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="Per field, what is wrong with it (invalid fields only).",
    )


def problems(*statuses: int) -> dict:
    """The problem responses an endpoint documents, beside those every endpoint may send."""
    every = {400, 401, 403, 429}
    return {(status, PROBLEM_JSON): Problem for status in sorted(every | set(statuses))}


# Serializers -------------------------------------------------------------------------------


class LineOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    points = serializers.IntegerField()
    balance_after = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    receipt = serializers.CharField(source="reference")
    branch = serializers.CharField(source="store.name", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    why = serializers.SerializerMethodField(help_text="Why the line has its points.")

    def get_why(self, line) -> str:
        return why(line)


class CardSummaryOut(serializers.Serializer):
    number = serializers.CharField()
    formatted_number = serializers.CharField()
    status = serializers.CharField()
    holder = serializers.CharField(allow_null=True, default="")
    balance = serializers.IntegerField()
    tier = serializers.CharField(source="tier.name", allow_null=True, default=None)


class StampProgressOut(serializers.Serializer):
    stamp_card = serializers.CharField(source="stamp_card.name")
    stamps = serializers.IntegerField(help_text="Stamps on the card in progress.")
    needed = serializers.IntegerField(help_text="Stamps that fill the card and earn its reward.")
    completed = serializers.IntegerField(help_text="Cards filled so far.")


class CardOut(CardSummaryOut):
    lines = LineOut(many=True, help_text="The 10 most recent ledger lines, newest first.")
    stamp_cards = StampProgressOut(many=True, help_text="Progress on each active stamp card.")


class StampedOut(serializers.Serializer):
    stamp_card = serializers.CharField(source="stamp_card.name")
    added = serializers.IntegerField(help_text="Stamps this purchase added.")
    stamps = serializers.IntegerField(help_text="Stamps on the card in progress now.")
    needed = serializers.IntegerField()
    completed = serializers.IntegerField(help_text="Cards this purchase filled.")
    vouchers = serializers.SerializerMethodField(
        help_text="Codes of the vouchers the filled cards issued."
    )

    def get_vouchers(self, stamped) -> list[str]:
        return [voucher.code for voucher in stamped.vouchers]


class LookupOut(serializers.Serializer):
    cards = CardSummaryOut(many=True)


class ItemIn(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    quantity = serializers.IntegerField(min_value=1, max_value=10_000, default=1)


class PurchaseIn(serializers.Serializer):
    amount = serializers.CharField(
        max_length=20, help_text="The amount paid, a decimal string such as `12.50`."
    )
    receipt = serializers.CharField(max_length=64, help_text="The receipt number.")
    items = ItemIn(
        many=True,
        required=False,
        max_length=200,
        help_text="What was bought. Accepted and echoed, not kept yet.",
    )
    item_count = serializers.CharField(
        required=False,
        max_length=4,
        help_text="How many of the product a stamp card counts (e.g. coffees), 1 to 99; default 1.",
    )


class PurchaseOut(serializers.Serializer):
    created = serializers.BooleanField(
        help_text="False: this receipt was already recorded on this card; nothing was added."
    )
    line = LineOut()
    balance = serializers.IntegerField()
    items = ItemIn(many=True)
    stamps = StampedOut(many=True, help_text="What the purchase did on each stamp card.")


class ReversalIn(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class ReversalOut(serializers.Serializer):
    line = LineOut()
    balance = serializers.IntegerField()


class EnrolIn(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    email = serializers.EmailField(required=False, allow_blank=True, default="")


class EnrolOut(serializers.Serializer):
    number = serializers.CharField()
    formatted_number = serializers.CharField()
    claim_pin = serializers.CharField(help_text="With the number, claims the card online.")
    balance = serializers.IntegerField()
    tier = serializers.CharField(source="tier.name", allow_null=True, default=None)


def read(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# Views -------------------------------------------------------------------------------------

CARD_NUMBER = OpenApiParameter(
    "number", OpenApiTypes.STR, OpenApiParameter.PATH, description="The card's 12 digits."
)


def _card_lines(card: Card) -> list[PointTransaction]:
    return list(card.transactions.select_related("store")[:RECENT_LINES])


@extend_schema(
    summary="Look up a member",
    parameters=[
        OpenApiParameter("card", OpenApiTypes.STR, description="A card number, as typed."),
        OpenApiParameter("qr", OpenApiTypes.STR, description="What the card's QR code holds."),
        OpenApiParameter("phone", OpenApiTypes.STR, description="The member's phone number."),
    ],
    responses={200: LookupOut, **problems(404, 409, 422)},
)
@api_view(["GET"])
@permission_classes([requires(Scope.CARDS_READ)])
def lookup(request):
    """Find cards by exactly one of `card` (a number as typed: spaces and dashes are
    ignored), `qr` (the 12 digits the card's QR code holds) or `phone` (any phone number
    registered by a member; spaces, dashes and brackets are ignored). Members are shop-wide:
    every branch's key finds every card."""
    given = {name: request.query_params.get(name) for name in ["card", "qr", "phone"]}
    given = {name: value for name, value in given.items() if value is not None}
    if len(given) != 1:
        raise exceptions.ValidationError(
            {"query": [_("Give one of card, qr or phone.")]}, code="invalid"
        )
    ((name, value),) = given.items()
    if name == "qr" and not (len(value) == 12 and only_digits(value)):
        raise CardNotFound(_("That QR code is not a card."))
    if name == "phone":
        cards = selectors.cards_by_phone(value)
        if not cards:
            raise CardNotFound(_("No card matches “%(query)s”.") % {"query": value})
    else:
        cards = [selectors.card_by_number(value)]
    return Response(LookupOut({"cards": cards}).data)


@extend_schema(
    summary="Read a card",
    parameters=[CARD_NUMBER],
    responses={200: CardOut, **problems(404, 409, 422)},
)
@api_view(["GET"])
@permission_classes([requires(Scope.CARDS_READ)])
def card_detail(request, number):
    """A card's status, holder, balance, tier and its 10 most recent ledger lines."""
    card = selectors.card_by_number(number)
    card.lines = _card_lines(card)
    card.stamp_cards = stamps.progress_of(card)
    return Response(CardOut(card).data)


@extend_schema(
    summary="Record a purchase",
    parameters=[CARD_NUMBER, IDEMPOTENCY_PARAMETER],
    request=PurchaseIn,
    responses={201: PurchaseOut, 200: PurchaseOut, **problems(404, 409, 415, 422)},
)
@api_view(["POST"])
@permission_classes([requires(Scope.PURCHASES)])
@idempotent
def purchase(request, number):
    """Record a purchase and its points in the key's branch. The same receipt number on the
    same card is recorded once: a repeat answers 200 with `created: false` and adds nothing.
    A receipt number belongs to its branch; one that already earned points on another card
    is refused (409). `items` are accepted and echoed but not kept."""
    data = read(PurchaseIn, request)
    card = selectors.card_by_number(number)
    recorded = services.record_purchase(
        card,
        data["amount"].replace(",", "."),
        reference=data["receipt"],
        staff=None,
        store=till_branch(request),
        till_key=request.auth,
        items=data.get("item_count"),
    )
    card.refresh_from_db(fields=["balance"])
    body = {
        "created": recorded.created,
        "line": recorded.line,
        "balance": card.balance,
        "items": data.get("items", []),
        "stamps": recorded.stamps,
    }
    return Response(PurchaseOut(body).data, status=201 if recorded.created else 200)


@extend_schema(
    summary="Reverse a purchase",
    parameters=[
        OpenApiParameter(
            "id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The purchase line's id."
        ),
        IDEMPOTENCY_PARAMETER,
    ],
    request=ReversalIn,
    responses={201: ReversalOut, **problems(404, 409, 415, 422)},
)
@api_view(["POST"])
@permission_classes([requires(Scope.PURCHASES)])
@idempotent
def reversal(request, id):  # noqa: A002 - the path's name for it
    """Undo a purchase recorded in the key's branch, once; a purchase of another branch is
    not found (404). The balance may go below zero."""
    data = read(ReversalIn, request)
    store = till_branch(request)
    line_id = row_id(id)
    purchases = PointTransaction.objects.filter(kind=Kind.PURCHASE, store=store)
    line = purchases.filter(pk=line_id).first() if line_id is not None else None
    if line is None:
        raise exceptions.NotFound(_("This branch recorded no purchase with that id."))
    undone = services.reverse_purchase(
        line, staff=None, reason=data["reason"], store=store, till_key=request.auth
    )
    return Response(ReversalOut({"line": undone, "balance": undone.balance_after}).data, 201)


@extend_schema(
    summary="Enrol a new member",
    parameters=[IDEMPOTENCY_PARAMETER],
    request=EnrolIn,
    responses={201: EnrolOut, **problems(409, 415, 422)},
)
@api_view(["POST"])
@permission_classes([requires(Scope.MEMBERS)])
@idempotent
def enrol(request):
    """Issue a printed-style card with its welcome points for a walk-in. The member claims it
    online with the number and the claim PIN. The welcome line names the key that enrolled."""
    data = read(EnrolIn, request)
    till_branch(request)
    card = services.issue_card(
        holder_name=data["name"],
        holder_email=data["email"],
        staff=None,
        physical=True,
        till_key=request.auth,
    )
    return Response(EnrolOut(card).data, status=201)
