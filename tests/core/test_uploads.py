"""An upload cannot exhaust a worker's memory: an image is refused on the pixel count in its
header, before anything is decoded, wherever pictures are taken, and a refused contact form
counts against the form's rate limit."""

import contextlib
import re
import resource
import struct
import sys
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rewards.models import Reward, RewardKind
from surveys.models import Complaint, ComplaintCategory, RemedySought

TOO_MANY_PIXELS = "The image has too many pixels. Please choose a smaller one."
RATE_LIMITED = "Too many messages from your network. Please try again later."
MEMORY_BUDGET = 100 * 1024 * 1024


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_of_zero_rows(side: int, *, rows: int | None = None) -> bytes:
    """A side × side RGBA PNG of transparent black, compressed one row at a time so making it
    costs no memory; `rows` fewer than `side` leaves the picture cut short after the header."""
    header = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = bytes(1 + side * 4)
    pixels = b"".join(compressor.compress(row) for _ in range(side if rows is None else rows))
    pixels += compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", pixels)
        + png_chunk(b"IEND", b"")
    )


@pytest.fixture(scope="session")
def bomb_png() -> bytes:
    """13000 × 13000 RGBA: 657 KB on the wire, 676 MB once decoded."""
    return png_of_zero_rows(13_000)


def bomb(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("photo.png", data, content_type="image/png")


def peak_resident_bytes() -> int:
    status = Path("/proc/self/status")
    if status.exists():
        return int(re.search(r"VmHWM:\s+(\d+) kB", status.read_text()).group(1)) * 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class PeakMemoryGrowth:
    """How far the process's peak resident memory rises inside the block, in bytes."""

    def __enter__(self):
        # Linux: start the peak again from the current size, so an earlier test's peak
        # cannot hide this one's.
        with contextlib.suppress(OSError):
            Path("/proc/self/clear_refs").write_text("5")
        self.before = peak_resident_bytes()
        return self

    def __exit__(self, *exc_info):
        self.growth = peak_resident_bytes() - self.before


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def complaint_data(**overrides):
    data = {
        "name": "Vera Visitor",
        "email": "vera@example.com",
        "phone": "",
        "category": ComplaintCategory.PRODUCT,
        "description": "The croissant was stale and cold.",
        "remedy_sought": RemedySought.REFUND,
        "receipt_number": "",
        "website": "",
    }
    return {**data, **overrides}


def reward_data(**overrides):
    data = {
        "name": "Cake",
        "description": "A slice of the day's cake.",
        "kind": RewardKind.FREE_ITEM,
        "points_cost": "250",
        "stock": "12",
        "available_from_0": "",
        "available_from_1": "",
        "available_until_0": "",
        "available_until_1": "",
        "per_member_limit": "",
        "minimum_tier": "",
        "valid_days": "30",
        "is_active": "on",
        "display_order": "100",
    }
    return {**data, **overrides}


def contact_form_attempts() -> int:
    return int(settings.ACCOUNT_RATE_LIMITS["contact_form"].split("/")[0])


def test_contact_form_refuses_a_13000_by_13000_png_without_decoding_it(client, db, media, bomb_png):
    with PeakMemoryGrowth() as memory:
        response = client.post(reverse("contact"), complaint_data(photo=bomb(bomb_png)))

    assert response.status_code == 200
    assert TOO_MANY_PIXELS in response.content.decode()
    assert not Complaint.objects.exists()
    assert stored_files(media) == []
    assert memory.growth < MEMORY_BUDGET, f"the worker grew by {memory.growth / 2**20:.0f} MB"


def test_header_claiming_billions_of_pixels_gets_the_same_plain_message(client, db, media):
    # 100000 × 100000 in the header, a single row behind it: Pillow's own guard trips first.
    upload = bomb(png_of_zero_rows(100_000, rows=1))

    response = client.post(reverse("contact"), complaint_data(photo=upload))

    assert TOO_MANY_PIXELS in response.content.decode()
    assert not Complaint.objects.exists()


@pytest.mark.parametrize(
    "refused",
    [{"description": ""}, {"website": "http://spam.example"}, "bomb"],
    ids=["missing description", "bot trap filled", "image with too many pixels"],
)
def test_refused_contact_form_posts_count_against_its_rate_limit(client, db, bomb_png, refused):
    for _attempt in range(contact_form_attempts()):
        fields = {"photo": bomb(bomb_png)} if refused == "bomb" else refused
        response = client.post(reverse("contact"), complaint_data(**fields))
        assert response.status_code == 200
        assert RATE_LIMITED not in response.content.decode()

    with PeakMemoryGrowth() as memory:
        limited = client.post(reverse("contact"), complaint_data(photo=bomb(bomb_png)))
    one_more = client.post(reverse("contact"), complaint_data())

    assert RATE_LIMITED in limited.content.decode()
    assert memory.growth < MEMORY_BUDGET
    assert RATE_LIMITED in one_more.content.decode()
    assert "The croissant was stale and cold." in one_more.content.decode()  # kept for a retry
    assert not Complaint.objects.exists()


def test_member_complaint_photo_with_too_many_pixels_is_refused_without_decoding(
    member_client, card, media, bomb_png
):
    with PeakMemoryGrowth() as memory:
        response = member_client.post(
            reverse("complaint_new"), complaint_data(photo=bomb(bomb_png))
        )

    assert response.status_code == 200
    assert TOO_MANY_PIXELS in response.content.decode()
    assert not Complaint.objects.exists()
    assert stored_files(media) == []
    assert memory.growth < MEMORY_BUDGET


def test_reward_image_with_too_many_pixels_is_refused_without_decoding(
    owner_client, media, bomb_png
):
    with PeakMemoryGrowth() as memory:
        response = owner_client.post(
            reverse("admin:rewards_reward_add"), reward_data(image=bomb(bomb_png))
        )

    assert response.status_code == 200
    assert TOO_MANY_PIXELS in response.content.decode()
    assert not Reward.objects.exists()
    assert stored_files(media) == []
    assert memory.growth < MEMORY_BUDGET
