"""Files for upload tests, made on the spot: PDFs written by pypdf (plain, with an open action
running JavaScript, encrypted), and images by Pillow."""

from __future__ import annotations

import io

from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject


def pdf_bytes(
    *, pages: int = 1, javascript: bool = False, password: str | None = None, pad: int = 0
) -> bytes:
    """A valid PDF of `pages` blank pages; `javascript` adds an open action running a script,
    `password` encrypts it, `pad` adds that many bytes in a comment-free metadata entry."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if javascript:
        action = {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert(1)"),
        }
        writer.root_object[NameObject("/OpenAction")] = DictionaryObject(action)
    if pad:
        writer.add_metadata({"/Subject": "x" * pad})
    if password is not None:
        writer.encrypt(user_password=password, owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(out, format="PNG")
    return out.getvalue()


def jpeg_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (40, 80, 200)).save(out, format="JPEG")
    return out.getvalue()
