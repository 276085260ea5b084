"""The boleto as a PDF, in the FEBRABAN layout (reportlab, one A4 page).

Top, the "Recibo do Pagador" (the payer keeps it; a hybrid boleto's Pix QR code is printed
there, captioned "Pague com Pix"); below the cut line, the "Ficha de Compensação" the
paying bank reads: bank code with its check digit, the linha digitável, the boxes of the
standard and the ITF barcode.

The text is in Portuguese whatever the reader's language: a boleto is a FEBRABAN document
every bank and payer in Brazil reads the same way. The payer is shown by name and masked
CPF/CNPJ only (`mask_tax_id`), the beneficiary likewise: a boleto travels by e-mail and
WhatsApp, and nothing on it needs the full document.

The barcode is ITF (interleaved 2 of 5) of the 44 digits, no check character, no bearer
bars: narrow element 0.254 mm and wide = 3 x narrow, so 44 digits plus start and stop take
(138 narrow + 89 wide) x 0.254 mm = 102.9 mm, the ~103 mm x 13 mm that FEBRABAN's layout
fixes and bank scanners expect.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable

from django.conf import settings

from apps.boleto.codecs.codes import format_linha
from apps.boleto.codecs.free_field import CARTEIRA
from apps.boleto.models import Boleto
from apps.core.documents import mask_tax_id, normalize_tax_id
from apps.core.due_amounts import hundredths
from apps.core.money import format_brl

# Layout constants, in millimetres (converted where drawn).
PAGE_MARGIN = 10.0
ROW = 8.5  # the height of a ficha box
RIGHT_COLUMN = 50.0  # Vencimento, Agência, Nosso número, values
LABEL_SIZE = 5.8
VALUE_SIZE = 8.5

BARCODE_NARROW_MM = 0.254
BARCODE_RATIO = 3.0
BARCODE_HEIGHT_MM = 13.0
QR_SIZE_MM = 38.0

ESPECIE_DOC = "OU"  # "outros": CNAB espécie 99, what our remittance sends (cnab240 Title)
ACEITE = "N"
LOCAL_DE_PAGAMENTO = "Pagável em qualquer banco"

_STATE_NOTICE = {
    Boleto.State.PAID: "BOLETO PAGO - não pague novamente",
    Boleto.State.CANCELLED: "BOLETO CANCELADO - não pague",
    Boleto.State.EXPIRED: "BOLETO VENCIDO E BAIXADO - não pague",
    Boleto.State.WRITTEN_OFF: "BOLETO BAIXADO - não pague",
}


def bank_code_dv(bank_code: str) -> str:
    """The check digit banks print after their COMPE code ("341-7", "001-9", "104-0"):
    mod 11 with weights 2..9 from the right, 10 and 11 printed as 0."""
    total = sum(int(d) * (2 + i % 8) for i, d in enumerate(reversed(bank_code)))
    dv = 11 - total % 11
    return "0" if dv >= 10 else str(dv)


def _date(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def _percent(value_perc: str) -> str:
    h = hundredths(value_perc)
    return f"{h // 100},{h % 100:02d}%"


def _money(value_perc: str) -> str:
    return format_brl(hundredths(value_perc))


_INTEREST_PERIOD = {
    2: "ao dia (dias corridos)",
    3: "ao mês (dias corridos)",
    4: "ao ano (dias corridos)",
    6: "ao dia (dias úteis)",
    7: "ao mês (dias úteis)",
    8: "ao ano (dias úteis)",
}


def instructions(boleto: Boleto, *, last_payable: dt.date | None = None) -> list[str]:
    """The "Instruções" lines: the boleto's terms (API Pix cobv shape) in plain Portuguese."""
    terms = boleto.value_terms or {}
    lines: list[str] = []
    fine = terms.get("multa")
    if fine:
        what = _percent(fine["valorPerc"]) if int(fine["modalidade"]) == 2 else None
        what = what or _money(fine["valorPerc"])
        lines.append(f"Após o vencimento, multa de {what}.")
    interest = terms.get("juros")
    if interest:
        modality = int(interest["modalidade"])
        if modality in (1, 5):
            days = "corrido" if modality == 1 else "útil"
            lines.append(
                f"Após o vencimento, juros de mora de {_money(interest['valorPerc'])} "
                f"por dia {days} de atraso."
            )
        else:
            lines.append(
                f"Após o vencimento, juros de mora de {_percent(interest['valorPerc'])} "
                f"{_INTEREST_PERIOD.get(modality, '')}.".replace(" .", ".")
            )
    rebate = terms.get("abatimento")
    if rebate:
        what = _percent(rebate["valorPerc"]) if int(rebate["modalidade"]) == 2 else None
        lines.append(f"Conceder abatimento de {what or _money(rebate['valorPerc'])}.")
    discount = terms.get("desconto")
    if discount:
        modality = int(discount["modalidade"])
        for tier in discount.get("descontoDataFixa") or ():
            day = dt.date.fromisoformat(tier["data"])
            what = _percent(tier["valorPerc"]) if modality == 2 else _money(tier["valorPerc"])
            lines.append(f"Até {_date(day)}, conceder desconto de {what}.")
        if not discount.get("descontoDataFixa") and discount.get("valorPerc"):
            lines.append("Desconto por antecipação conforme acordado com o beneficiário.")
    if last_payable is not None:
        lines.append(f"Não receber após {_date(last_payable)}.")
    if boleto.pix_charge_id:
        lines.append("Este boleto também pode ser pago com Pix, pelo QR Code do recibo.")
    if boleto.description:
        lines.append(boleto.description)
    return lines


