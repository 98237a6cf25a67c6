"""What may be attached to a message, decided from the file's bytes, not its name or claim."""

from __future__ import annotations

import logging
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from core.models import StoredFile

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=StoredFile)

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 5

OOXML = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "ppt/": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
}
ODF = {
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.oasis.opendocument.presentation": ".odp",
}
IMAGES = {"PNG": ("image/png", ".png"), "JPEG": ("image/jpeg", ".jpg"),
          "GIF": ("image/gif", ".gif"), "WEBP": ("image/webp", ".webp")}  # fmt: skip
#: what a file input offers to choose (its ``accept``): the types sniffing lets through
ACCEPT = ",".join(
    [".pdf", *(ext for _type, ext in OOXML.values()), *ODF.values()]
    + [content_type for content_type, _ext in IMAGES.values()]
)


class RefusedFile(ValueError):
    pass


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    extension: str


def sniff(upload: UploadedFile[Any]) -> Sniffed:
    """The real type of ``upload`` if it is one we accept; RefusedFile otherwise."""
    if upload.size is None or upload.size > MAX_BYTES:
        raise RefusedFile(_("A file may be at most 10 MB."))
    if upload.size == 0:
        raise RefusedFile(_("This file is empty."))
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return Sniffed("application/pdf", ".pdf")
    if head.startswith(b"PK\x03\x04"):
        return _office(upload)
    try:
        with Image.open(upload) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        kind = None
    finally:
        upload.seek(0)
    if kind in IMAGES:
        return Sniffed(*IMAGES[kind])
    raise RefusedFile(
        _("Only PDF files, office documents (Word, Excel, PowerPoint, OpenDocument) and photos "
          "(JPEG, PNG, GIF, WebP) can be shared.")
    )  # fmt: skip


def _office(upload: UploadedFile[Any]) -> Sniffed:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                if mimetype in ODF:
                    return Sniffed(mimetype, ODF[mimetype])
            if "[Content_Types].xml" in names:
                for prefix, (content_type, extension) in OOXML.items():
                    if any(name.startswith(prefix) for name in names):
                        return Sniffed(content_type, extension)
    except (zipfile.BadZipFile, OSError, UnicodeDecodeError):
        pass
    finally:
        upload.seek(0)
    raise RefusedFile(_("This archive is not an office document."))


def display_name(original: str, sniffed: Sniffed) -> str:
    """A harmless name to show: no path, no control characters, the real extension."""
    name = os.path.basename((original or "").replace("\\", "/"))
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    stem = re.sub(r"[^\w\s().,-]", "_", os.path.splitext(name)[0]).strip(" ._") or "bestand"
    return f"{stem[:100]}{sniffed.extension}"


def accepted(upload: UploadedFile[Any]) -> Sniffed:
    """``upload``'s real type; ValidationError (code ``refused_file``) for a file no message may
    carry."""
    try:
        return sniff(upload)
    except RefusedFile as refusal:
        raise ValidationError(str(refusal), code="refused_file") from None


def stored_upload(
    model: type[F],
    *,
    by: Any,
    upload: UploadedFile[Any],
    sniffed: Sniffed | None = None,
    **owner: Any,
) -> F:
    """A new, unsaved ``model`` row for ``upload`` whose bytes are already written to storage
    under a random name; the name shown is cleaned, the type sniffed (unless ``sniffed`` says it
    already). Raises ValidationError (code ``refused_file``) for a file no message may carry."""
    sniffed = sniffed or accepted(upload)
    item = model(
        uploader=by,
        name=display_name(getattr(upload, "name", ""), sniffed),
        content_type=sniffed.content_type,
        size=upload.size,
        **owner,
    )
    item.file.save("upload", upload, save=False)
    return item


def delete_stored(model: type[StoredFile], names: Iterable[str]) -> None:
    """Delete stored files of ``model`` from its storage, once no row refers to them."""
    storage = model._meta.get_field("file").storage  # type: ignore[misc]  # the subclass has it
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            # an undeletable file is for the operator to see
            logger.warning("Could not delete stored file %s", name, exc_info=True)


def serve(item: Any, *, inline: bool = False) -> FileResponse:
    """A stored file as a download (or, ``inline``, shown by the browser), never run as a page
    of this site whatever its bytes say, and never kept in a shared cache."""
    response = FileResponse(
        item.file.open("rb"),
        as_attachment=not inline,
        filename=item.name,
        content_type=item.content_type,
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
