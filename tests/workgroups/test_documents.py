"""Documents: who may list, read, upload, version, download and delete; what may be uploaded; how it is sent.

Real services and real files (in a temporary private root), no mocks.
"""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.functional import empty
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from community.errors import NotAllowed
from messaging.models import Notification
from tests.factories import UserFactory
from tests.workgroups.helpers import ROLES, group_with_cast
from workgroups import documents, services
from workgroups.models import Document, DocumentVersion, Workgroup
from workgroups.storage import private_storage

pytestmark = pytest.mark.django_db

VISIBILITIES = ("public", "members", "secret")
ALL_ROLES = (*ROLES, "anonymous")
ACTIVE = {"owner", "moderator", "member"}

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    """Documents go to a fresh private root for each test, never to the real one."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    private_storage._wrapped = empty
    yield settings.PRIVATE_MEDIA_ROOT
    private_storage._wrapped = empty


def files_on_disk(root: Path) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()] if Path(root).exists() else []


def pdf(name="Minutes.pdf", content=PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def office_zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = office_zip(
    {
        "[Content_Types].xml": b"<Types/>",
        "_rels/.rels": b"<Relationships/>",
        "word/document.xml": b"<w:document/>",
    }
)
XLSX = office_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})


def odf(mimetype: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype)  # stored, first
        archive.writestr("content.xml", b"<office:document-content/>")
    return buffer.getvalue()


def api_as(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}"
        )
    return client


def web_as(client, user):
    if user is not None:
        client.force_login(user)
    return client


def reads(visibility: str, role: str) -> bool:
    return role != "anonymous" and (visibility == "public" or role in ACTIVE)


def shared_by_member(cast) -> tuple[Document, DocumentVersion, DocumentVersion]:
    """A document the member shared, with two versions."""
    document = documents.document_upload(
        actor=cast.member, workgroup=cast.workgroup, title="Roadmap", upload=pdf("Roadmap v1.pdf")
    )
    first = document.current_version
    second = documents.document_new_version(
        actor=cast.member, document=document, upload=pdf("Roadmap v2.pdf"), note="Comments included"
    )
    return document, first, second


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# The denial grid


@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("role", ALL_ROLES)
def test_html_grid(client, visibility, role):
    cast = group_with_cast(visibility)
    document, first, second = shared_by_member(cast)
    user = None if role == "anonymous" else cast[role]
    web_as(client, user)
    base = f"/groups/{cast.workgroup.slug}/documents/"
    can_read = reads(visibility, role)

    def expect(response, allowed_status):
        if role == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        elif not can_read:
            assert response.status_code == 404
        else:
            assert response.status_code == allowed_status, (role, visibility, response.status_code)

    expect(client.get(base), 200)
    expect(client.get(f"{base}{document.pk}/"), 200)
    current = client.get(f"{base}{document.pk}/download/")
    expect(current, 200)
    old = client.get(f"{base}{document.pk}/versions/{first.pk}/download/")
    expect(old, 200)
    if can_read:
        assert body(current) == PDF and body(old) == PDF
        assert "Roadmap%20v1.pdf" in old["Content-Disposition"]

    participates = role in ACTIVE
    upload = client.post(f"{base}new/", {"file": pdf("Agenda.pdf"), "title": "Agenda"})
    expect(upload, 302 if participates else 403)
    assert Document.objects.filter(title="Agenda").exists() == (participates and can_read)

    new_version = client.post(f"{base}{document.pk}/versions/", {"file": pdf("Roadmap v3.pdf")})
    expect(new_version, 302 if participates else 403)
    assert document.versions.count() == (3 if participates and can_read else 2)

    delete = client.post(f"{base}{document.pk}/delete/")
    expect(delete, 302 if participates else 403)
    assert Document.objects.filter(pk=document.pk).exists() == (not (participates and can_read))


@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("role", ALL_ROLES)
def test_api_grid(visibility, role):
    cast = group_with_cast(visibility)
    document, first, second = shared_by_member(cast)
    user = None if role == "anonymous" else cast[role]
    api = api_as(user)
    base = f"/api/v1/workgroups/{cast.workgroup.slug}/documents/"
    can_read = reads(visibility, role)

    def expect(response, allowed_status):
        if role == "anonymous":
            assert response.status_code == 401
        elif not can_read:
            assert response.status_code == 404
        else:
            assert response.status_code == allowed_status, (role, visibility, response.status_code)

    listing = api.get(base)
    expect(listing, 200)
    if can_read:
        assert listing.json()["count"] == 1 and set(listing.json()) == {
            "count",
            "next",
            "previous",
            "results",
        }
        assert listing.json()["results"][0]["current_version"]["number"] == 2
    detail = api.get(f"{base}{document.pk}/")
    expect(detail, 200)
    if can_read:
        assert [v["number"] for v in detail.json()["versions"]] == [2, 1]
    expect(api.get(f"{base}{document.pk}/versions/"), 200)
    current = api.get(f"{base}{document.pk}/download/")
    expect(current, 200)
    old = api.get(f"{base}{document.pk}/versions/{first.pk}/download/")
    expect(old, 200)
    if can_read:
        assert body(old) == PDF and old["Content-Disposition"].startswith("attachment;")

    participates = role in ACTIVE
    upload = api.post(base, {"file": pdf("Agenda.pdf"), "title": "Agenda"}, format="multipart")
    expect(upload, 201 if participates else 403)
    new_version = api.post(
        f"{base}{document.pk}/versions/", {"file": pdf("Roadmap v3.pdf")}, format="multipart"
    )
    expect(new_version, 201 if participates else 403)
    if participates and can_read:
        assert new_version.json()["number"] == 3
    expect(api.delete(f"{base}{document.pk}/"), 204 if participates else 403)


def test_a_member_cannot_version_or_delete_someone_elses_document_but_a_moderator_can(client):
    cast = group_with_cast("members")
    other = UserFactory()
    services.workgroup_join(actor=other, workgroup=cast.workgroup)
    services.membership_approve(actor=cast.owner, workgroup=cast.workgroup, user_id=other.pk)
    document, _first, _second = shared_by_member(cast)
    client.force_login(other)
    base = f"/groups/{cast.workgroup.slug}/documents/{document.pk}/"
    assert client.post(f"{base}versions/", {"file": pdf()}).status_code == 403
    assert client.post(f"{base}delete/").status_code == 403
    assert (
        api_as(other)
        .delete(f"/api/v1/workgroups/{cast.workgroup.slug}/documents/{document.pk}/")
        .status_code
        == 403
    )
    with pytest.raises(NotAllowed):
        documents.document_delete(actor=other, document=document)
    assert client.get(f"{base}download/").status_code == 200  # reading is for every member
    client.force_login(cast.moderator)
    assert client.post(f"{base}delete/").status_code == 302
    assert not Document.objects.filter(pk=document.pk).exists()


def test_a_document_of_another_group_is_404(client):
    mine = group_with_cast("members")
    theirs = group_with_cast("public")
    document, first, _second = shared_by_member(theirs)
    client.force_login(mine.member)
    base = f"/groups/{mine.workgroup.slug}/documents/"
    assert client.get(f"{base}{document.pk}/").status_code == 404
    assert client.get(f"{base}{document.pk}/download/").status_code == 404
    assert client.get(f"{base}{document.pk}/versions/{first.pk}/download/").status_code == 404
    # A version of another document of the same group is refused too.
    own, _a, _b = shared_by_member(mine)
    assert client.get(f"{base}{own.pk}/versions/{first.pk}/download/").status_code == 404
    api = api_as(mine.member)
    assert (
        api.get(f"/api/v1/workgroups/{mine.workgroup.slug}/documents/{document.pk}/").status_code
        == 404
    )


@pytest.mark.parametrize("visibility", ["members", "secret"])
def test_a_removed_members_download_link_is_404_at_once(client, visibility):
    cast = group_with_cast(visibility)
    leaving = UserFactory()
    services.invite_user(actor=cast.owner, workgroup=cast.workgroup, user=leaving)
    services.workgroup_join(actor=leaving, workgroup=cast.workgroup)
    document, first, _second = shared_by_member(cast)
    client.force_login(leaving)
    link = f"/groups/{cast.workgroup.slug}/documents/{document.pk}/download/"
    old_link = (
        f"/groups/{cast.workgroup.slug}/documents/{document.pk}/versions/{first.pk}/download/"
    )
    api = api_as(leaving)
    api_link = f"/api/v1/workgroups/{cast.workgroup.slug}/documents/{document.pk}/download/"
    assert client.get(link).status_code == 200
    assert client.get(old_link).status_code == 200
    assert api.get(api_link).status_code == 200

    services.membership_remove(actor=cast.moderator, workgroup=cast.workgroup, user_id=leaving.pk)

    assert client.get(link).status_code == 404
    assert client.get(old_link).status_code == 404
    assert api.get(api_link).status_code == 404
    with pytest.raises(documents.Http404):
        documents.version_for_download(user=leaving, workgroup=cast.workgroup, version_id=first.pk)


# What may be uploaded


@pytest.fixture
def cast():
    return group_with_cast("members")


def refused(cast, upload, code=None):
    with pytest.raises(documents.UploadRefused) as info:
        documents.document_upload(
            actor=cast.member, workgroup=cast.workgroup, title="", upload=upload
        )
    if code:
        assert info.value.code == code
    return info.value


def nothing_stored(cast, root):
    assert not Document.objects.filter(workgroup=cast.workgroup).exists()
    assert not DocumentVersion.objects.exists()
    assert files_on_disk(root) == []
    assert Workgroup.objects.get(pk=cast.workgroup.pk).storage_used == 0


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("report.pdf", HTML, "file_content"),  # a fake PDF that is HTML
        ("page.html", HTML, "file_type"),
        ("logo.svg", SVG, "file_type"),
        ("script.js", b"alert(1)", "file_type"),
        ("setup.exe", b"MZ\x90\x00", "file_type"),
        ("report.pdf.html", HTML, "file_type"),  # double extension, the real one last
        ("invoice.html.pdf", PDF, "file_type"),  # double extension hiding a risky type
        ("notes.txt", HTML, "file_content"),  # text a browser would sniff as HTML
        ("notes.md", b"  <script>alert(1)</script>", "file_content"),
        ("data.csv", b"a,b\x00\x01\x02", "file_content"),  # binary in a text type
        ("photo.png", PDF, "file_content"),
        ("photo.jpg", PNG, "file_content"),
        ("letter.docx", PDF, "file_content"),
        (
            "letter.docx",
            office_zip({"word/document.xml": b"x"}),
            "file_content",
        ),  # a zip without [Content_Types].xml
        ("sheet.xlsx", DOCX, "file_content"),  # a Word file named as a spreadsheet
        (
            "macro.docx",
            office_zip(
                {
                    "[Content_Types].xml": b"<Types/>",
                    "word/document.xml": b"x",
                    "word/vbaProject.bin": b"x",
                }
            ),
            "file_content",
        ),
        ("text.odt", odf(b"application/vnd.oasis.opendocument.spreadsheet"), "file_content"),
        ("no-extension", PDF, "file_type"),
    ],
)
def test_refused_uploads_store_nothing(cast, private_root, name, content, code):
    error = refused(cast, SimpleUploadedFile(name, content), code)
    assert error.message
    nothing_stored(cast, private_root)


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("Minutes.pdf", PDF, "application/pdf"),
        (
            "Letter.docx",
            DOCX,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("Budget.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (
            "Notes.odt",
            odf(b"application/vnd.oasis.opendocument.text"),
            "application/vnd.oasis.opendocument.text",
        ),
        ("Plan.PNG", PNG, "image/png"),
        ("photo.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/jpeg"),
        ("anim.gif", b"GIF89a" + b"\x00" * 20, "image/gif"),
        ("pic.webp", b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 10, "image/webp"),
        ("data.csv", b"site;capacity\nLyon;2 000 L\nGraz;1 500 L\n", "text/csv"),
        ("README.md", "# Fill-finish\n\nÜbersicht der Anlagen.\n".encode(), "text/markdown"),
        ("old.txt", "Caf\xe9 cr\xe8me".encode("cp1252"), "text/plain"),
        ("v1.2 final.pdf", PDF, "application/pdf"),  # an inner dot is not an extension
    ],
)
def test_accepted_uploads_keep_the_checked_type_not_the_claimed_one(
    cast, private_root, name, content, content_type
):
    upload = SimpleUploadedFile(
        name, content, content_type="text/html"
    )  # what the browser claims is ignored
    document = documents.document_upload(
        actor=cast.member, workgroup=cast.workgroup, title="", upload=upload
    )
    version = document.current_version
    assert version.content_type == content_type
    assert version.original_name == name
    assert document.title == name.rsplit(".", 1)[0]
    assert len(files_on_disk(private_root)) == 1


def test_too_big_is_refused_clearly_and_stores_nothing(cast, client, settings, private_root):
    settings.WORKGROUP_DOCUMENT_MAX_BYTES = 1000
    big = PDF + b"0" * (1001 - len(PDF))
    error = refused(cast, pdf("big.pdf", big), "too_large")
    assert "1000" in error.message.replace("\xa0", " ") or "KB" in error.message
    client.force_login(cast.member)
    response = client.post(
        f"/groups/{cast.workgroup.slug}/documents/new/",
        {"file": pdf("big.pdf", big), "title": "Big"},
    )
    assert response.status_code == 400
    assert "a document may be at most" in response.content.decode()
    api = api_as(cast.member).post(
        f"/api/v1/workgroups/{cast.workgroup.slug}/documents/",
        {"file": pdf("big.pdf", big)},
        format="multipart",
    )
    assert api.status_code == 413 and api.json()["code"] == "too_large"
    nothing_stored(cast, private_root)


def test_over_quota_is_refused_clearly_and_stores_nothing(cast, client, settings, private_root):
    settings.WORKGROUP_STORAGE_QUOTA_BYTES = 3 * len(PDF) - 1
    first = documents.document_upload(
        actor=cast.member, workgroup=cast.workgroup, title="One", upload=pdf()
    )
    documents.document_new_version(
        actor=cast.member, document=first, upload=pdf()
    )  # a version counts
    assert Workgroup.objects.get(pk=cast.workgroup.pk).storage_used == 2 * len(PDF)

    error = refused(cast, pdf(), "quota")
    assert "storage is full" in error.message
    client.force_login(cast.member)
    response = client.post(
        f"/groups/{cast.workgroup.slug}/documents/new/", {"file": pdf(), "title": "Two"}
    )
    assert response.status_code == 400 and "storage is full" in response.content.decode()
    api = api_as(cast.member).post(
        f"/api/v1/workgroups/{cast.workgroup.slug}/documents/", {"file": pdf()}, format="multipart"
    )
    assert api.status_code == 400 and api.json()["code"] == "quota"
    with pytest.raises(documents.UploadRefused):
        documents.document_new_version(actor=cast.member, document=first, upload=pdf())

    assert Document.objects.filter(workgroup=cast.workgroup).count() == 1
    assert DocumentVersion.objects.count() == 2
    assert len(files_on_disk(private_root)) == 2
    assert Workgroup.objects.get(pk=cast.workgroup.pk).storage_used == 2 * len(PDF)


def test_deleting_frees_the_bytes_and_the_files(
    cast, private_root, django_capture_on_commit_callbacks
):
    keep = documents.document_upload(
        actor=cast.member, workgroup=cast.workgroup, title="Keep", upload=pdf()
    )
    with django_capture_on_commit_callbacks(execute=True):
        document, _first, _second = shared_by_member(cast)
    assert Workgroup.objects.get(pk=cast.workgroup.pk).storage_used == 3 * len(PDF)
    assert len(files_on_disk(private_root)) == 3
    with django_capture_on_commit_callbacks(execute=True):
        freed = documents.document_delete(actor=cast.moderator, document=document)
    assert freed == 2 * len(PDF)
    assert Workgroup.objects.get(pk=cast.workgroup.pk).storage_used == len(PDF)
    assert files_on_disk(private_root) == [Path(private_root) / keep.current_version.file.name]


# How files are stored and sent


def test_download_headers_and_a_random_name_on_disk(cast, client, private_root, settings):
    document = documents.document_upload(
        actor=cast.member, workgroup=cast.workgroup, title="", upload=pdf("Qualität.pdf")
    )
    version = document.current_version
    stored = Path(private_root) / version.file.name
    assert stored.is_file() and stored.read_bytes() == PDF
    assert "Qualit" not in version.file.name and "." not in Path(version.file.name).name
    assert not str(stored).startswith(str(settings.MEDIA_ROOT))

    client.force_login(cast.owner)
    response = client.get(f"/groups/{cast.workgroup.slug}/documents/{document.pk}/download/")
    assert response.status_code == 200
    assert (
        response["Content-Disposition"]
        == "attachment; filename=\"Qualitat.pdf\"; filename*=UTF-8''Qualit%C3%A4t.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Content-Length"] == str(len(PDF))
    assert body(response) == PDF


def test_text_is_sent_as_an_attachment_too(cast, client):
    document = documents.document_upload(
        actor=cast.member,
        workgroup=cast.workgroup,
        title="",
        upload=SimpleUploadedFile('say "hi"; now.txt', b"hello"),
    )
    client.force_login(cast.member)
    response = client.get(f"/groups/{cast.workgroup.slug}/documents/{document.pk}/download/")
    assert response["Content-Disposition"].startswith('attachment; filename="say _hi__ now.txt";')
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_uploaded_path_never_reaches_the_disk(cast, private_root):
    document = documents.document_upload(
        actor=cast.member,
        workgroup=cast.workgroup,
        title="",
        upload=SimpleUploadedFile("../../etc/passwd.txt", b"root:x:0:0"),
    )
    version = document.current_version
    assert version.original_name == "passwd.txt"
    assert (
        (Path(private_root) / version.file.name)
        .resolve()
        .is_relative_to(Path(private_root).resolve())
    )


def test_versions_number_up_and_the_new_one_becomes_current(cast, client):
    document, first, second = shared_by_member(cast)
    document.refresh_from_db()
    assert (first.number, second.number) == (1, 2)
    assert document.current_version_id == second.pk
    third = documents.document_new_version(
        actor=cast.moderator, document=document, upload=SimpleUploadedFile("Roadmap.docx", DOCX)
    )
    document.refresh_from_db()
    assert third.number == 3 and document.current_version_id == third.pk
    assert Workgroup.objects.get(pk=cast.workgroup.pk).storage_used == 2 * len(PDF) + len(DOCX)
    client.force_login(cast.member)
    page = client.get(f"/groups/{cast.workgroup.slug}/documents/{document.pk}/").content.decode()
    assert (
        "Roadmap v1.pdf" in page
        and "Roadmap v2.pdf" in page
        and "Roadmap.docx" in page
        and "Comments included" in page
    )
    current = client.get(f"/groups/{cast.workgroup.slug}/documents/{document.pk}/download/")
    assert body(current) == DOCX and "Roadmap.docx" in current["Content-Disposition"]


def test_a_refused_new_version_changes_nothing(cast, client, private_root):
    document, _first, second = shared_by_member(cast)
    client.force_login(cast.member)
    response = client.post(
        f"/groups/{cast.workgroup.slug}/documents/{document.pk}/versions/",
        {"file": SimpleUploadedFile("v3.pdf", HTML)},
    )
    assert response.status_code == 400 and "is not a .pdf file" in response.content.decode()
    document.refresh_from_db()
    assert document.current_version_id == second.pk and document.versions.count() == 2
    assert len(files_on_disk(private_root)) == 2


# Notifications, activity, query counts


def test_a_new_document_notifies_active_members_but_the_uploader(
    cast, django_capture_on_commit_callbacks
):
    before = cast.workgroup.last_activity_at
    with django_capture_on_commit_callbacks(execute=True):
        document = documents.document_upload(
            actor=cast.member, workgroup=cast.workgroup, title="Position paper", upload=pdf()
        )
    notified = set(
        Notification.objects.filter(kind="workgroup.document").values_list(
            "recipient_id", flat=True
        )
    )
    assert notified == {cast.owner.pk, cast.moderator.pk}
    note = Notification.objects.filter(kind="workgroup.document").first()
    assert (
        "Position paper" in note.title
        and note.url == f"/groups/{cast.workgroup.slug}/documents/{document.pk}/"
    )
    assert Workgroup.objects.get(pk=cast.workgroup.pk).last_activity_at > before


def _add_documents(cast, n):
    for i in range(n):
        documents.document_upload(
            actor=cast.member,
            workgroup=cast.workgroup,
            title=f"Doc {i}",
            upload=pdf(f"doc-{i}.pdf"),
        )


def _count(fetch) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = fetch()
    assert response.status_code == 200
    return len(captured)


def test_the_document_list_costs_the_same_for_2_and_30_documents(client):
    small, large = group_with_cast("members"), group_with_cast("members")
    _add_documents(small, 2)
    _add_documents(large, 30)
    counts = []
    for cast in (small, large):
        client.force_login(cast.member)
        client.get(f"/groups/{cast.workgroup.slug}/documents/")  # warm the session
        api = api_as(cast.member)
        counts.append(
            (
                _count(lambda c=cast: client.get(f"/groups/{c.workgroup.slug}/documents/")),
                _count(
                    lambda c=cast, api=api: api.get(
                        f"/api/v1/workgroups/{c.workgroup.slug}/documents/?page_size=50"
                    )
                ),
            )
        )
    assert counts[0] == counts[1]


def test_the_pages_render_for_a_reader(cast, client):
    document, _first, _second = shared_by_member(cast)
    client.force_login(cast.owner)
    base = f"/groups/{cast.workgroup.slug}/documents/"
    listing = client.get(base).content.decode()
    assert "Roadmap" in listing and "Share a document" in listing
    assert client.get(f"{base}new/").status_code == 200
    confirm = client.get(f"{base}{document.pk}/delete/")
    assert confirm.status_code == 200 and "2 versions" in confirm.content.decode()
    client.force_login(cast.member)
    other = UserFactory()
    services.workgroup_join(actor=other, workgroup=cast.workgroup)
    services.membership_approve(actor=cast.owner, workgroup=cast.workgroup, user_id=other.pk)
    client.force_login(other)
    page = client.get(f"{base}{document.pk}/").content.decode()
    assert "Upload a new version" not in page and "Delete this document" not in page


def test_a_large_upload_streamed_to_a_temporary_file_is_checked_and_stored_whole(
    cast, client, settings, private_root
):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # force Django's temporary-file upload handler
    content = office_zip(
        {
            "[Content_Types].xml": b"<Types/>",
            "word/document.xml": b"<w:document>" + b"x" * 200_000 + b"</w:document>",
        }
    )
    client.force_login(cast.member)
    response = client.post(
        f"/groups/{cast.workgroup.slug}/documents/new/",
        {"file": SimpleUploadedFile("Big report.docx", content), "title": ""},
    )
    assert response.status_code == 302
    version = Document.objects.get(workgroup=cast.workgroup).current_version
    assert version.size == len(content)
    assert (Path(private_root) / version.file.name).read_bytes() == content
    refused_response = client.post(
        f"/groups/{cast.workgroup.slug}/documents/new/",
        {"file": SimpleUploadedFile("Big.pdf", b"<html>" + b"x" * 5000)},
    )
    assert refused_response.status_code == 400
    assert len(files_on_disk(private_root)) == 1


def test_storage_recount_repairs_the_counter(cast):
    shared_by_member(cast)
    Workgroup.objects.filter(pk=cast.workgroup.pk).update(storage_used=999_999)
    assert documents.storage_recount(cast.workgroup) == 2 * len(PDF)
    assert Workgroup.objects.get(pk=cast.workgroup.pk).storage_used == 2 * len(PDF)