def _party(name: str, tax_id: str | None) -> str:
    """A name and its masked document, named CPF or CNPJ as the digits say."""
    digits = normalize_tax_id(tax_id or "")
    kind = "CPF" if len(digits) == 11 else "CNPJ"
    return f"{name} - {kind} {mask_tax_id(digits)}" if digits else name


def _payer_lines(boleto: Boleto) -> list[str]:
    first = _party(boleto.payer_name, boleto.payer_tax_id)
    address = boleto.payer_address or {}
    street = str(address.get("street", "")).strip()
    district = str(address.get("district", "")).strip()
    zip_code = str(address.get("zip", "")).strip()
    city = str(address.get("city", "")).strip()
    state = str(address.get("state", "")).strip()
    lines = [first]
    first_address = " - ".join(p for p in (street, district) if p)
    if first_address:
        lines.append(first_address)
    place = " - ".join(p for p in (f"{zip_code[:5]}-{zip_code[5:]}" if zip_code else "", city) if p)
    if state:
        place = f"{place}/{state}" if place else state
    if place:
        lines.append(place)
    return lines


def _pix_brcode(boleto: Boleto) -> str | None:
    if not boleto.pix_charge_id:
        return None
    from apps.pix.charges import services as pix_charges

    return pix_charges.charge_brcode_of(charge_id=boleto.pix_charge_id)


def _qr_image(brcode: str):
    """The QR code as an image reportlab can place (qrcode + Pillow, error correction M as
    the portal draws Pix codes)."""
    import qrcode
    import qrcode.constants
    from reportlab.lib.utils import ImageReader

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    qr.add_data(brcode.strip())
    qr.make(fit=True)
    out = io.BytesIO()
    qr.make_image().save(out, format="PNG")
    out.seek(0)
    return ImageReader(out)


