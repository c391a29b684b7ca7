from hypothesis import given
from hypothesis import strategies as st

from loyalty import cardnumbers

bodies = st.text(alphabet="0123456789", min_size=11, max_size=11)


def test_luhn_check_digit_matches_the_textbook_example():
    assert cardnumbers.luhn_check_digit("7992739871") == "3"


def test_number_with_its_check_digit_is_valid():
    assert cardnumbers.is_valid("12345678901" + cardnumbers.luhn_check_digit("12345678901"))


@given(body=bodies, position=st.integers(0, 11), shift=st.integers(1, 9))
def test_any_single_mistyped_digit_makes_the_number_invalid(body, position, shift):
    number = body + cardnumbers.luhn_check_digit(body)
    mistyped_digit = str((int(number[position]) + shift) % 10)
    mistyped = number[:position] + mistyped_digit + number[position + 1 :]

    assert cardnumbers.is_valid(number)
    assert not cardnumbers.is_valid(mistyped)


def test_numbers_of_the_wrong_length_or_with_letters_are_invalid():
    valid = "12345678901" + cardnumbers.luhn_check_digit("12345678901")
    assert not cardnumbers.is_valid(valid[:-1])
    assert not cardnumbers.is_valid(valid + "0")
    assert not cardnumbers.is_valid("")
    assert not cardnumbers.is_valid("1234567890a" + valid[-1])


def test_random_numbers_are_twelve_valid_digits_without_a_leading_zero():
    numbers = {cardnumbers.random_number() for _ in range(200)}
    assert len(numbers) == 200
    for number in numbers:
        assert len(number) == 12
        assert number.isdigit()
        assert number[0] != "0"
        assert cardnumbers.is_valid(number)


def test_numbers_are_shown_in_groups_of_four():
    assert cardnumbers.format_number("123456789012") == "1234 5678 9012"


def test_spaces_and_dashes_a_person_types_are_ignored():
    assert cardnumbers.normalise(" 1234-5678 9012\t") == "123456789012"
