"""Sidebar filters for the lead list in the admin."""

import datetime

from django import forms
from django.contrib import admin
from django.utils import timezone

from leads.models import Lead
from leads.models.lead import Interest, SourceKind


class StatusFilter(admin.SimpleListFilter):
    """Status, defaulting to the working list: closed leads are archived."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            ("open", "Working list (open)"),
            *Lead.Status.choices,
            ("closed", "Closed (archive)"),
            ("all", "All leads"),
        ]

    def effective_value(self):
        # A search looks through every lead unless a status is chosen, so
        # staff can find a person whose lead was closed long ago.
        if self.value() is None:
            return "all" if self.request.GET.get("q") else "open"
        return self.value()

    def choices(self, changelist):
        current = self.effective_value()
        for lookup, title in self.lookup_choices:
            yield {
                "selected": current == lookup,
                "query_string": changelist.get_query_string(
                    {self.parameter_name: lookup}
                ),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.effective_value()
        if value == "all":
            return queryset
        if value == "closed":
            return queryset.closed()
        if value in Lead.Status.values:
            return queryset.filter(status=value)
        return queryset.open()


class AssignedFilter(admin.SimpleListFilter):
    title = "assigned to"
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [
            ("me", "Me"),
            ("nobody", "Unassigned"),
            ("anyone", "Anyone"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.assigned_to_user(request.user)
        if self.value() == "nobody":
            return queryset.unassigned()
        if self.value() == "anyone":
            return queryset.filter(assigned_to__isnull=False)
        return queryset


class UrgentFilter(admin.SimpleListFilter):
    title = "urgency"
    parameter_name = "urgent"

    def lookups(self, request, model_admin):
        return [("yes", "Urgent"), ("no", "Not urgent")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.urgent()
        if self.value() == "no":
            return queryset.exclude(is_urgent=True)
        return queryset


class InterestFilter(admin.SimpleListFilter):
    title = "interest"
    parameter_name = "interest"

    def lookups(self, request, model_admin):
        return Interest.choices

    def queryset(self, request, queryset):
        if self.value() in Interest.values:
            return queryset.with_interest(self.value())
        return queryset


class SourceFilter(admin.SimpleListFilter):
    title = "source"
    parameter_name = "source"
    campaign_prefix = "utm:"

    def lookups(self, request, model_admin):
        campaigns = (
            Lead.objects.exclude(utm_source="")
            .order_by("utm_source")
            .values_list("utm_source", flat=True)
            .distinct()[:20]
        )
        return [
            *SourceKind.choices,
            *[(self.campaign_prefix + name, f"UTM: {name}") for name in campaigns],
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value in SourceKind.values:
            return queryset.with_source_kind().filter(source_kind=value)
        if value and value.startswith(self.campaign_prefix):
            return queryset.filter(utm_source=value.removeprefix(self.campaign_prefix))
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.overdue()
        if self.value() == "no":
            return queryset.exclude(pk__in=Lead.objects.overdue())
        return queryset


class _DateRangeForm(forms.Form):
    received_from = forms.DateField(required=False)
    received_to = forms.DateField(required=False)


class ReceivedRangeFilter(admin.ListFilter):
    """Leads received between two dates (both included), typed by hand."""

    title = "received between"
    template = "admin/leads/lead/date_range_filter.html"
    parameters = ("received_from", "received_to")

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        for name in self.parameters:
            if name in params:
                self.used_parameters[name] = params.pop(name)[-1]
        self.form = _DateRangeForm(self.used_parameters)
        # Unreadable dates are ignored rather than answered with an error.
        self.range = self.form.cleaned_data if self.form.is_valid() else {}

    def has_output(self):
        return True

    def expected_parameters(self):
        return list(self.parameters)

    def choices(self, changelist):
        self.hidden_fields = [
            (name, value)
            for name, value in changelist.params.items()
            if name not in self.parameters
        ]
        yield {
            "selected": not any(self.range.values()),
            "query_string": changelist.get_query_string(remove=self.parameters),
            "display": "Any date",
        }

    def queryset(self, request, queryset):
        start, end = self.range.get("received_from"), self.range.get("received_to")
        if start:
            queryset = queryset.filter(created_at__gte=_midnight(start))
        if end and end < datetime.date.max:
            end = _midnight(end + datetime.timedelta(days=1))
            queryset = queryset.filter(created_at__lt=end)
        return queryset


def _midnight(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