class _Sheet:
    """A canvas in millimetres with the few drawing moves a boleto needs."""

    def __init__(self, canvas) -> None:
        from reportlab.lib.units import mm

        self.c = canvas
        self.mm = mm

    def fit(self, text: str, font: str, size: float, width: float) -> str:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        limit = width * self.mm
        if stringWidth(text, font, size) <= limit:
            return text
        while text and stringWidth(text + "…", font, size) > limit:
            text = text[:-1]
        return text + "…"

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float = VALUE_SIZE,
        bold: bool = False,
        right: bool = False,
        width: float | None = None,
    ) -> None:
        font = "Helvetica-Bold" if bold else "Helvetica"
        if width is not None:
            text = self.fit(text, font, size, width)
        self.c.setFont(font, size)
        if right:
            self.c.drawRightString(x * self.mm, y * self.mm, text)
        else:
            self.c.drawString(x * self.mm, y * self.mm, text)

    def line(self, x1: float, y1: float, x2: float, y2: float, *, width: float = 0.5) -> None:
        self.c.setLineWidth(width)
        self.c.line(x1 * self.mm, y1 * self.mm, x2 * self.mm, y2 * self.mm)

    def box(
        self,
        x: float,
        top: float,
        w: float,
        h: float,
        label: str,
        value: str | Iterable[str] = "",
        *,
        right: bool = False,
        bold: bool = False,
        shade: bool = False,
    ) -> None:
        """A labelled box: the label small at the top left, the value below it."""
        c = self.c
        if shade:
            c.setFillGray(0.9)
            c.rect(x * self.mm, (top - h) * self.mm, w * self.mm, h * self.mm, stroke=0, fill=1)
            c.setFillGray(0)
        c.setLineWidth(0.5)
        c.rect(x * self.mm, (top - h) * self.mm, w * self.mm, h * self.mm, stroke=1, fill=0)
        self.text(x + 1, top - 2.4, label, size=LABEL_SIZE, width=w - 2)
        values = [value] if isinstance(value, str) else list(value)
        y = top - 6.2
        for item in values:
            if right:
                self.text(x + w - 1.5, y, item, bold=bold, right=True, width=w - 3)
            else:
                self.text(x + 1.5, y, item, bold=bold, width=w - 3)
            y -= 3.4


def _bank_header(sheet: _Sheet, x: float, top: float, width: float, right_text: str) -> None:
    """Logo area, "332-8" between vertical bars, then `right_text` (the linha, or the
    recibo's title) aligned right: the header row both parts of a boleto share."""
    code = f"{settings.ATHENA_BANK_CODE}-{bank_code_dv(settings.ATHENA_BANK_CODE)}"
    sheet.text(x + 1, top - 6.5, "Athena Pay", size=13, bold=True)
    sheet.line(x + 45, top, x + 45, top - 8, width=1.2)
    sheet.text(x + 47.5, top - 6.5, code, size=14, bold=True)
    sheet.line(x + 67, top, x + 67, top - 8, width=1.2)
    sheet.text(x + width, top - 6.2, right_text, size=10.5, bold=True, right=True, width=width - 69)
    sheet.line(x, top - 8, x + width, top - 8, width=1.2)


def _recibo(sheet: _Sheet, boleto: Boleto, *, x: float, top: float, width: float, qr) -> float:
    """The payer's receipt; returns the y of its bottom."""
    customer = boleto.issuer.customer
    _bank_header(sheet, x, top, width, "Recibo do Pagador")
    y = top - 8
    left = width - QR_SIZE_MM - 4 if qr is not None else width
    quarter = left / 4
    sheet.box(x, y, left, ROW, "Beneficiário", _party(customer.full_name, customer.tax_id))
    y -= ROW
    cells = (
        ("Agência/Código do beneficiário", f"{settings.ATHENA_BRANCH}/{boleto.issuer.agreement}"),
        ("Nosso número", boleto.nosso_numero),
        ("Vencimento", _date(boleto.due_date)),
        ("Valor do documento", format_brl(boleto.amount)),
    )
    for index, (label, value) in enumerate(cells):
        sheet.box(x + index * quarter, y, quarter, ROW, label, value, right=True, bold=index >= 2)
    y -= ROW
    sheet.box(x, y, left, ROW, "Pagador", _payer_lines(boleto)[0])
    y -= ROW
    cells = (
        ("Nº do documento", boleto.seu_numero),
        ("Data do documento", _date(boleto.issue_date)),
        ("(-) Desconto/Abatimento", ""),
        ("(=) Valor cobrado", ""),
    )
    for index, (label, value) in enumerate(cells):
        sheet.box(x + index * quarter, y, quarter, ROW, label, value)
    y -= ROW
    sheet.text(x + left, y - 3, "Autenticação mecânica", size=LABEL_SIZE, right=True)
    if qr is not None:
        qr_x = x + width - QR_SIZE_MM
        qr_top = top - 9
        sheet.c.drawImage(
            qr,
            qr_x * sheet.mm,
            (qr_top - QR_SIZE_MM) * sheet.mm,
            QR_SIZE_MM * sheet.mm,
            QR_SIZE_MM * sheet.mm,
        )
        sheet.c.setFont("Helvetica-Bold", 9)
        sheet.c.drawCentredString(
            (x + width - QR_SIZE_MM / 2) * sheet.mm,
            (qr_top - QR_SIZE_MM - 3.5) * sheet.mm,
            "Pague com Pix",
        )
        return min(y - 5, qr_top - QR_SIZE_MM - 6)
    return y - 5


