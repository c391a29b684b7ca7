"""Random and hostile values in every form field and address parameter of the public pages,
the member portal, the counter and the complaint case page never fail a page: whatever is
sent (Unicode digits, NUL bytes, huge numbers, 100,000 characters, missing, repeated or
mistyped fields, a file where text belongs), the answer is below 500.

Each address lists its parameters by name with a few values that reach the real page (a
card that exists, a valid action). Every parameter is first twisted in turn while the others
stay plausible (the explicit examples), then hypothesis draws more requests that mix them."""

import json
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.unsubscribe import make_token
from loyalty import services as loyalty_services
from rewards import services as reward_services
from surveys import services as survey_services
from surveys.models import (
    Audience,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintPriority,
    ComplaintResolution,
    ComplaintStatus,
    QuestionKind,
    RemedySought,
)
from tests.rewards.factories import RewardFactory, top_up
from tests.surveys.factories import (
    ChoiceFactory,
    QuestionFactory,
    SurveyFactory,
    make_visit_survey,
)

HOSTILE = [
    "",
    " ",
    "\0",
    "lost\0",
    "%00",
    "²²²²²²²²²²²²",
    "²",
    "١٢٣٤٥٦",
    "１２３４５６",
    "𝟗𝟗𝟗",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "9" * 40,
    "-1",
    "0",
    "1.5",
    "1,5",
    "1e309",
    "NaN",
    "-Infinity",
    "0x1F",
    "1_000",
    "9999-12-31",
    "0000-00-00",
    "2026-02-30",
    "[]",
    "{}",
    "null",
    "true",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "\r\nSet-Cookie: hacked=1",
    "\u202egnp.exe",
    "😀" * 20,
    "x" * 100_000,
]
TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40)
NUMBERS = st.integers(min_value=-(2**70), max_value=2**70).map(str)


@dataclass(frozen=True)
class Target:
    """An address, who opens it, how, and the parameters it reads (name → plausible values).
    `{name}` in the path, a parameter name or a value is filled in from the world."""

    role: str
    path: str
    methods: tuple[str, ...] = ("GET",)
    fields: dict[str, list[str]] = field(default_factory=dict)

    def __str__(self):
        action = self.fields.get("action", [""])[0] if "/act/" in self.path else ""
        return " ".join(filter(None, [self.role, "/".join(self.methods), self.path, action]))


COMPLAINT_FIELDS = {
    "category": ComplaintCategory.values,
    "description": ["The croissant was stale and the coffee was cold."],
    "remedy_sought": RemedySought.values,
    "phone": ["+358 40 123 4567"],
    "receipt_number": ["R-1"],
    "photo": [],
    "website": [""],
}
SURVEY_FIELDS = {
    "{q_nps}": [str(n) for n in range(11)],
    "{q_csat}": ["1", "5"],
    "{q_single}": ["{choice_a}", "{choice_b}"],
    "{q_multiple}": ["{choice_c}", "{choice_d}"],
    "{q_yes_no}": ["0", "1"],
    "{q_text}": ["Lovely."],
    "q_0": ["1"],
}
# The case page's actions, each with the fields it reads.
ACTIONS = {
    "reply": {"body": ["We are on it."], "internal": ["on", ""]},
    "status": {"status": ComplaintStatus.values},
    "reopen": {},
    "assign": {"assignee": ["{staff}", "{owner}", "{member}", ""]},
    "priority": {"priority": [str(value) for value in ComplaintPriority.values]},
    "resolve": {
        "resolution_type": ComplaintResolution.values,
        "summary": ["A fresh croissant next time."],
        "goodwill_points": ["10", "0", "100000"],
        "goodwill_reason": ["A second visit went wrong too."],
    },
}
VISIT_FIELDS = {"{v_nps}": ["9"], "{v_csat}": ["5"], "{v_comment}": ["Nice"]}
DATE_BAR = {
    "created_at__year": ["2026", "9999", "1"],
    "created_at__month": ["1", "12", "13"],
    "created_at__day": ["1", "31", "32"],
    "q": ["Maria", "C-2026"],
    "o": ["1", "-2", "99"],
    "p": ["1", "2"],
    "e": ["1"],
}

