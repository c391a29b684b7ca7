"""What the member home shows of surveys and complaints, as parts of a kept page's state (see
core.pagecache)."""

from __future__ import annotations

from core.pagecache import Part, counts_by
from surveys.models import Complaint, ComplaintStatus, Invitation, Response


def member_parts(user_id: int) -> list[Part]:
    """The member's survey invitations (newest, how many dismissed), answers and complaints
    (newest, how many in each status): what decides the "How was your visit?" card."""
    invitations = Invitation._meta.db_table
    complaints = Complaint._meta.db_table
    return [
        Part(
            f"SELECT MAX(id) || ':' || COUNT(dismissed_at) FROM {invitations} WHERE user_id = %s",
            (user_id,),
        ),
        Part(f"SELECT MAX(id) FROM {Response._meta.db_table} WHERE user_id = %s", (user_id,)),
        Part(
            f"SELECT MAX(id) || ':' || {counts_by('status', ComplaintStatus.values)} "
            f"FROM {complaints} WHERE user_id = %s",
            (user_id,),
        ),
    ]
