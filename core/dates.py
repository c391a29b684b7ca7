import calendar
import datetime


def shift_months(moment, months: int):
    """The same day and time `months` later (negative: earlier), clamped to the month's end."""
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def next_birthday(birthday: datetime.date, today: datetime.date) -> datetime.date:
    this_year = _on_year(birthday, today.year)
    return this_year if this_year >= today else _on_year(birthday, today.year + 1)


def _on_year(birthday: datetime.date, year: int) -> datetime.date:
    # 29 February is celebrated on 28 February in common years.
    if birthday.month == 2 and birthday.day == 29 and not calendar.isleap(year):
        return datetime.date(year, 2, 28)
    return birthday.replace(year=year)
