"""OFD (GB/T 33190): the XML of its pages read directly, text placed by its glyph positions.

An OFD file is a zip: ``OFD.xml`` names each document's ``Document.xml``,
which lists the pages' ``Content.xml``; text is in ``TextObject``/``TextCode``
elements with a boundary box, a baseline origin and per-glyph advances
(``DeltaX``). Page templates (the red header is often one) are read with the
page. Seals and signatures carry no text: they are counted in the hints.
"""
from __future__ import annotations

import os
import posixpath

import zipfile

from lxml import etree

from ..errors import IngestError
from .layout import PageLayout, Run, group_lines, layout_pages
from .model import LaidOutText

_MAX_PART = 50 * 1024 * 1024


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(node, name: str):
    return [c for c in node if _local(c.tag) == name]


def _find(node, *path: str):
    for name in path:
        found = _children(node, name) if node is not None else []
        node = found[0] if found else None
    return node


def _floats(value: str | None) -> list[float]:
    try:
        return [float(v) for v in (value or "").split()]
    except ValueError:
        return []


def deltas(value: str | None) -> list[float]:
    """Expand a ``DeltaX`` list, where ``g N d`` stands for N advances of d.

    >>> deltas("g 3 4.5 2 1")
    [4.5, 4.5, 4.5, 2.0, 1.0]
    """
    out: list[float] = []
    tokens = (value or "").split()
    i = 0
    while i < len(tokens):
        if tokens[i] == "g" and i + 2 < len(tokens):
            try:
                out.extend([float(tokens[i + 2])] * int(tokens[i + 1]))
            except ValueError:
                pass
            i += 3
            continue
        try:
            out.append(float(tokens[i]))
        except ValueError:
            pass
        i += 1
    return out


class _Package:
    """The parts of an OFD zip, resolved the way OFD paths are (absolute or relative to a part)."""

    def __init__(self, name: str, zf: zipfile.ZipFile):
        self.name = name
        self.zf = zf
        self.names = {n.lstrip("/"): n for n in zf.namelist()}

    def xml(self, path: str):
        key = path.lstrip("/")
        if key not in self.names:
            raise IngestError(self.name, f"damaged OFD: part {path} is missing")
        info = self.zf.getinfo(self.names[key])
        if info.file_size > _MAX_PART:
            raise IngestError(self.name, f"OFD part {path} is too large ({info.file_size} bytes)")
        try:
            return etree.fromstring(self.zf.read(info), parser=etree.XMLParser(resolve_entities=False,
                                                                               no_network=True))
        except (etree.XMLSyntaxError, zipfile.BadZipFile, OSError) as exc:
            raise IngestError(self.name, f"damaged OFD: {path} is not readable XML ({exc})") from None

    @staticmethod
    def resolve(base: str, ref: str) -> str:
        ref = ref.strip()
        if ref.startswith("/"):
            return ref.lstrip("/")
        return posixpath.normpath(posixpath.join(posixpath.dirname(base), ref))


