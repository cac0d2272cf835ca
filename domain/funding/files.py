"""The files of applications' attachments (申报附件), checked by their content alone.

- The content decides the kind, never the name nor the browser's content type: bytes starting
  with `%PDF-` are a PDF, anything else must be a JPEG, PNG or WebP image as Pillow reads it. A
  PNG called `.pdf` is an image (and is named `.png`), a PDF called `.jpg` a PDF, a text file
  nothing at all.
- A PDF: at most `MAX_PDF_BYTES`, `%%EOF` in its last KB, parsed by pypdf with at least one
  page; refused when encrypted (even with an empty password: nobody could read it without the
  uploader) or when it carries JavaScript or a launch action (the document's open action and
  additional actions, its JavaScript name tree, each page's and annotation's actions — read from
  the parsed objects, so compressed object streams and escaped names do not hide them — and the
  raw bytes' `/JavaScript` and `/Launch` names). It is stored as uploaded.
- An image: at most `MAX_IMAGE_BYTES`, re-encoded by the activity photos' cleaner
  (`domain.activities.photos`: pixel limit, EXIF and GPS gone, orientation applied).
- Stored under `storage.attachments_dir()` as `<32 hex digits>.<ext>`, written aside and renamed.

These functions block (parsing, decoding, disk): callers run them in a worker thread, the checks
through the photos' decode gate (`photos.decodes.run`).
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from domain import storage
from domain.activities import photos
from domain.activities.errors import ActivityCode
from domain.errors import DomainError, ValidationError
from domain.funding.errors import FundingCode
from domain.funding.models import AttachmentKind

MB = 1024 * 1024
MAX_PDF_BYTES = 10 * MB
MAX_IMAGE_BYTES = photos.MAX_BYTES
MAX_NAME = 100  # characters of the name's stem, the extension aside
MAX_PAGES_WALKED = 1000  # pages whose actions and annotations are read
PDF = "application/pdf"
_STORED = re.compile(r"[0-9a-f]{32}\.(pdf|jpg|png|webp)")
_ACTIVE_BYTES = re.compile(rb"/(JavaScript|Launch)(?![A-Za-z0-9#])")
_ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch"})


@dataclass(frozen=True)
class CheckedFile:
    kind: AttachmentKind
    data: bytes
    extension: str
    content_type: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _refuse(code: FundingCode, message: str) -> ValidationError:
    return ValidationError(code, message, ["file"])


def unsupported() -> ValidationError:
    return _refuse(FundingCode.ATTACHMENT_TYPE, "附件只能是 PDF 文件或 JPEG、PNG、WebP 图片")


def check(data: bytes) -> CheckedFile:
    """The upload as it will be stored, or a ValidationError saying why it is refused."""
    if not data:
        raise _refuse(FundingCode.NO_FILE, "请选择要上传的文件（文件不能为空）")
    if data.startswith(b"%PDF-"):
        if len(data) > MAX_PDF_BYTES:
            raise _refuse(FundingCode.ATTACHMENT_TOO_LARGE, f"PDF 文件不能超过 {MAX_PDF_BYTES // MB} MB")
        check_pdf(data)
        return CheckedFile(AttachmentKind.PDF, data, "pdf", PDF)
    if len(data) > MAX_IMAGE_BYTES:
        message = f"图片不能超过 {MAX_IMAGE_BYTES // MB} MB（PDF 不能超过 {MAX_PDF_BYTES // MB} MB）"
        raise _refuse(FundingCode.ATTACHMENT_TOO_LARGE, message)
    try:
        image = photos.clean_image(data)
    except DomainError as error:
        if error.code is ActivityCode.IMAGE_TOO_LARGE:
            raise _refuse(FundingCode.ATTACHMENT_TOO_LARGE, error.message) from None
        raise unsupported() from None
    return CheckedFile(AttachmentKind.IMAGE, image.data, image.extension, image.content_type)


def check_pdf(data: bytes) -> None:
    """Refuse a PDF that is cut off, does not parse, has no page, is encrypted or carries
    JavaScript or a launch action (see the module)."""
    unreadable = _refuse(FundingCode.ATTACHMENT_UNREADABLE, "PDF 文件已损坏或无法解析，请重新导出后上传")
    if b"%%EOF" not in data[-1024:]:
        raise unreadable
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            message = "不能上传加密或设有密码的 PDF，请去掉密码保护后再上传"
            raise _refuse(FundingCode.ATTACHMENT_ENCRYPTED, message)
        if len(reader.pages) == 0:
            raise unreadable
        active = _ACTIVE_BYTES.search(data) is not None or _has_active_content(reader)
    except DomainError:
        raise
    except Exception:  # pypdf raises many kinds on broken input; each means "cannot be read"
        raise unreadable from None
    if active:
        message = "PDF 含有脚本或启动程序的动作，不能上传；请另存为或重新打印为普通 PDF 后再上传"
        raise _refuse(FundingCode.ATTACHMENT_ACTIVE_CONTENT, message)


def _resolved(value: Any) -> Any:
    return value.get_object() if isinstance(value, IndirectObject) else value


def _is_active(action: Any, depth: int = 0) -> bool:
    """An action dictionary (or a list of them) that runs JavaScript or launches a program,
    following `/Next` a few steps."""
    action = _resolved(action)
    if depth > 8:
        return False
    if isinstance(action, ArrayObject):
        return any(_is_active(a, depth + 1) for a in action)
    if not isinstance(action, DictionaryObject):
        return False
    if str(action.get("/S", "")) in _ACTIVE_ACTIONS or "/JS" in action:
        return True
    return "/Next" in action and _is_active(action["/Next"], depth + 1)


def _has_additional_active(holder: Any) -> bool:
    """`/A` and every trigger of `/AA` (additional actions) of a page, annotation or catalog."""
    holder = _resolved(holder)
    if not isinstance(holder, DictionaryObject):
        return False
    if "/A" in holder and _is_active(holder["/A"]):
        return True
    triggers = _resolved(holder.get("/AA"))
    return isinstance(triggers, DictionaryObject) and any(_is_active(a) for a in triggers.values())


def _has_active_content(reader: PdfReader) -> bool:
    catalog = _resolved(reader.trailer["/Root"])
    names = _resolved(catalog.get("/Names"))
    if isinstance(names, DictionaryObject) and "/JavaScript" in names:
        return True
    if _is_active(catalog.get("/OpenAction")) or _has_additional_active(catalog):
        return True
    for number, page in enumerate(reader.pages):
        if number >= MAX_PAGES_WALKED:
            break
        if _has_additional_active(page):
            return True
        annotations = _resolved(page.get("/Annots"))
        if isinstance(annotations, ArrayObject) and any(_has_additional_active(a) for a in annotations):
            return True
    return False


def clean_name(declared: str, extension: str) -> str:
    """The name the uploader gave, safe to show and to offer as a download name: its last path
    segment, NFC, without control or format characters (bidirectional overrides included) nor
    characters file systems refuse, at most `MAX_NAME` characters, with the extension the content
    decided (`附件` when nothing is left)."""
    base = unicodedata.normalize("NFC", declared.replace("\\", "/").rsplit("/", 1)[-1])
    base = "".join(
        " " if unicodedata.category(ch)[0] == "Z" else ch for ch in base if unicodedata.category(ch)[0] != "C"
    )
    base = re.sub(r'[<>:"|?*]', "_", base)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = re.sub(r"\s+", " ", stem).strip(" .")[:MAX_NAME].strip(" .")
    return f"{stem or '附件'}.{extension}"


def neutral_name(position: int, extension: str) -> str:
    """What a blind reviewer sees instead of the uploader's name: 附件1.pdf, 附件2.jpg..."""
    return f"附件{position}.{extension}"


def extension_of(file_name: str) -> str:
    return file_name.rsplit(".", 1)[-1]


def store(checked: CheckedFile) -> str:
    """Write the file under a fresh random name and return the name (`storage.store_new`)."""
    return storage.store_new(storage.attachments_dir(), checked.extension, checked.data)


def path_of(stored_name: str) -> Path:
    """The stored file; the name is checked so that it can never point outside the folder."""
    if not _STORED.fullmatch(stored_name):
        raise ValueError(f"not a stored attachment name: {stored_name!r}")
    return storage.attachments_dir() / stored_name


def discard(stored_name: str) -> None:
    path_of(stored_name).unlink(missing_ok=True)
