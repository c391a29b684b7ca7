import datetime
import json
from decimal import Decimal

from core.jsoncodec import TaggedDecoder, TaggedEncoder


def test_values_come_back_as_what_they_were():
    value = {
        "spend": Decimal("12.30"),
        "day": datetime.date(2026, 12, 1),
        "moment": datetime.datetime(2026, 12, 1, 9, 30, tzinfo=datetime.UTC),
        "took": datetime.timedelta(hours=14, minutes=5),
        "rows": [{"share": 0.5, "name": "__date__"}],
        "plain": {"__other__": 1},
    }

    back = json.loads(json.dumps(value, cls=TaggedEncoder), cls=TaggedDecoder)

    assert back == value
    assert type(back["day"]) is datetime.date and type(back["spend"]) is Decimal
