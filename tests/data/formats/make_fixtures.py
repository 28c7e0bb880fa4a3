"""Turn a parsed document into the files staff receive: PDF (text layer or image-only), DOCX, DOC, OFD.

Used by tests/test_ingest_formats.py to make its inputs at test time, and run
as a script to (re)write the small fixtures kept beside it:

    python tests/data/formats/make_fixtures.py

Each writer lays out the *clean text* of a parsed original (one paragraph a
line), so parsing the result must give back the same title, structure and
text. Running headers and page numbers are added on purpose, since the
readers must remove them.
"""
from __future__ import annotations

import html
import io
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORIGINALS = HERE / "originals"

#: Page-number styles a PDF footer is drawn in, as CSS content.
FOOTERS = ('"— " counter(page) " —"', '"-" counter(page) "-"', '"第" counter(page) "页"')


def chromium() -> str | None:
    """The headless browser used for print-to-PDF, or ``None``."""
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def doc_html(text: str, title: str, *, footer: str = FOOTERS[0]) -> str:
    """A printable page of ``text`` (one paragraph a line), title centred, with a running header and page numbers."""
    lines = [line for line in text.split("\n") if line.strip()]
    body = []
    for i, line in enumerate(lines):
        css = ' class="t"' if i == 0 else ""
        body.append(f"<p{css}>{html.escape(line)}</p>")
    short = html.escape(title[:30]).replace('"', "")
    css = (
        f'@page {{ size: A4; margin: 25mm 22mm; @top-center {{ content: "{short}"; font-size: 9pt }}'
        f" @bottom-center {{ content: {footer}; font-size: 10pt }} }}"
        " body { font-family: 'WenQuanYi Zen Hei', sans-serif; font-size: 15pt; line-height: 1.6 }"
        " p { margin: 0; text-indent: 2em; overflow-wrap: anywhere } p.t { text-align: center; text-indent: 0; font-size: 20pt;"
        " margin-bottom: 1em }"
    )
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{short}</title><style>{css}</style>"
            f"</head><body>{''.join(body)}</body></html>")


def print_pdf(page_html: str, out: Path, *, timeout: int = 120) -> Path:
    """Print an HTML page to PDF with headless Chromium (text layer, fonts embedded)."""
    exe = chromium()
    if exe is None:
        raise RuntimeError("chromium is not installed")
    with tempfile.TemporaryDirectory(prefix="pkg-print-") as tmp:
        src = Path(tmp, "page.html")
        src.write_text(page_html, encoding="utf-8")
        subprocess.run(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
             f"--user-data-dir={tmp}/profile", f"--print-to-pdf={out}", src.as_uri()],
            check=True, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL,
        )
    return out


def write_docx(text: str, out: Path, *, title: str, page_every: int = 30) -> Path:
    """A .docx of ``text``: the first line in the Title style, a header and a page-number footer, page breaks."""
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    section = document.sections[0]
    section.header.paragraphs[0].text = title[:30]
    section.footer.paragraphs[0].text = "— 1 —"
    lines = [line for line in text.split("\n") if line.strip()]
    for i, line in enumerate(lines):
        if i == 0:
            document.add_paragraph(line, style="Title")
            continue
        paragraph = document.add_paragraph()
        if i % page_every == 0:
            paragraph.add_run().add_break(WD_BREAK.PAGE)
        paragraph.add_run(line)
    document.save(out)
    return out


def convert(src: Path, fmt: str, outdir: Path) -> Path:
    """Convert with LibreOffice (``fmt`` as ``--convert-to`` takes it); returns the new file."""
    exe = soffice()
    if exe is None:
        raise RuntimeError("LibreOffice is not installed")
    with tempfile.TemporaryDirectory(prefix="pkg-lo-") as tmp:
        subprocess.run(
            [exe, f"-env:UserInstallation={Path(tmp).as_uri()}", "--headless", "--convert-to", fmt,
             "--outdir", str(outdir), str(src)],
            check=True, capture_output=True, timeout=180, stdin=subprocess.DEVNULL,
        )
    return outdir / (src.stem + "." + fmt.split(":")[0])


# --- a minimal OFD writer (GB/T 33190 layout: zip of XML parts) -------------------------------------

_OFD_NS = "http://www.ofdspec.org/2016"
_PAGE_W, _PAGE_H = 210.0, 297.0
_LEFT, _WIDTH, _TOP, _BOTTOM = 28.0, 156.0, 37.0, 265.0
_SIZE, _PITCH = 5.6, 9.8


def _advance(ch: str, size: float) -> float:
    return size * (0.5 if ord(ch) < 0x2E80 else 1.0)


def _wrap(text: str, width: float, size: float, indent: float) -> list[str]:
    lines, current, used = [], "", indent
    for ch in text:
        w = _advance(ch, size)
        if used + w > width + 1e-6 and current:
            lines.append(current)
            current, used = "", 0.0
        current += ch
        used += w
    if current:
        lines.append(current)
    return lines


