from django import forms

from selfcheck.instruments import ANSWERS, CHOICES


def answer_field(item: str, number: int) -> forms.Field:
    message = f"Please choose an answer for question {number}."
    return forms.TypedChoiceField(
        label=item,
        choices=ANSWERS,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": message, "invalid_choice": message},
    )


class SelfCheckForm(forms.Form):
    """One required answer per item of the chosen questionnaire(s)."""

    check = forms.ChoiceField(
        choices=[(code, code) for code in CHOICES], widget=forms.HiddenInput
    )

    def __init__(self, *args, check, **kwargs):
        super().__init__(*args, **kwargs)
        self.instruments = CHOICES[check]
        self.fields["check"].initial = check
        number = 0
        for instrument in self.instruments:
            for index, item in enumerate(instrument.items):
                number += 1
                self.fields[self.field_name(instrument, index)] = answer_field(
                    item, number
                )

    @staticmethod
    def field_name(instrument, index) -> str:
        return f"{instrument.code}_{index + 1}"

    def sections(self):
        """(instrument, its bound fields) for the template."""
        return [
            (
                instrument,
                [
                    self[self.field_name(instrument, index)]
                    for index in range(len(instrument.items))
                ],
            )
            for instrument in self.instruments
        ]

    def answers(self, instrument) -> list[int]:
        return [
            self.cleaned_data[self.field_name(instrument, index)]
            for index in range(len(instrument.items))
        ]
