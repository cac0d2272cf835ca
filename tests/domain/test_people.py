"""Masking and validation of personal data."""

from __future__ import annotations

import pytest

from domain.errors import ErrorCode, ValidationError
from domain.people.masking import mask_mobile, mask_name, mask_resident_id
from domain.people.validation import normalise_mobile, normalise_person_name, normalise_resident_id


@pytest.mark.parametrize(
    ("name", "masked"), [("张三", "张*"), ("欧阳娜娜", "欧***"), ("李", "李*"), ("", "")]
)
def test_names_keep_only_the_first_character(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_mobile_keeps_prefix_and_last_four() -> None:
    assert mask_mobile("13812341234") == "138****1234"


def test_resident_id_keeps_first_six_and_last_four() -> None:
    assert mask_resident_id("33048219900101002X") == "330482********002X"


@pytest.mark.parametrize("raw", ["13812341234", "+86 138 1234 1234", "0086-13812341234"])
def test_mobile_numbers_are_normalised(raw: str) -> None:
    assert normalise_mobile(raw) == "13812341234"


@pytest.mark.parametrize("raw", ["12812341234", "1381234123", "138123412345", "abc"])
def test_bad_mobile_numbers_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError) as raised:
        normalise_mobile(raw)
    assert raised.value.code is ErrorCode.INVALID_MOBILE


def test_resident_id_check_digit_is_verified() -> None:
    valid = "11010519491231002X"
    assert normalise_resident_id(valid.lower()) == valid
    with pytest.raises(ValidationError):
        normalise_resident_id("110105194912310021")


def test_person_names_are_trimmed_and_bounded() -> None:
    assert normalise_person_name("  王五 ") == "王五"
    with pytest.raises(ValidationError):
        normalise_person_name("   ")
