"""CSV export for a model admin: an action on the ticked rows, and an
"export this list" link that keeps the list's filters and search.

Both end in the admin's ``export(request, queryset, **options)``, the one
place an export is built for that model.
"""

from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path

from staff.mfa import recent_second_factor_required


class CsvExportMixin:
    def get_urls(self):
        return [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_export",
            ),
            *super().get_urls(),
        ]

    @recent_second_factor_required
    def export_view(self, request):
        if not self.has_export_permission(request):
            raise PermissionDenied
        options = {"with_message": request.GET.get("with_message") == "1"}
        request.GET = request.GET.copy()
        request.GET.pop("with_message", None)
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return redirect(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"
            )
        return self.export(request, changelist.get_queryset(request), **options)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "has_export_permission": self.has_export_permission(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)