PUBLIC_PAGES = [
    Target("anonymous", "/"),
    Target("anonymous", "/healthz"),
    Target(
        "anonymous",
        "/accounts/language/",
        ("POST",),
        {"language": ["fi", "en"], "next": ["/", "foo", "//evil.example"]},
    ),
    Target("anonymous", "/join/{referral_code}/"),
    Target("anonymous", "/s/{public_token}/", ("GET", "POST"), SURVEY_FIELDS),
    Target("anonymous", "/v/{visit_token}/", ("GET", "POST"), VISIT_FIELDS),
    Target(
        "anonymous",
        "/rate/{rating_token}/",
        ("GET", "POST"),
        {"rating": ["1", "5"], "comment": ["Thanks"]},
    ),
    Target(
        "anonymous",
        "/contact/",
        ("GET", "POST"),
        {**COMPLAINT_FIELDS, "name": ["Vera"], "email": ["vera@example.com"]},
    ),
    Target("anonymous", "/accounts/unsubscribe/{unsubscribe_token}/", ("GET", "POST")),
    Target(
        "anonymous",
        "/accounts/login/",
        ("GET", "POST"),
        {
            "login": ["member@example.com"],
            "password": ["wrong"],
            "remember": ["on"],
            "next": ["/portal/"],
        },
    ),
    Target(
        "anonymous",
        "/accounts/signup/",
        ("GET", "POST"),
        {
            "email": ["new@example.com"],
            "password1": ["a-long-unusual-passphrase"],
            "password2": ["a-long-unusual-passphrase"],
            "first_name": ["Ana"],
            "last_name": ["Cruz"],
            "invitation_code": ["{referral_code}"],
        },
    ),
    Target(
        "anonymous", "/accounts/password/reset/", ("GET", "POST"), {"email": ["member@example.com"]}
    ),
]
# Pages that change what later ones show (a claimed card, a cancelled voucher) come last.
MEMBER_PORTAL = [
    Target("member", "/portal/"),
    Target("member", "/portal/history/", fields={"page": ["1", "2", "last"]}),
    Target("member", "/portal/invite/"),
    Target(
        "member",
        "/accounts/profile/",
        ("GET", "POST"),
        {
            "first_name": ["Maria"],
            "last_name": ["Reyes"],
            "birthday": ["1990-05-01"],
            "phone": ["+358 40 123"],
            "language": ["en", "fi"],
            "marketing_consent": ["on"],
            "receipt_emails": ["on"],
        },
    ),
    Target(
        "member",
        "/accounts/language/",
        ("POST",),
        {"language": ["fil", "id"], "next": ["/portal/"]},
    ),
    Target("member", "/rewards/", fields={"kind": ["free_item", "donation"], "can_redeem": ["on"]}),
    Target("member", "/rewards/{reward}/", ("GET", "POST"), {"quantity": ["1", "10", "11"]}),
    Target("member", "/rewards/vouchers/"),
    Target("member", "/rewards/vouchers/{voucher}/"),
    Target("member", "/surveys/"),
    Target("member", "/surveys/{members_survey}/", ("GET", "POST"), SURVEY_FIELDS),
    Target("member", "/surveys/{members_survey}/thanks/"),
    Target("member", "/surveys/visit/{invitation}/", ("GET", "POST"), VISIT_FIELDS),
    Target("member", "/complaints/"),
    Target(
        "member",
        "/complaints/new/",
        ("GET", "POST"),
        {**COMPLAINT_FIELDS, "line": ["{line}", "{outsider_line}"]},
    ),
    Target("member", "/complaints/{reference}/"),
    Target("member", "/complaints/{reference}/reply/", ("POST",), {"body": ["Any news?"]}),
    Target(
        "member",
        "/complaints/{reference}/rate/",
        ("POST",),
        {"rating": ["1", "5"], "comment": ["Fine"]},
    ),
    Target("member", "/complaints/{reference}/reopen/", ("POST",)),
    Target(
        "member",
        "/testimonial/",
        ("GET", "POST"),
        {"rating": ["1", "5"], "text": ["Best coffee in town."]},
    ),
    Target("member", "/surveys/visit/{invitation}/not-now/", ("POST",)),
    Target("member", "/rewards/vouchers/{voucher}/cancel/", ("POST",)),
    Target("member", "/portal/digital-card/", ("POST",)),
    Target(
        "member",
        "/portal/claim/",
        ("GET", "POST"),
        {"number": ["{printed_number}"], "pin": ["123456", "{printed_pin}"]},
    ),
]
COUNTER = [
    Target(
        "staff",
        "/admin/counter/",
        fields={"query": ["{card_number}", "Maria", "member@example.com"]},
    ),
    Target(
        "staff",
        "/admin/counter/enrol/",
        ("GET", "POST"),
        {"holder_name": ["Walk In"], "holder_email": ["walk@example.com"]},
    ),
    Target("staff", "/admin/counter/card/{card}/", fields={"done": ["1"]}),
    Target("staff", "/admin/counter/card/{card}/print/"),
    Target("staff", "/admin/counter/line/{line}/slip/"),
    Target("staff", "/admin/counter/vouchers/", fields={"code": ["{voucher}"]}),
    Target(
        "staff",
        "/admin/counter/card/{card}/purchase/",
        ("POST",),
        {"amount": ["12.50", "0.01", "1000000"], "reference": ["R-9", "R-1"]},
    ),
    Target(
        "staff",
        "/admin/counter/card/{card}/pay/",
        ("POST",),
        {"points": ["100", "50"], "reference": ["R-P"]},
    ),
    Target("staff", "/admin/counter/line/{line}/reverse/", ("POST",), {"reason": ["Returned"]}),
    Target("staff", "/admin/counter/vouchers/{redemption}/fulfil/", ("POST",)),
    Target("staff", "/admin/counter/card/{printed_card}/unlock-claim/", ("POST",)),
    Target("staff", "/admin/counter/card/{outsider_card}/block/", ("POST",), {"reason": ["Lost"]}),
    Target(
        "staff", "/admin/counter/card/{outsider_card}/replace/", ("POST",), {"reason": ["Lost"]}
    ),
]
COMPLAINT_CASE = [
    Target("staff", "/admin/surveys/complaint/{complaint}/case/"),
    Target("staff", "/admin/surveys/complaint/{complaint}/change/"),
    *[
        Target(
            role,
            "/admin/surveys/complaint/{complaint}/act/",
            ("POST",),
            {"action": [action], **fields},
        )
        for action, fields in ACTIONS.items()
        # Staff work cases; only goodwill beyond the cap is the owner's.
        for role in (["staff", "owner"] if action == "resolve" else ["staff"])
    ],
    Target(
        "staff",
        "/admin/surveys/complaint/",
        fields={
            **DATE_BAR,
            "status": ComplaintStatus.values,
            "priority__exact": ["1"],
            "assignee__id__exact": ["{staff}"],
            "overdue": ["yes"],
            "channel__exact": ComplaintChannel.values,
        },
    ),
    Target("owner", "/admin/surveys/complaint/figures/"),
    Target(
        "owner",
        "/admin/loyalty/pointtransaction/",
        fields={
            **DATE_BAR,
            "kind__exact": ["purchase"],
            "kind": ["purchase"],
            "card__id__exact": ["{card}"],
        },
    ),
    Target(
        "owner",
        "/admin/rewards/redemption/",
        fields={
            **DATE_BAR,
            "export": ["csv"],
            "status__exact": ["issued"],
            "reward__id__exact": ["{reward}"],
            "foo": ["1"],
        },
    ),
]
AREAS = {
    "public pages": PUBLIC_PAGES,
    "member portal": MEMBER_PORTAL,
    "counter": COUNTER,
    "complaint case and lists": COMPLAINT_CASE,
}


