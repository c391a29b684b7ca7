"""The help page: how points and tiers work, a lost card, whom to ask and where to complain;
public, and what "Help" in the member menu opens."""

from django.urls import reverse


def test_help_explains_points_tiers_and_a_lost_card_to_anyone(client, tiers, program):
    response = client.get("/help/")

    assert response.status_code == 200
    page = response.content.decode()
    for heading in [
        "How points work",
        "How tiers work",
        "A lost or damaged card",
        "Who to contact",
    ]:
        assert heading in page
    assert "Points for every €1.00 spent: 1." in page
    assert "on your birthday (100)" in page
    assert "Points expire after 12 months without earning or spending any" in page
    assert "Silver: from 500 points" in page
    assert "earned in the last 12 months" in page
    assert "They block the lost card at once and give you a new one" in page
    # A visitor has no cases yet: the contact form takes complaints too.
    assert f'href="{reverse("contact")}"' in page
    assert reverse("complaint_new") not in page


def test_help_leads_a_member_to_file_a_complaint_and_to_their_cases(member_client, card):
    page = member_client.get(reverse("help")).content.decode()

    assert f'<a class="btn btn-suki" href="{reverse("complaint_new")}">Tell us what went wrong' in (
        page
    )
    assert f'href="{reverse("complaints")}">My cases</a>' in page


def test_help_in_the_member_menu_opens_the_help_page_not_the_complaint_list(member_client, card):
    page = member_client.get(reverse("portal")).content.decode()

    menu = page[page.index('<nav class="navbar') : page.index("</nav>")]
    help_link = menu[menu.index(f'<a class="nav-link" href="{reverse("help")}"') :]
    assert "<span>Help</span></a>" in help_link[: help_link.index("</a>") + 4]
    assert f'href="{reverse("complaints")}"' not in menu
