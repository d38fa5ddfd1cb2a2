"""The private self-check: standard questions, standard scoring, crisis help
first, and nothing kept."""

import pytest
from django.apps import apps
from django.urls import reverse

from core.models import ClinicProfile
from selfcheck.instruments import GAD7, PHQ9, score
from selfcheck.results import Result, result_from_token

pytestmark = pytest.mark.django_db

RESULT = reverse("selfcheck:result")


def answers_for(check, **chosen):
    """A complete POST: every item "not at all" unless ``chosen`` says."""
    data = {"check": check}
    instruments = {"phq9": [PHQ9], "gad7": [GAD7], "both": [PHQ9, GAD7]}[check]
    for instrument in instruments:
        for number in range(1, len(instrument.items) + 1):
            name = f"{instrument.code}_{number}"
            data[name] = str(chosen.get(name, 0))
    return data


@pytest.mark.parametrize(
    ("instrument", "total", "band"),
    [
        (PHQ9, 0, "minimal"),
        (PHQ9, 4, "minimal"),
        (PHQ9, 5, "mild"),
        (PHQ9, 9, "mild"),
        (PHQ9, 10, "moderate"),
        (PHQ9, 14, "moderate"),
        (PHQ9, 15, "moderately severe"),
        (PHQ9, 19, "moderately severe"),
        (PHQ9, 20, "severe"),
        (PHQ9, 27, "severe"),
        (GAD7, 0, "minimal"),
        (GAD7, 4, "minimal"),
        (GAD7, 5, "mild"),
        (GAD7, 9, "mild"),
        (GAD7, 10, "moderate"),
        (GAD7, 14, "moderate"),
        (GAD7, 15, "severe"),
        (GAD7, 21, "severe"),
    ],
)
def test_totals_fall_in_the_published_bands(instrument, total, band):
    answers = [3] * (total // 3) + [total % 3] * (total % 3 > 0)
    answers += [0] * (len(instrument.items) - len(answers))

    result = score(instrument, answers)

    assert result.total == total
    assert result.band.label == band


def test_an_impossible_total_has_no_band():
    with pytest.raises(ValueError):
        GAD7.band(22)


def test_the_instruments_have_their_standard_length_and_time_frame(client):
    response = client.get(reverse("selfcheck:questionnaire"), {"check": "both"})

    assert len(PHQ9.items) == 9
    assert len(GAD7.items) == 7
    assert "Over the last 2 weeks" in response.text
    radios = response.text.count('name="phq9_') + response.text.count('name="gad7_')
    assert radios == (9 + 7) * 4
    assert "Spitzer" in response.text


@pytest.mark.parametrize(
    ("check", "chosen", "shown"),
    [
        ("phq9", {"phq9_1": 3, "phq9_2": 3, "phq9_3": 2, "phq9_4": 2}, "PHQ-9: 10"),
        ("gad7", {"gad7_1": 2, "gad7_2": 3}, "GAD-7: 5"),
        ("both", {"phq9_5": 1, "gad7_7": 3}, "GAD-7: 3"),
    ],
)
def test_the_result_page_shows_the_score_and_its_meaning(client, check, chosen, shown):
    response = client.post(RESULT, answers_for(check, **chosen))

    assert response.status_code == 200
    assert shown in response.text
    assert "not a diagnosis" in response.text
    assert reverse("leads:contact") in response.text


@pytest.mark.parametrize("answer", [1, 2, 3])
def test_any_answer_but_not_at_all_on_item_9_puts_crisis_help_first(client, answer):
    response = client.post(RESULT, answers_for("phq9", phq9_9=answer))

    text = response.text
    crisis = text.index('id="crisis-title"')
    assert crisis < text.index("out of 27")
    assert 'href="tel:988"' in text[crisis:]
    assert 'href="tel:911"' in text[crisis:]


def test_not_at_all_on_item_9_shows_no_crisis_block(client):
    response = client.post(RESULT, answers_for("phq9", phq9_1=3))

    assert 'id="crisis-title"' not in response.text


def test_a_missing_answer_shows_the_form_again_saying_which(client):
    data = answers_for("gad7")
    del data["gad7_4"]

    response = client.post(RESULT, data)

    assert response.status_code == 200
    assert "Please choose an answer for question 4." in response.text
    assert "out of 21" not in response.text


@pytest.mark.parametrize(
    "tampered",
    [
        {"phq9_1": "7"},
        {"phq9_1": "-1"},
        {"phq9_1": "banana"},
        {"phq9_1": "\x00"},
        {"check": "everything"},
    ],
)
def test_tampered_answers_get_a_clear_answer_never_a_500(client, tampered):
    response = client.post(RESULT, {**answers_for("phq9"), **tampered})

    assert response.status_code in (200, 400)
    assert "out of 27" not in response.text


def test_a_self_check_changes_no_table_and_sets_no_cookie(client):
    def row_counts():
        return {m._meta.label: m.objects.count() for m in apps.get_models()}

    ClinicProfile.current()
    before = row_counts()
    start = client.get(reverse("selfcheck:questionnaire"))
    questions = client.get(reverse("selfcheck:questionnaire"), {"check": "both"})
    response = client.post(RESULT, answers_for("both", phq9_9=2, gad7_1=3))

    assert row_counts() == before
    assert not start.cookies
    assert not questions.cookies
    assert not response.cookies
    assert "no-store" in response["Cache-Control"]


def test_the_answers_never_reach_the_log(client, caplog):
    caplog.set_level("DEBUG")

    client.post(RESULT, answers_for("phq9", phq9_9=3))

    assert "phq9_9" not in caplog.text


def test_a_result_token_carries_totals_not_answers():
    result = Result((score(PHQ9, [1] * 9),), crisis=True)

    carried = result_from_token(result.token())

    assert carried.summary() == "PHQ-9 9 (mild)"
    assert carried.crisis is True
    assert result_from_token(result.token() + "x") is None
