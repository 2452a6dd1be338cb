"""A working group's documents: checks of what is uploaded, the writes, and the reads.

An upload is accepted only when its extension is on the allow-list *and* its
content is what that extension promises (magic bytes, the parts of an office
zip, text that no browser would take for HTML). Nothing reaches the disk or
the database before every check has passed. Files are stored under random
names in private storage (models.version_path) and leave it only through the
permission-checked download views, always as attachments.

Every version counts against the group's quota, kept in
`Workgroup.storage_used`: it is changed with F() expressions while the group's
row is locked, so two uploads at once cannot both squeeze under the limit.
"""

import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet, Sum, Value
from django.db.models.functions import Greatest
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from community import permissions as perms
from community.errors import NotAllowed, ServiceError
from community.models import User
from workgroups import permissions, selectors
from workgroups.models import Document, DocumentVersion, Workgroup
from workgroups.services import notify_members, touch
from workgroups.storage import private_storage

# What may be uploaded: extension -> (kind of content, the MIME type we send back).
ALLOWED: dict[str, tuple[str, str]] = {
    "pdf": ("pdf", "application/pdf"),
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "odt": ("odt", "application/vnd.oasis.opendocument.text"),
    "ods": ("ods", "application/vnd.oasis.opendocument.spreadsheet"),
    "odp": ("odp", "application/vnd.oasis.opendocument.presentation"),
    "txt": ("text", "text/plain"),
    "csv": ("text", "text/csv"),
    "md": ("text", "text/markdown"),
    "png": ("png", "image/png"),
    "jpg": ("jpeg", "image/jpeg"),
    "jpeg": ("jpeg", "image/jpeg"),
    "gif": ("gif", "image/gif"),
    "webp": ("webp", "image/webp"),
}
# Shown in forms and the API schema.
ALLOWED_LABEL = (
    "PDF, Word, Excel, PowerPoint, OpenDocument, TXT, CSV, Markdown, PNG, JPEG, GIF, WebP"
)
ACCEPT_ATTRIBUTE = ",".join(f".{ext}" for ext in ALLOWED)

# Names a browser, a shell or a web server might act on, even inside a name ("report.html.pdf").
RISKY_EXTENSIONS = {
    "htm",
    "html",
    "xhtml",
    "shtml",
    "mht",
    "mhtml",
    "svg",
    "svgz",
    "xml",
    "xsl",
    "xslt",
    "js",
    "mjs",
    "php",
    "phtml",
    "php3",
    "php4",
    "php5",
    "phar",
    "asp",
    "aspx",
    "jsp",
    "cgi",
    "pl",
    "py",
    "rb",
    "sh",
    "bash",
    "bat",
    "cmd",
    "com",
    "exe",
    "msi",
    "dll",
    "scr",
    "pif",
    "vbs",
    "vbe",
    "jse",
    "wsf",
    "hta",
    "ps1",
    "jar",
    "apk",
    "app",
    "dmg",
    "swf",
    "lnk",
    "reg",
    "docm",
    "xlsm",
    "pptm",
}

# The OOXML part that marks each format (a zip without it is not that document).
OOXML_MAIN_PART = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
ODF_MIMETYPE = {
    "odt": b"application/vnd.oasis.opendocument.text",
    "ods": b"application/vnd.oasis.opendocument.spreadsheet",
    "odp": b"application/vnd.oasis.opendocument.presentation",
}
# What the WHATWG MIME sniffing algorithm would take for HTML or XML at the start of a text file.
HTML_SIGNATURES = (
    b"<!doctype html",
    b"<html",
    b"<head",
    b"<script",
    b"<iframe",
    b"<h1",
    b"<div",
    b"<font",
    b"<table",
    b"<a",
    b"<style",
    b"<title",
    b"<b",
    b"<body",
    b"<br",
    b"<p",
    b"<!--",
    b"<?xml",
    b"<svg",
)
TEXT_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")
SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    content_type: str
    size: int


class UploadRefused(ServiceError):
    """The file itself is refused (type, content, size): a form shows it on the file field."""

    code = "invalid_file"


# Checks