def _cut_line(sheet: _Sheet, x: float, y: float, width: float) -> None:
    c = sheet.c
    c.setDash(3, 2)
    sheet.line(x, y, x + width, y, width=0.6)
    c.setDash()
    sheet.text(x + width, y + 1.2, "Corte na linha pontilhada", size=LABEL_SIZE, right=True)


def _ficha(sheet: _Sheet, boleto: Boleto, *, x: float, top: float, width: float) -> float:
    """The Ficha de Compensação; returns the y under the barcode."""
    from apps.boleto.issuing.services import last_payable_date

    customer = boleto.issuer.customer
    _bank_header(sheet, x, top, width, format_linha(boleto.linha))
    left = width - RIGHT_COLUMN
    rx = x + left
    y = top - 8
    sheet.box(x, y, left, ROW, "Local de pagamento", LOCAL_DE_PAGAMENTO)
    sheet.box(
        rx,
        y,
        RIGHT_COLUMN,
        ROW,
        "Vencimento",
        _date(boleto.due_date),
        right=True,
        bold=True,
        shade=True,
    )
    y -= ROW
    sheet.box(
        x,
        y,
        left,
        ROW,
        "Beneficiário",
        _party(customer.full_name, customer.tax_id),
    )
    sheet.box(
        rx,
        y,
        RIGHT_COLUMN,
        ROW,
        "Agência/Código do beneficiário",
        f"{settings.ATHENA_BRANCH}/{boleto.issuer.agreement}",
        right=True,
    )
    y -= ROW
    widths = (26.0, 30.0, 20.0, 14.0)
    cells = (
        ("Data do documento", _date(boleto.issue_date)),
        ("Nº do documento", boleto.seu_numero),
        ("Espécie doc.", ESPECIE_DOC),
        ("Aceite", ACEITE),
    )
    cx = x
    for w, (label, value) in zip(widths, cells, strict=True):
        sheet.box(cx, y, w, ROW, label, value)
        cx += w
    sheet.box(cx, y, x + left - cx, ROW, "Data do processamento", _date(boleto.issue_date))
    sheet.box(rx, y, RIGHT_COLUMN, ROW, "Nosso número", boleto.nosso_numero, right=True)
    y -= ROW
    widths = (26.0, 20.0, 16.0, 34.0)
    cells = (
        ("Uso do banco", ""),
        ("Carteira", CARTEIRA),
        ("Espécie", "R$"),
        ("Quantidade", ""),
    )
    cx = x
    for w, (label, value) in zip(widths, cells, strict=True):
        sheet.box(cx, y, w, ROW, label, value)
        cx += w
    sheet.box(cx, y, x + left - cx, ROW, "Valor", "")
    sheet.box(
        rx,
        y,
        RIGHT_COLUMN,
        ROW,
        "(=) Valor do documento",
        format_brl(boleto.amount),
        right=True,
        bold=True,
        shade=True,
    )
    y -= ROW
    value_rows = (
        "(-) Desconto/Abatimento",
        "(-) Outras deduções",
        "(+) Mora/Multa",
        "(+) Outros acréscimos",
        "(=) Valor cobrado",
    )
    instructions_height = ROW * len(value_rows)
    sheet.c.setLineWidth(0.5)
    sheet.c.rect(
        x * sheet.mm,
        (y - instructions_height) * sheet.mm,
        left * sheet.mm,
        instructions_height * sheet.mm,
    )
    sheet.text(
        x + 1,
        y - 2.4,
        "Instruções (texto de responsabilidade do beneficiário)",
        size=LABEL_SIZE,
    )
    from reportlab.lib.utils import simpleSplit

    ly = y - 6.0
    for item in instructions(boleto, last_payable=last_payable_date(boleto)):
        for piece in simpleSplit(item, "Helvetica", 7.5, (left - 3) * sheet.mm):
            if ly < y - instructions_height + 2:
                break
            sheet.text(x + 1.5, ly, piece, size=7.5)
            ly -= 3.3
    for label in value_rows:
        sheet.box(rx, y, RIGHT_COLUMN, ROW, label, "")
        y -= ROW
    payer_height = 15.0
    sheet.c.rect(
        x * sheet.mm, (y - payer_height) * sheet.mm, width * sheet.mm, payer_height * sheet.mm
    )
    sheet.text(x + 1, y - 2.4, "Pagador", size=LABEL_SIZE)
    py = y - 5.8
    for item in _payer_lines(boleto):
        sheet.text(x + 1.5, py, item, size=8, width=width - 3)
        py -= 3.3
    y -= payer_height
    sheet.text(
        x + width,
        y - 3,
        "Autenticação mecânica - Ficha de Compensação",
        size=LABEL_SIZE,
        right=True,
    )
    return _barcode(sheet, boleto.barcode, x=x, top=y - 5)


