# Finnish: one date style everywhere, the one Finns write ("2.12.2026", "2.12.2026 klo 14.05"
# reads the same as "2.12.2026 14.05"); Django's own long form ("2. joulukuuta 2026") is not used.
DATE_FORMAT = "j.n.Y"
SHORT_DATE_FORMAT = DATE_FORMAT
TIME_FORMAT = "G.i"
DATETIME_FORMAT = "j.n.Y G.i"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