def clean_filename(raw: str) -> str:
    """The uploaded name made safe to show and to send back: no path, no control characters."""
    name = unicodedata.normalize("NFC", str(raw or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip().strip(".").strip()
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[: 199 - len(ext)]}.{ext}" if dot and len(ext) <= 10 else name[:200]
    return name


def _read_head(upload, n: int = SNIFF_BYTES) -> bytes:
    upload.seek(0)
    head = upload.read(n)
    upload.seek(0)
    return head if isinstance(head, bytes) else head.encode()


def _zip_names(upload) -> list[str] | None:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    finally:
        upload.seek(0)


def _odf_mimetype(upload) -> bytes | None:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            info = archive.infolist()
            # ODF requires "mimetype" first and stored uncompressed; read at most a few bytes of it.
            if not info or info[0].filename != "mimetype" or info[0].file_size > 200:
                return None
            return archive.read("mimetype").strip()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError, NotImplementedError):
        return None
    finally:
        upload.seek(0)


def _looks_like_html(head: bytes) -> bool:
    start = head.lstrip(b" \t\r\n\x0c").lower()
    if start.startswith(b"\xef\xbb\xbf"):
        start = start[3:].lstrip(b" \t\r\n\x0c")
    for signature in HTML_SIGNATURES:
        if start.startswith(signature):
            rest = start[len(signature) : len(signature) + 1]
            # A tag name must end where the sniffing algorithm says (space or ">"), "<!--" and "<?xml" need not.
            if signature in (b"<!--", b"<?xml") or rest in (
                b" ",
                b">",
                b"\t",
                b"\n",
                b"\r",
                b"\x0c",
                b"/",
            ):
                return True
    return False


def _content_matches(kind: str, ext: str, upload, head: bytes) -> bool:
    if kind == "pdf":
        # Readers accept the header anywhere in the first kilobyte; we ask for it at the start.
        return head.startswith(b"%PDF-")
    if kind == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if kind == "jpeg":
        return head.startswith(b"\xff\xd8\xff")
    if kind == "gif":
        return head.startswith((b"GIF87a", b"GIF89a"))
    if kind == "webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if kind in OOXML_MAIN_PART:
        if not head.startswith(b"PK\x03\x04"):
            return False
        names = _zip_names(upload)
        if not names or "[Content_Types].xml" not in names:
            return False
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            return False  # macros: a .docm dressed as .docx
        return any(n.startswith(OOXML_MAIN_PART[kind]) for n in names)
    if kind in ODF_MIMETYPE:
        return head.startswith(b"PK\x03\x04") and _odf_mimetype(upload) == ODF_MIMETYPE[kind]
    if kind == "text":
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            # The sniffed head may end in the middle of a character.
            text = head.decode("utf-16", errors="ignore")
            return not TEXT_CONTROL.search(text.encode("utf-8")) and not _looks_like_html(
                text.encode("utf-8")
            )
        return not TEXT_CONTROL.search(head) and not _looks_like_html(head)
    return False