def _text_runs(content, runs: list[Run]) -> None:
    """Add the glyphs of every TextObject under ``content`` as runs (millimetres, top-down)."""
    for obj in content.iter():
        if _local(obj.tag) != "TextObject":
            continue
        box = _floats(obj.get("Boundary"))
        if len(box) < 2:
            continue
        bx, by = box[0], box[1]
        # The CTM maps the object's own units (often points) into the boundary's millimetres.
        ctm = _floats(obj.get("CTM"))
        a, b, c, d, e, f = ctm if len(ctm) == 6 else (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        scale = abs(d) or 1.0
        size = float(obj.get("Size") or 3.5)
        hscale = float(obj.get("HScale") or 1.0)
        x = y = 0.0
        for code in _children(obj, "TextCode"):
            text = code.text or ""
            if code.get("X") is not None:
                x = float(code.get("X"))
            if code.get("Y") is not None:
                y = float(code.get("Y"))
            advances = deltas(code.get("DeltaX"))
            for i, ch in enumerate(text):
                width = advances[i] if i < len(advances) else size * hscale
                left = bx + a * x + c * y + e
                baseline = by + b * x + d * y + f
                glyph = min(width, size * hscale) * abs(a or 1.0)
                runs.append(Run(" " if ch.isspace() else ch, left, left + glyph, baseline - 0.88 * size * scale,
                                baseline + 0.12 * size * scale))
                x += width


def _document(pkg: _Package) -> tuple[str, object, object]:
    """The entry file's first ``DocBody``: path of its ``Document.xml``, that XML, and the body."""
    name = pkg.name
    entry = next((n for n in pkg.names if n.lower() == "ofd.xml"), None)
    if entry is None:
        raise IngestError(name, "damaged OFD: no OFD.xml entry file")
    bodies = _children(pkg.xml(entry), "DocBody")
    if not bodies:
        raise IngestError(name, "damaged OFD: OFD.xml names no document")
    doc_root = _find(bodies[0], "DocRoot")
    if doc_root is None or not (doc_root.text or "").strip():
        raise IngestError(name, "damaged OFD: OFD.xml names no document")
    doc_path = pkg.resolve(entry, doc_root.text)
    return doc_path, pkg.xml(doc_path), bodies[0]


def _seals(pkg: _Package, body) -> dict[str, str]:
    """The ``seals`` hint when the package signs the document."""
    signatures = _find(body, "Signatures")
    if signatures is None or not (signatures.text or "").strip():
        return {}
    entry = next(n for n in pkg.names if n.lower() == "ofd.xml")
    try:
        count = sum(1 for n in pkg.xml(pkg.resolve(entry, signatures.text)).iter() if _local(n.tag) == "Signature")
    except IngestError:
        count = 0
    return {"seals": f"{count} electronic seal(s)/signature(s), not part of the text"} if count else {}


def _box(node, *path: str) -> list[float]:
    found = _find(node, *path)
    return _floats(found.text if found is not None else None)


def _pages(pkg: _Package, doc_path: str, document) -> list[PageLayout]:
    """Every page's lines (with the text of its templates), in millimetres from the top left."""
    templates = {}
    common = _find(document, "CommonData")
    for tpl in _children(common, "TemplatePage") if common is not None else []:
        if tpl.get("BaseLoc"):
            templates[tpl.get("ID")] = pkg.resolve(doc_path, tpl.get("BaseLoc"))
    area = _box(common, "PageArea", "PhysicalBox")
    default_size = (area[2], area[3]) if len(area) >= 4 else (210.0, 297.0)
    page_nodes = _children(_find(document, "Pages"), "Page") if _find(document, "Pages") is not None else []
    if not page_nodes:
        raise IngestError(pkg.name, "empty OFD (no pages)")
    layouts = []
    for number, node in enumerate(page_nodes, start=1):
        if not node.get("BaseLoc"):
            continue
        page = pkg.xml(pkg.resolve(doc_path, node.get("BaseLoc")))
        runs: list[Run] = []
        for ref in _children(page, "Template"):
            tpl_path = templates.get(ref.get("TemplateID"))
            if tpl_path:
                _text_runs(pkg.xml(tpl_path), runs)
        _text_runs(page, runs)
        box = _box(page, "Area", "PhysicalBox")
        width, height = (box[2], box[3]) if len(box) >= 4 else default_size
        layouts.append(PageLayout(number=number, width=width, height=height, lines=group_lines(runs)))
    return layouts


def read_ofd(path: str | os.PathLike) -> LaidOutText:
    """Read an OFD file's text page by page, in reading order by position, with line boxes in millimetres.

    Raises:
        IngestError: the file is not a readable OFD package or has no text.
    """
    name = str(path)
    try:
        zf = zipfile.ZipFile(name)
    except (zipfile.BadZipFile, OSError) as exc:
        raise IngestError(name, f"damaged OFD (not a zip package: {exc})") from None
    with zf:
        pkg = _Package(name, zf)
        doc_path, document, body = _document(pkg)
        hints = _seals(pkg, body)
        layouts = _pages(pkg, doc_path, document)
    if not any(p.lines for p in layouts):
        raise IngestError(name, "OFD without a text layer (scanned pages): OCR of OFD images is not supported")
    laid = layout_pages(layouts)
    hints.update(laid.hints)
    return LaidOutText(text=laid.text, pages=laid.pages, hints=hints, format="ofd", boxes=laid.boxes,
                       box_units="mm")


__all__ = ["deltas", "read_ofd"]
