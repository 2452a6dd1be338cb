"""Documents in the API: /api/v1/workgroups/<slug>/documents/, their versions and downloads.

The same rules as the pages: 404 for what the caller may not see (a group
whose content they may not read, a document of another group), 403 for what
they see but may not do, 400 for a refused file (413 when it is too large),
401 when not signed in. Uploads are multipart/form-data.
"""

import datetime as dt

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import Pagination
from workgroups import documents, permissions, selectors
from workgroups.models import Workgroup
from workgroups.views.documents import download_response

UTC = dt.UTC
FILE_HELP = f"The file: {documents.ALLOWED_LABEL}. Its extension and its content must agree."

# Output


class DocumentPersonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")


class VersionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField(help_text="1 for the first upload, then 2, 3...")
    name = serializers.CharField(
        source="original_name", help_text="The uploaded file's name, sent back on download."
    )
    content_type = serializers.CharField(help_text="The type the content was checked to be.")
    size = serializers.IntegerField(help_text="In bytes.")
    note = serializers.CharField(help_text="What changed in this version.")
    uploaded_by = DocumentPersonOutput(allow_null=True)
    created_at = serializers.DateTimeField(default_timezone=UTC)
    download = serializers.SerializerMethodField(
        help_text="The API address that sends this version's file."
    )

    def get_download(self, version) -> str:
        request, workgroup = self.context["request"], self.context["workgroup"]
        path = reverse(
            "api-workgroup-document-version-download",
            kwargs={
                "slug": workgroup.slug,
                "document_id": version.document_id,
                "version_id": version.pk,
            },
        )
        return request.build_absolute_uri(path)


class DocumentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    created_by = DocumentPersonOutput(
        allow_null=True, help_text="Who shared it; null once their account is gone."
    )
    created_at = serializers.DateTimeField(default_timezone=UTC)
    updated_at = serializers.DateTimeField(
        default_timezone=UTC, help_text="The latest version's upload."
    )
    current_version = VersionOutput(allow_null=True)
    download = serializers.SerializerMethodField(
        help_text="The API address that sends the current version's file."
    )
    url = serializers.SerializerMethodField(help_text="The document's page on the site.")

    def get_download(self, document) -> str:
        request, workgroup = self.context["request"], self.context["workgroup"]
        path = reverse(
            "api-workgroup-document-download",
            kwargs={"slug": workgroup.slug, "document_id": document.pk},
        )
        return request.build_absolute_uri(path)

    def get_url(self, document) -> str:
        document.workgroup = self.context["workgroup"]
        return self.context["request"].build_absolute_uri(documents.document_url(document))


class DocumentDetailOutput(DocumentOutput):
    versions = serializers.SerializerMethodField(help_text="Every version, newest first.")
    can_change = serializers.SerializerMethodField(
        help_text="Whether the caller may add versions and delete it."
    )

    def get_versions(self, document) -> list[dict]:
        return VersionOutput(documents.versions_of(document), many=True, context=self.context).data

    def get_can_change(self, document) -> bool:
        return documents.can_change(self.context["request"].user, document)


# Input


class DocumentUploadInput(serializers.Serializer):
    file = serializers.FileField(help_text=FILE_HELP, allow_empty_file=True)
    title = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Default: the file's name."
    )
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class DocumentChangeInput(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class VersionInput(serializers.Serializer):
    file = serializers.FileField(help_text=FILE_HELP, allow_empty_file=True)
    note = serializers.CharField(
        max_length=300, required=False, allow_blank=True, help_text="What changed."
    )


# Helpers


class FileRenderer(BaseRenderer):
    """Lets a client ask for the file's own type; errors still come back as JSON."""

    media_type = "*/*"
    format = "file"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data)


def _refused(exc: documents.UploadRefused) -> Response:
    code = (
        status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        if exc.code == "too_large"
        else status.HTTP_400_BAD_REQUEST
    )
    return Response({"detail": exc.message, "code": exc.code}, status=code)


def _group(request, slug) -> Workgroup:
    return selectors.content_or_404(user=request.user, slug=slug)


def _context(request, workgroup) -> dict:
    return {"request": request, "workgroup": workgroup}


REFUSED = OpenApiResponse(
    description="A refused file: type, content, or the group's storage is full (`code`: `quota`)."
)
TOO_LARGE = OpenApiResponse(description="The file is over the size limit.")
BINARY = {
    (200, "application/octet-stream"): OpenApiResponse(
        OpenApiTypes.BINARY, description="The file, as an attachment."
    )
}


# Views


class DocumentListCreateApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        responses=DocumentOutput(many=True), summary="The group's documents, newest change first"
    )
    def get(self, request, slug):
        workgroup = _group(request, slug)
        paginator = Pagination()
        page = paginator.paginate_queryset(
            documents.documents_visible(user=request.user, workgroup=workgroup), request, view=self
        )
        return paginator.get_paginated_response(
            DocumentOutput(page, many=True, context=_context(request, workgroup)).data
        )

    @extend_schema(
        request={"multipart/form-data": DocumentUploadInput},
        responses={201: DocumentDetailOutput, 400: REFUSED, 413: TOO_LARGE},
        summary="Share a document (active members)",
    )
    def post(self, request, slug):
        workgroup = _group(request, slug)
        if not selectors.can(request.user, permissions.PARTICIPATE, workgroup):
            raise PermissionDenied(_("Only the group's members can share documents."))
        data = DocumentUploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            document = documents.document_upload(
                actor=request.user,
                workgroup=workgroup,
                title=values.get("title", ""),
                description=values.get("description", ""),
                upload=values["file"],
            )
        except documents.UploadRefused as exc:
            return _refused(exc)
        document = documents.document_get_visible(
            user=request.user, workgroup=workgroup, document_id=document.pk
        )
        return Response(
            DocumentDetailOutput(document, context=_context(request, workgroup)).data,
            status=status.HTTP_201_CREATED,
        )


class DocumentDetailApi(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(responses=DocumentDetailOutput)
    def get(self, request, slug, document_id):
        workgroup = _group(request, slug)
        document = documents.document_get_visible(
            user=request.user, workgroup=workgroup, document_id=document_id
        )
        return Response(DocumentDetailOutput(document, context=_context(request, workgroup)).data)

    @extend_schema(
        request=DocumentChangeInput,
        responses=DocumentDetailOutput,
        summary="Rename or describe (uploader, moderators)",
    )
    def patch(self, request, slug, document_id):
        workgroup = _group(request, slug)
        document = documents.document_get_visible(
            user=request.user, workgroup=workgroup, document_id=document_id
        )
        if not documents.can_change(request.user, document):
            raise PermissionDenied(
                _(
                    "Only the person who shared this document and the group's moderators can change it."
                )
            )
        data = DocumentChangeInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        documents.document_update(actor=request.user, document=document, **data.validated_data)
        return self.get(request, slug, document_id)

    @extend_schema(
        responses={204: None}, summary="Delete with every version (uploader, moderators)"
    )
    def delete(self, request, slug, document_id):
        workgroup = _group(request, slug)
        document = documents.document_get_visible(
            user=request.user, workgroup=workgroup, document_id=document_id
        )
        if not documents.can_change(request.user, document):
            raise PermissionDenied(
                _(
                    "Only the person who shared this document and the group's moderators can delete it."
                )
            )
        documents.document_delete(actor=request.user, document=document)
        return Response(status=status.HTTP_204_NO_CONTENT)


class VersionListCreateApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        responses=VersionOutput(many=True), summary="A document's versions, newest first"
    )
    def get(self, request, slug, document_id):
        workgroup = _group(request, slug)
        document = documents.document_get_visible(
            user=request.user, workgroup=workgroup, document_id=document_id
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(documents.versions_of(document), request, view=self)
        return paginator.get_paginated_response(
            VersionOutput(page, many=True, context=_context(request, workgroup)).data
        )

    @extend_schema(
        request={"multipart/form-data": VersionInput},
        responses={201: VersionOutput, 400: REFUSED, 413: TOO_LARGE},
        summary="Upload a new version, which becomes the current one (uploader, moderators)",
    )
    def post(self, request, slug, document_id):
        workgroup = _group(request, slug)
        document = documents.document_get_visible(
            user=request.user, workgroup=workgroup, document_id=document_id
        )
        if not documents.can_change(request.user, document):
            raise PermissionDenied(
                _(
                    "Only the person who shared this document and the group's moderators can add versions."
                )
            )
        data = VersionInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            version = documents.document_new_version(
                actor=request.user,
                document=document,
                upload=data.validated_data["file"],
                note=data.validated_data.get("note", ""),
            )
        except documents.UploadRefused as exc:
            return _refused(exc)
        return Response(
            VersionOutput(version, context=_context(request, workgroup)).data,
            status=status.HTTP_201_CREATED,
        )


class DocumentDownloadApi(APIView):
    renderer_classes = [JSONRenderer, FileRenderer]

    @extend_schema(responses=BINARY, summary="The current version's file")
    def get(self, request, slug, document_id):
        workgroup = _group(request, slug)
        document = documents.document_get_visible(
            user=request.user, workgroup=workgroup, document_id=document_id
        )
        if document.current_version_id is None:
            raise Http404
        version = documents.version_for_download(
            user=request.user, workgroup=workgroup, version_id=document.current_version_id
        )
        return download_response(version)


class VersionDownloadApi(APIView):
    renderer_classes = [JSONRenderer, FileRenderer]

    @extend_schema(responses=BINARY, summary="One version's file")
    def get(self, request, slug, document_id, version_id):
        workgroup = _group(request, slug)
        version = documents.version_for_download(
            user=request.user, workgroup=workgroup, version_id=version_id
        )
        if version.document_id != document_id:
            raise Http404
        return download_response(version)
