# Indonesian: one date style everywhere, day first with the month's short name ("2 Des 2026"),
# instead of Django's "2 Des. 2026" beside "02-12-2026".
DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = DATE_FORMAT
TIME_FORMAT = "G.i"
DATETIME_FORMAT = "j M Y G.i"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
