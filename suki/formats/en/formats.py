# English as the shop writes it: one date style everywhere, day first with the month's short
# name ("2 Dec 2026"), so a date never reads as another (12/02 is February to most members)
# and a short and a long date look alike. Times on the 24-hour clock.
DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = DATE_FORMAT
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
