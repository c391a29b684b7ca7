"""Card numbers: 12 digits, random, the last one a Luhn check digit."""

import secrets

from core.inputs import only_digits


def luhn_check_digit(body: str) -> str:
    total = 0
    # Double every second digit counting from the right of the full number, i.e. starting
    # with the body's last digit.
    for index, char in enumerate(reversed(body)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def is_valid(number: str) -> bool:
    return len(number) == 12 and only_digits(number) and luhn_check_digit(number[:-1]) == number[-1]


def random_number() -> str:
    # A leading zero is avoided so spreadsheets and scanners never drop it.
    body = str(secrets.choice("123456789")) + "".join(
        secrets.choice("0123456789") for _ in range(10)
    )
    return body + luhn_check_digit(body)


def random_pin() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(6))


def normalise(text: str) -> str:
    """What a person or a scanner typed, without the spaces and dashes."""
    return "".join(char for char in text if char not in " -\t")


def format_number(number: str) -> str:
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