@pytest.fixture(autouse=True)
def quick_passwords(settings):
    # Before the users are made: hashing their passwords properly would cost most of the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(member, card, staff, owner, outsider_card, program):
    """One of everything the addresses name, and the values that reach each real page."""
    line = loyalty_services.record_purchase(
        card, Decimal("12.50"), reference="R-1", staff=staff
    ).line
    outsider_line = loyalty_services.record_purchase(
        outsider_card, Decimal("5.00"), reference="R-2", staff=staff
    ).line
    printed = loyalty_services.issue_card(holder_name="Walk In", staff=staff, physical=True)
    reward = RewardFactory(points_cost=50)
    redemption = reward_services.redeem(top_up(card, 500), reward)

    public = SurveyFactory(audience=Audience.PUBLIC, allow_anonymous=True)
    members = SurveyFactory()
    questions = {}
    for survey in [public, members]:
        for kind, name in [
            (QuestionKind.NPS, "q_nps"),
            (QuestionKind.CSAT, "q_csat"),
            (QuestionKind.SINGLE, "q_single"),
            (QuestionKind.MULTIPLE, "q_multiple"),
            (QuestionKind.YES_NO, "q_yes_no"),
            (QuestionKind.SHORT_TEXT, "q_text"),
        ]:
            questions[name] = QuestionFactory(survey=survey, kind=kind, required=True)
    choices = [ChoiceFactory(question=questions["q_single"]) for _ in range(2)]
    choices += [ChoiceFactory(question=questions["q_multiple"]) for _ in range(2)]
    _visit, nps, csat, comment = make_visit_survey()
    invitation = survey_services.invite_after_visit(member)

    complaint = survey_services.file_complaint(
        user=member,
        name=member.get_full_name(),
        email=member.email,
        category=ComplaintCategory.PRODUCT,
        description="The croissant was stale and the coffee was cold.",
        remedy_sought=RemedySought.REPLACEMENT,
        channel=ComplaintChannel.PORTAL,
    )
    return {
        "card": str(card.pk),
        "card_number": card.number,
        "outsider_card": str(outsider_card.pk),
        "printed_card": str(printed.pk),
        "printed_number": printed.number,
        "printed_pin": printed.claim_pin,
        "line": str(line.pk),
        "outsider_line": str(outsider_line.pk),
        "reward": str(reward.pk),
        "voucher": redemption.code,
        "redemption": str(redemption.pk),
        "public_token": public.public_token,
        "members_survey": str(members.pk),
        **{name: f"q_{question.pk}" for name, question in questions.items()},
        **{
            f"choice_{letter}": str(choice.pk)
            for letter, choice in zip("abcd", choices, strict=True)
        },
        "v_nps": f"q_{nps.pk}",
        "v_csat": f"q_{csat.pk}",
        "v_comment": f"q_{comment.pk}",
        "visit_token": survey_services.visit_token(line),
        "invitation": str(invitation.pk),
        "reference": complaint.reference,
        "complaint": str(complaint.pk),
        "rating_token": survey_services.rating_token(complaint),
        "unsubscribe_token": make_token(member, "marketing"),
        "referral_code": loyalty_services.referral_code_for(member).code,
        "staff": str(staff.pk),
        "owner": str(owner.pk),
        "member": str(member.pk),
    }