def check_upload(upload) -> CheckedUpload:
    """Refuses what may not be stored; returns the safe name, our MIME type and the size.

    Reads at most the first 64 KiB (and a zip's central directory): a refused
    upload costs no write anywhere.
    """
    if upload is None:
        raise UploadRefused(_("Choose a file to upload."))
    name = clean_filename(getattr(upload, "name", ""))
    size = getattr(upload, "size", None)
    if size is None:
        raise UploadRefused(_("Choose a file to upload."))
    if size == 0:
        raise UploadRefused(_("This file is empty."))
    limit = settings.WORKGROUP_DOCUMENT_MAX_BYTES
    if size > limit:
        raise UploadRefused(
            _("This file is %(size)s; a document may be at most %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    parts = name.lower().split(".")
    ext = parts[-1] if len(parts) > 1 else ""
    if ext not in ALLOWED:
        raise UploadRefused(
            _("Files of this type cannot be shared here. Allowed: %(types)s.")
            % {"types": ALLOWED_LABEL},
            code="file_type",
        )
    if any(part in RISKY_EXTENSIONS for part in parts[1:-1]):
        raise UploadRefused(
            _("The file name hides another type (%(name)s): rename the file and try again.")
            % {"name": name},
            code="file_type",
        )
    kind, content_type = ALLOWED[ext]
    try:
        head = _read_head(upload)
        matches = _content_matches(kind, ext, upload, head)
    except (OSError, ValueError):
        matches = False
    if not matches:
        raise UploadRefused(
            _("The content of this file is not a .%(ext)s file. Save it again in its real format.")
            % {"ext": ext},
            code="file_content",
        )
    return CheckedUpload(name=name, content_type=content_type, size=size)


# Writes


def _require(actor: User, perm: str, workgroup: Workgroup, message: str) -> None:
    if not perms.has(actor, perm, workgroup):
        raise NotAllowed(message)


def _reserve(workgroup: Workgroup, size: int) -> None:
    """Counts `size` bytes against the quota, or refuses. Caller holds the group's row lock."""
    quota = settings.WORKGROUP_STORAGE_QUOTA_BYTES
    used = Workgroup.objects.filter(pk=workgroup.pk).values_list("storage_used", flat=True).get()
    if used + size > quota:
        raise UploadRefused(
            _(
                "The group's storage is full: %(used)s of %(quota)s used, this file needs %(size)s. Delete old documents first."
            )
            % {
                "used": filesizeformat(used),
                "quota": filesizeformat(quota),
                "size": filesizeformat(size),
            },
            code="quota",
        )
    Workgroup.objects.filter(pk=workgroup.pk).update(storage_used=F("storage_used") + size)


def _store(
    document: Document, number: int, upload, checked: CheckedUpload, actor: User, note: str
) -> DocumentVersion:
    """Writes the file under a random name, then its row; removes the file again if the row fails."""
    version = DocumentVersion(
        document=document,
        number=number,
        original_name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        uploaded_by=actor,
        note=(note or "").strip()[:300],
    )
    upload.seek(0)
    version.file.save(checked.name, upload, save=False)
    try:
        version.save()
    except BaseException:
        version.file.storage.delete(version.file.name)
        raise
    return version


def _lock(workgroup: Workgroup) -> Workgroup:
    return Workgroup.objects.select_for_update().get(pk=workgroup.pk)


@transaction.atomic
def document_upload(
    *, actor: User, workgroup: Workgroup, title: str, upload, description: str = ""
) -> Document:
    """Shares a new document (version 1) with the group; active members are notified."""
    _require(
        actor,
        permissions.PARTICIPATE,
        workgroup,
        _("Only the group's members can share documents."),
    )
    checked = check_upload(upload)
    title = (title or "").strip() or os.path.splitext(checked.name)[0].strip() or checked.name
    if len(title) > 200:
        raise ServiceError(_("Keep the title under 200 characters."))
    description = (description or "").strip()
    if len(description) > 2000:
        raise ServiceError(_("Keep the description under 2,000 characters."))
    workgroup = _lock(workgroup)
    _reserve(workgroup, checked.size)
    now = timezone.now()
    document = Document.objects.create(
        workgroup=workgroup,
        title=title,
        description=description,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    version = _store(document, 1, upload, checked, actor, "")
    document.current_version = version
    document.save(update_fields=["current_version"])
    touch(workgroup)
    notify_members(
        workgroup,
        kind="workgroup.document",
        title=_("%(name)s shared “%(title)s” in %(group)s")
        % {"name": actor, "title": title[:120], "group": workgroup.name},
        body=document.description[:300],
        url=document_url(document),
        actor=actor,
    )
    return document


def can_change(user: User, document: Document) -> bool:
    """The uploader (while still a participant) and the group's moderators."""
    workgroup = document.workgroup
    if perms.has(user, permissions.MODERATE, workgroup):
        return True
    return document.created_by_id == user.pk and perms.has(user, permissions.PARTICIPATE, workgroup)


@transaction.atomic
def document_new_version(
    *, actor: User, document: Document, upload, note: str = ""
) -> DocumentVersion:
    """Adds a version, which becomes the current one; earlier versions stay downloadable."""
    if not can_change(actor, document):
        raise NotAllowed(
            _(
                "Only the person who shared this document and the group's moderators can add versions."
            )
        )
    checked = check_upload(upload)
    workgroup = _lock(document.workgroup)
    document = Document.objects.select_for_update().get(pk=document.pk, deleted_at__isnull=True)
    _reserve(workgroup, checked.size)
    last = document.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = _store(document, last + 1, upload, checked, actor, note)
    document.current_version = version
    document.updated_at = version.created_at
    document.save(update_fields=["current_version", "updated_at"])
    touch(workgroup)
    return version


@transaction.atomic
def document_update(
    *, actor: User, document: Document, title: str | None = None, description: str | None = None
) -> Document:
    if not can_change(actor, document):
        raise NotAllowed(
            _("Only the person who shared this document and the group's moderators can change it.")
        )
    document = Document.objects.select_for_update().get(pk=document.pk, deleted_at__isnull=True)
    if title is not None:
        title = title.strip()
        if not title or len(title) > 200:
            raise ServiceError(_("Give the document a title of at most 200 characters."))
        document.title = title
    if description is not None:
        if len(description.strip()) > 2000:
            raise ServiceError(_("Keep the description under 2,000 characters."))
        document.description = description.strip()
    document.save(update_fields=["title", "description"])
    return document


@transaction.atomic
def document_delete(*, actor: User, document: Document) -> int:
    """Deletes a document with all its versions; frees their bytes. Returns how many bytes.

    The rows go at once; the files once the deletion is committed (a rollback keeps them).
    """
    if not can_change(actor, document):
        raise NotAllowed(
            _("Only the person who shared this document and the group's moderators can delete it.")
        )
    workgroup = _lock(document.workgroup)
    versions = list(DocumentVersion.objects.filter(document=document).values_list("file", "size"))
    freed = sum(size for _name, size in versions)
    Document.objects.filter(pk=document.pk).update(current_version=None)
    Document.objects.filter(pk=document.pk).delete()
    Workgroup.objects.filter(pk=workgroup.pk).update(
        storage_used=Greatest(F("storage_used") - freed, Value(0))
    )

    transaction.on_commit(partial(_remove_files, [name for name, _size in versions]), robust=True)
    return freed


def _remove_files(names: list[str]) -> None:
    for name in names:
        if name:
            private_storage.delete(name)


def storage_recount(workgroup: Workgroup) -> int:
    """Recomputes the group's storage from its versions (a repair for operators)."""
    with transaction.atomic():
        workgroup = _lock(workgroup)
        total = (
            DocumentVersion.objects.filter(document__workgroup=workgroup).aggregate(n=Sum("size"))[
                "n"
            ]
            or 0
        )
        Workgroup.objects.filter(pk=workgroup.pk).update(storage_used=total)
    return total


# Reads


def documents_visible(*, user, workgroup: Workgroup) -> QuerySet[Document]:
    """The group's documents, newest change first, if `user` may read the group's content."""
    if not selectors.can_read_content(user, workgroup):
        return Document.objects.none()
    return (
        Document.objects.filter(workgroup=workgroup, deleted_at__isnull=True)
        .select_related("current_version__uploaded_by", "created_by")
        .order_by("-updated_at", "-pk")
    )


def document_get_visible(*, user, workgroup: Workgroup, document_id: int) -> Document:
    try:
        document = documents_visible(user=user, workgroup=workgroup).get(pk=document_id)
    except Document.DoesNotExist:
        raise Http404 from None  # another group's document looks missing too
    document.workgroup = workgroup
    return document


def versions_of(document: Document) -> QuerySet[DocumentVersion]:
    """A document's versions, newest first (the caller read the document through a selector)."""
    return (
        DocumentVersion.objects.filter(document=document)
        .select_related("uploaded_by")
        .order_by("-number")
    )


def version_for_download(*, user, workgroup: Workgroup, version_id: int) -> DocumentVersion:
    """A version to send, checked anew on every download: a removed member gets a 404 at once."""
    if not selectors.can_read_content(user, workgroup):
        raise Http404
    try:
        return DocumentVersion.objects.select_related("document").get(
            pk=version_id, document__workgroup=workgroup, document__deleted_at__isnull=True
        )
    except DocumentVersion.DoesNotExist:
        raise Http404 from None


def document_url(document: Document) -> str:
    return reverse(
        "workgroups:document-detail",
        kwargs={"slug": document.workgroup.slug, "document_id": document.pk},
    )


def storage_summary(workgroup: Workgroup) -> dict:
    quota = settings.WORKGROUP_STORAGE_QUOTA_BYTES
    used = workgroup.storage_used
    return {
        "used": used,
        "quota": quota,
        "percent": min(100, round(used * 100 / quota)) if quota else 100,
        "max_file": settings.WORKGROUP_DOCUMENT_MAX_BYTES,
    }
