"""The lead change form: what staff may edit, and who saw what."""

from django import forms
from django.core.exceptions import ValidationError

from leads.models import Lead
from leads.models.lead import NOT_CHECKED


class LeadAdminForm(forms.ModelForm):
    """What staff may change on a lead.

    Each field also carries the value the staff member loaded, so
    ``changed_data`` means "changed by this person", and a form left open
    while a colleague worked on the lead cannot undo the colleague's change.
    """

    class Meta:
        model = Lead
        fields = ["status", "assigned_to", "is_urgent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.show_hidden_initial = True
        assignee = self.fields.get("assigned_to")
        if assignee is not None and hasattr(assignee.widget, "can_add_related"):
            # Staff are chosen here, not created or edited.
            assignee.widget.can_add_related = False
            assignee.widget.can_change_related = False
            assignee.widget.can_delete_related = False
            assignee.widget.can_view_related = False

    def seen(self, name):
        """The value of ``name`` when the form was loaded, if it is known."""
        bound = self[name]
        if bound.html_initial_name not in self.data:
            return NOT_CHECKED
        try:
            return bound.field.to_python(self.data[bound.html_initial_name])
        except ValidationError:
            return NOT_CHECKED