def write_ofd(text: str, out: Path, *, red_header: tuple[str, str] | None = None, seal: bool = False) -> Path:
    """An OFD of ``text``: centred title, indented paragraphs, ``- N -`` page numbers, optional red header.

    ``red_header`` is ``(发文机关标志, 发文字号)``, drawn in red above the title on page 1.
    """
    lines = [line for line in text.split("\n") if line.strip()]
    pages: list[list[tuple[str, float, float, float, str]]] = [[]]  # (text, x, baseline, size, colour)
    y = _TOP
    ids = iter(range(100, 100000))

    def place(s: str, x: float, size: float, colour: str = "0 0 0") -> None:
        nonlocal y
        if y + _PITCH > _BOTTOM:
            pages.append([])
            y = _TOP
        y += _PITCH if size <= _SIZE else size * 1.6
        pages[-1].append((s, x, y, size, colour))

    if red_header:
        mark, number = red_header
        big = 14.0
        w = sum(_advance(c, big) for c in mark)
        place(mark, (_PAGE_W - w) / 2, big, "238 32 37")
        w = sum(_advance(c, _SIZE) for c in number)
        place(number, (_PAGE_W - w) / 2, _SIZE)
    for i, line in enumerate(lines):
        if i == 0:
            size = 7.7
            for part in _wrap(line, _WIDTH, size, 0.0):
                w = sum(_advance(c, size) for c in part)
                place(part, (_PAGE_W - w) / 2, size)
            continue
        for j, part in enumerate(_wrap(line, _WIDTH, _SIZE, 2 * _SIZE)):
            place(part, _LEFT + (2 * _SIZE if j == 0 else 0.0), _SIZE)

    def content(items, number: int) -> str:
        objs = []
        footer = f"- {number} -"
        fw = sum(_advance(c, _SIZE) for c in footer)
        for s, x, baseline, size, colour in [*items, (footer, (_PAGE_W - fw) / 2, 280.0, _SIZE, "0 0 0")]:
            deltas = " ".join(f"{_advance(c, size):.2f}" for c in s[:-1])
            w = sum(_advance(c, size) for c in s)
            objs.append(
                f'<ofd:TextObject ID="{next(ids)}" Font="1" Size="{size}" Boundary="{x:.2f} {baseline - size:.2f} '
                f'{w:.2f} {size * 1.2:.2f}"><ofd:FillColor Value="{colour}"/>'
                f'<ofd:TextCode X="0" Y="{size:.2f}" DeltaX="{deltas}">{html.escape(s)}</ofd:TextCode>'
                "</ofd:TextObject>"
            )
        return (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{_OFD_NS}"><ofd:Area>'
                f"<ofd:PhysicalBox>0 0 {_PAGE_W} {_PAGE_H}</ofd:PhysicalBox></ofd:Area><ofd:Content>"
                f'<ofd:Layer ID="{next(ids)}">{"".join(objs)}</ofd:Layer></ofd:Content></ofd:Page>')

    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        sig = "<ofd:Signatures>/Doc_0/Signatures.xml</ofd:Signatures>" if seal else ""
        zf.writestr("OFD.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{_OFD_NS}" '
                    f'Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>test</ofd:DocID>'
                    f"</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>{sig}</ofd:DocBody></ofd:OFD>")
        page_refs = "".join(f'<ofd:Page ID="{n + 1}" BaseLoc="Pages/Page_{n}/Content.xml"/>' for n in range(len(pages)))
        zf.writestr("Doc_0/Document.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{_OFD_NS}">'
                    f"<ofd:CommonData><ofd:MaxUnitID>1</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 {_PAGE_W} "
                    f"{_PAGE_H}</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData><ofd:Pages>{page_refs}</ofd:Pages>"
                    "</ofd:Document>")
        for n, items in enumerate(pages):
            zf.writestr(f"Doc_0/Pages/Page_{n}/Content.xml", content(items, n + 1))
        if seal:
            zf.writestr("Doc_0/Signatures.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:Signatures '
                        f'xmlns:ofd="{_OFD_NS}"><ofd:Signature ID="1" BaseLoc="Signs/Sign_0/Signature.xml"/>'
                        "</ofd:Signatures>")
    return out


def image_only_pdf(pdf: Path, out: Path, *, pages: int = 1, scale: float = 1.3) -> Path:
    """An image-only copy of the first ``pages`` pages of ``pdf`` (grey JPEG scans at 94 dpi, no text layer)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    images = [document[i].render(scale=scale, grayscale=True).to_pil().convert("L")
              for i in range(min(pages, len(document)))]
    document.close()
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:], resolution=72 * scale, quality=50)
    out.write_bytes(buffer.getvalue())
    return out


def main() -> None:
    """Write the kept fixtures: a short PDF, its image-only scan, a DOCX, an encrypted PDF (LibreOffice)."""
    from policykg.ingest import parse_file

    small = ORIGINALS / "lawrefbook__行政法规__企业法人法定代表人登记管理规定(1999-06-23).md"
    doc = parse_file(small)
    title = doc.metadata.title or ""
    pdf = print_pdf(doc_html(doc.text, title, footer=FOOTERS[2]), HERE / "regulation.pdf")
    image_only_pdf(pdf, HERE / "regulation-scan.pdf", pages=1)
    write_docx(doc.text, HERE / "regulation.docx", title=title, page_every=12)
    tiny = ORIGINALS / "lawrefbook__DLC__北京市人民代表大会常务委员会关于废止部分地方性法规的决定.md"
    tdoc = parse_file(tiny)
    write_ofd(tdoc.text, HERE / "decision-redheader.ofd", red_header=("北京市人民代表大会常务委员会文件", "京人发〔2021〕9号"),
              seal=True)
    exe = soffice()
    if exe is not None:
        with tempfile.TemporaryDirectory() as tmp:
            src = write_docx(tdoc.text, Path(tmp, "encrypted.docx"), title=tdoc.metadata.title or "")
            options = ('pdf:writer_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},'
                       '"DocumentOpenPassword":{"type":"string","value":"secret"}}')
            made = convert(src, options, Path(tmp))
            shutil.copyfile(made, HERE / "encrypted.pdf")


if __name__ == "__main__":
    main()
