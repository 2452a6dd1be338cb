"""Document pages: the list, upload, a document with its versions, delete, and the downloads.

Every page reads through `content_or_404` and the document selectors; every
download checks the permission again, so a removed member's saved link is a
404 the moment they are removed.
"""

import unicodedata
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from community.errors import ServiceError
from workgroups import documents, permissions, selectors
from workgroups.models import DocumentVersion
from workgroups.views.common import group_context

PAGE_SIZE = 25
SENDABLE_TYPES = {content_type for _kind, content_type in documents.ALLOWED.values()}


class FileInput(forms.ClearableFileInput):
    def __init__(self):
        super().__init__(attrs={"accept": documents.ACCEPT_ATTRIBUTE})


def _file_help() -> str:
    return _("%(types)s; at most %(size)s.") % {
        "types": documents.ALLOWED_LABEL,
        "size": filesizeformat(settings.WORKGROUP_DOCUMENT_MAX_BYTES),
    }


class DocumentUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"), widget=FileInput, allow_empty_file=True)
    title = forms.CharField(
        label=gettext_lazy("Title"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Leave empty to use the file's name."),
    )
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _file_help()


class VersionForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("New version"), widget=FileInput, allow_empty_file=True
    )
    note = forms.CharField(
        label=gettext_lazy("What changed"),
        max_length=300,
        required=False,
        help_text=gettext_lazy(
            "Optional, for example “comments of the steering committee included”."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _file_help()


def _refusal_to_form(form: forms.Form, exc: ServiceError) -> None:
    form.add_error("file" if isinstance(exc, documents.UploadRefused) else None, exc.message)


# Downloads


def _ascii_name(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    safe = "".join(
        ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\;' else "_" for ch in folded
    ).strip()
    return safe or "document"


def download_response(version: DocumentVersion) -> FileResponse:
    """Streams a version as an attachment that no browser will render or run.

    The caller read `version` through `documents.version_for_download`.
    """
    try:
        handle = version.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    content_type = (
        version.content_type
        if version.content_type in SENDABLE_TYPES
        else "application/octet-stream"
    )
    response = FileResponse(handle, content_type=content_type)
    name = version.original_name or "document"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{_ascii_name(name)}\"; filename*=UTF-8''{quote(name, safe='')}"
    )
    response["Content-Length"] = str(version.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@login_required
def document_download(request, slug, document_id):
    """The current version of a document."""
    workgroup = selectors.content_or_404(user=request.user, slug=slug)
    document = documents.document_get_visible(
        user=request.user, workgroup=workgroup, document_id=document_id
    )
    if document.current_version_id is None:
        raise Http404
    version = documents.version_for_download(
        user=request.user, workgroup=workgroup, version_id=document.current_version_id
    )
    return download_response(version)


@login_required
def version_download(request, slug, document_id, version_id):
    workgroup = selectors.content_or_404(user=request.user, slug=slug)
    version = documents.version_for_download(
        user=request.user, workgroup=workgroup, version_id=version_id
    )
    if version.document_id != document_id:
        raise Http404
    return download_response(version)


# Pages


@login_required
def document_list(request, slug):
    workgroup = selectors.content_or_404(user=request.user, slug=slug)
    context = group_context(request, workgroup, "documents")
    page = Paginator(
        documents.documents_visible(user=request.user, workgroup=workgroup), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    for document in page.object_list:
        name = document.current_version.original_name if document.current_version else ""
        document.kind_label = name.rpartition(".")[2].upper()[:5] if "." in name else "FILE"
    context.update(page=page, storage=documents.storage_summary(workgroup))
    return render(request, "workgroups/documents/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def document_upload(request, slug):
    workgroup = selectors.content_or_404(user=request.user, slug=slug)
    if not selectors.can(request.user, permissions.PARTICIPATE, workgroup):
        raise PermissionDenied(_("Only the group's members can share documents."))
    form = DocumentUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            document = documents.document_upload(
                actor=request.user,
                workgroup=workgroup,
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                upload=form.cleaned_data["file"],
            )
        except ServiceError as exc:
            _refusal_to_form(form, exc)
        else:
            flash.success(
                request, _("“%(title)s” is shared with the group.") % {"title": document.title}
            )
            return redirect(
                "workgroups:document-detail", slug=workgroup.slug, document_id=document.pk
            )
    context = group_context(request, workgroup, "documents")
    context.update(form=form, storage=documents.storage_summary(workgroup))
    return render(
        request, "workgroups/documents/upload.html", context, status=400 if form.errors else 200
    )


def _detail_context(request, workgroup, document, version_form=None):
    context = group_context(request, workgroup, "documents")
    context.update(
        document=document,
        versions=list(documents.versions_of(document)),
        can_change=documents.can_change(request.user, document),
        version_form=version_form or VersionForm(),
        storage=documents.storage_summary(workgroup),
    )
    return context


@login_required
def document_detail(request, slug, document_id):
    workgroup = selectors.content_or_404(user=request.user, slug=slug)
    document = documents.document_get_visible(
        user=request.user, workgroup=workgroup, document_id=document_id
    )
    return render(
        request, "workgroups/documents/detail.html", _detail_context(request, workgroup, document)
    )


@login_required
@require_http_methods(["GET", "POST"])
def document_version_new(request, slug, document_id):
    workgroup = selectors.content_or_404(user=request.user, slug=slug)
    document = documents.document_get_visible(
        user=request.user, workgroup=workgroup, document_id=document_id
    )
    if not documents.can_change(request.user, document):
        raise PermissionDenied(
            _(
                "Only the person who shared this document and the group's moderators can add versions."
            )
        )
    if request.method == "GET":
        return redirect("workgroups:document-detail", slug=workgroup.slug, document_id=document.pk)
    form = VersionForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            version = documents.document_new_version(
                actor=request.user,
                document=document,
                upload=form.cleaned_data["file"],
                note=form.cleaned_data["note"],
            )
        except ServiceError as exc:
            _refusal_to_form(form, exc)
        else:
            flash.success(
                request,
                _("Version %(number)d is now the current one.") % {"number": version.number},
            )
            return redirect(
                "workgroups:document-detail", slug=workgroup.slug, document_id=document.pk
            )
    context = _detail_context(request, workgroup, document, version_form=form)
    return render(request, "workgroups/documents/detail.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def document_delete(request, slug, document_id):
    workgroup = selectors.content_or_404(user=request.user, slug=slug)
    document = documents.document_get_visible(
        user=request.user, workgroup=workgroup, document_id=document_id
    )
    if not documents.can_change(request.user, document):
        raise PermissionDenied(
            _("Only the person who shared this document and the group's moderators can delete it.")
        )
    if request.method == "POST":
        documents.document_delete(actor=request.user, document=document)
        flash.success(
            request, _("“%(title)s” and all its versions were deleted.") % {"title": document.title}
        )
        return redirect("workgroups:documents", slug=workgroup.slug)
    context = _detail_context(request, workgroup, document)
    return render(request, "workgroups/documents/delete.html", context)
