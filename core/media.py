"""Serving uploads without a 500 for names no file can have."""

from django.http import Http404
from django.views.static import serve


def serve_upload(request, path, document_root):
    """django.views.static.serve, with names the file system refuses (a segment
    over 255 bytes: "File name too long") answered 404 like any missing file."""
    try:
        return serve(request, path, document_root=document_root)
    except OSError as error:
        raise Http404("No such file") from error