def barcode_symbol(barcode: str):
    """The ITF symbol of a 44-digit barcode (reportlab's I2of5), sized as the module's doc
    says; the page margin is its quiet zone (over 10 narrow elements)."""
    from reportlab.graphics.barcode.common import I2of5
    from reportlab.lib.units import mm

    return I2of5(
        barcode,
        barWidth=BARCODE_NARROW_MM * mm,
        ratio=BARCODE_RATIO,
        barHeight=BARCODE_HEIGHT_MM * mm,
        checksum=0,
        bearers=0,
        quiet=0,
    )


def _barcode(sheet: _Sheet, barcode: str, *, x: float, top: float) -> float:
    barcode_symbol(barcode).drawOn(sheet.c, x * sheet.mm, (top - BARCODE_HEIGHT_MM) * sheet.mm)
    return top - BARCODE_HEIGHT_MM


def boleto_pdf(boleto: Boleto) -> bytes:
    """The boleto as one A4 PDF page (see the module's doc)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    brcode = _pix_brcode(boleto)
    qr = _qr_image(brcode) if brcode else None
    out = io.BytesIO()
    # invariant: no creation date or random id in the file, so one boleto is one PDF.
    canvas = Canvas(out, pagesize=A4, invariant=1)
    canvas.setTitle(f"Boleto {boleto.nosso_numero}")
    canvas.setAuthor(settings.ATHENA_LEGAL_NAME)
    canvas.setSubject(format_linha(boleto.linha))
    sheet = _Sheet(canvas)
    page_height = A4[1] / sheet.mm
    width = A4[0] / sheet.mm - 2 * PAGE_MARGIN
    x = PAGE_MARGIN
    top = page_height - PAGE_MARGIN
    notice = _STATE_NOTICE.get(boleto.state)
    if notice:
        sheet.text(x, top - 3, notice, size=11, bold=True)
        top -= 7
    bottom = _recibo(sheet, boleto, x=x, top=top, width=width, qr=qr)
    cut = bottom - 4
    _cut_line(sheet, x, cut, width)
    _ficha(sheet, boleto, x=x, top=cut - 6, width=width)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