UNICODE_DIGITS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
LONG = 100_000


def twists(value: str, *, long=LONG) -> list[str]:
    """A value that reaches the page, made hostile in the ways that once failed pages: the
    same digits in Unicode, one past every integer column, and 100,000 characters."""
    unicode_digits = value.translate(UNICODE_DIGITS) if value else "²"
    if unicode_digits == value:
        unicode_digits = "²" * len(value)
    filler = value or "x"
    return [unicode_digits, value + "0" * 20, (filler * (long // len(filler) + 1))[:long]]


def fill_in(target, world):
    """The target's path with its placeholders and its fields, each with its plausible values."""
    fields = {
        name.format_map(world): [value.format_map(world) for value in plausible]
        for name, plausible in target.fields.items()
    }
    parts = {name: real for name, real in world.items() if "{" + name + "}" in target.path}
    return parts, fields


def build_path(target, parts):
    path = target.path
    for name, value in parts.items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
    return path


def explicit_requests(target, world):
    """Every field and path part twisted in turn while the rest stay plausible, then every
    field a NUL byte, a file, missing, or the whole form sent as JSON."""
    parts, fields = fill_in(target, world)
    method = "POST" if "POST" in target.methods else "GET"
    plain = {name: plausible[0] for name, plausible in fields.items() if plausible}
    yield ("GET" if "GET" in target.methods else method), build_path(target, parts), plain, False
    for name, plausible in fields.items():
        for twisted in twists(plausible[0] if plausible else ""):
            yield method, build_path(target, parts), {**plain, name: twisted}, False
    for name, real in parts.items():
        for twisted in [*twists(real, long=5_000), real + "\0"]:
            yield method, build_path(target, {**parts, name: twisted}), plain, False
    if fields:
        yield method, build_path(target, parts), dict.fromkeys(fields, "\0"), False
    if method == "POST":
        yield method, build_path(target, parts), {name: _file(b"GIF89a") for name in fields}, False
        yield method, build_path(target, parts), {}, False
        yield method, build_path(target, parts), plain, True


def _file(content):
    return SimpleUploadedFile("photo.png", content, content_type="image/png")


def upload():
    """A file where a text is expected, or a broken image where a photo is."""
    return st.sampled_from(
        [b"", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, b"GIF89a" + b"x" * 100, b"plain text"]
    ).map(_file)


def hostile(plausible, *, files):
    """Anything at all for one field: a plausible value twisted, a hostile one, random text or
    numbers, a file (in a form that can carry one), or the field repeated."""
    choices = [st.sampled_from(HOSTILE), TEXT, NUMBERS]
    if plausible:
        choices.append(st.sampled_from(plausible).flatmap(lambda v: st.sampled_from(twists(v))))
    if files:
        choices.append(upload())
    value = st.one_of(*choices)
    return st.one_of(value, st.lists(value, min_size=2, max_size=3))


def usual(plausible):
    """A value that reaches the page, sometimes missing or repeated."""
    if not plausible:
        return st.just(None)
    value = st.sampled_from(plausible)
    return st.one_of(value, value, value, st.just(None), st.lists(value, min_size=2, max_size=2))


@st.composite
def requests(draw, target, world):
    """One field (or path part) attacked while the rest stay usual, or all of them at once."""
    parts, fields = fill_in(target, world)
    method = draw(st.sampled_from(target.methods))
    files = method == "POST"
    attacked = draw(st.sampled_from([*fields, *parts, "everything"]))
    for name, real in parts.items():
        if name in (attacked, "everything"):
            twisted = st.sampled_from([*twists(real, long=5_000), *HOSTILE[:-1]])
            part = draw(st.one_of(twisted, TEXT, NUMBERS))
            parts = {**parts, name: part}
    data = {}
    for name, plausible in fields.items():
        attack = name in (attacked, "everything")
        value = draw(hostile(plausible, files=files) if attack else usual(plausible))
        if value is not None:
            data[name] = value
    as_json = files and not _has_upload(data) and draw(st.booleans())
    return method, build_path(target, parts), data, as_json


def _has_upload(data):
    values = [v for value in data.values() for v in (value if isinstance(value, list) else [value])]
    return any(isinstance(value, SimpleUploadedFile) for value in values)


@pytest.fixture
def clients(member, staff, owner):
    """One client per role, each answering like the live site (a 500 page, not an exception)."""
    found = {"anonymous": Client(raise_request_exception=False)}
    for role, user in [("member", member), ("staff", staff), ("owner", owner)]:
        found[role] = Client(raise_request_exception=False)
        found[role].force_login(user)
    return found


def send(client, method, path, data, as_json):
    if method == "GET":
        return client.get(path, data)
    if as_json:
        return client.post(path, json.dumps(data), content_type="application/json")
    return client.post(path, data)


FUZZING = settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("area", AREAS)
def test_no_value_in_any_field_or_address_part_fails_a_page(area, world, clients, settings):
    settings.DEBUG = False
    failures = []
    for target in AREAS[area]:
        try:
            fuzz(target, world, clients[target.role])
        except Exception as error:  # every address's failure is reported, not only the first
            failures.append(f"{target}: {error}")
    assert not failures, "\n\n".join(failures)


def fuzz(target, world, client):
    def no_server_error(sent):
        method, path, data, as_json = sent
        response = send(client, method, path, data, as_json)
        assert response.status_code < 500, (method, path, _shown(data), response.exc_info)

    for sent in explicit_requests(target, world):
        no_server_error = example(sent=sent)(no_server_error)
    FUZZING(given(sent=requests(target, world))(no_server_error))()


def _shown(data):
    """The values sent, long ones shortened so that a failure stays readable."""

    def short(value):
        return value[:80] + "…" if isinstance(value, str) and len(value) > 80 else value

    return {
        name: [short(v) for v in value] if isinstance(value, list) else short(value)
        for name, value in data.items()
    }
