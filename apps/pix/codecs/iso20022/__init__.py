"""ISO 20022 codec for Pix's SPI: pacs.008 (credit transfer), pacs.002 (status), pacs.004 (return).

Pure Python over lxml, free of Django: the `SpiClient` adapter and the SPI simulator both use it.

The wire shape follows BACEN's "Catálogo de Mensagens e de Arquivos do SPI" (catalogue 5.13):

    <?xml version="1.0" encoding="UTF-8"?>
    <Envelope xmlns="https://www.bcb.gov.br/pi/pacs.008/1.16">
      <AppHdr>                       business application header (head.001 shape)
        <Fr><FIId><FinInstnId><Othr><Id>ISPB of the sender</Id></Othr></FinInstnId></FIId></Fr>
        <To>...ISPB of the receiver (a PSP always sends to the SPI, 00038166)...</To>
        <BizMsgIdr>M + ISPB + 23 alphanumerics</BizMsgIdr>      equal to GrpHdr/MsgId
        <MsgDefIdr>pacs.008.spi.1.16</MsgDefIdr>
        <CreDt>2020-01-01T08:30:12.000Z</CreDt>
        <Sgntr/>                     XMLDSig signature; empty here, as in BACEN's examples
      </AppHdr>
      <Document><FIToFICstmrCdtTrf>...</FIToFICstmrCdtTrf></Document>
    </Envelope>

One default namespace per message type and SPI version covers the whole envelope: the SPI
does not use the `urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08` namespaces of plain ISO
20022 (those name the base messages the catalogue restricts; see ISO_BASE_MESSAGES).

Amounts are centavos (int) in Python and "150.00" in XML; timestamps are aware UTC datetimes
in Python, held to the millisecond the wire carries, and "2020-01-01T08:30:12.000Z" in XML.

Parsing checks the structure like the catalogue's XSDs do (known elements only, in order,
with their cardinality; attributes; one namespace), then every value (patterns, enumerations,
lengths), and raises Iso20022Error(field, message), where field is the XML path under
Envelope ("Document/FIToFICstmrCdtTrf/CdtTrfTxInf/IntrBkSttlmAmt"). Constructing a message
dataclass validates it too; then field is the attribute ("debtor.tax_id"). A DOCTYPE is
refused outright, so no entity (external or internal) is ever loaded or expanded.

Not modelled (parsing refuses them as unknown elements): more than one transaction per
message, Pix Saque/Troco's structured remittance (RmtInf/Strd), and the XMLDSig signature
(emitted empty, its content ignored when parsing: signing belongs to the production client).
"""

# The codec's public names: the message values (messages.py) and the XML side (xml.py).
from apps.pix.codecs.iso20022.messages import (
    ISO_BASE_MESSAGES,
    MAX_MESSAGE_BYTES,
    RETURN_REASONS,
    SPI_ISPB,
    SPI_VERSIONS,
    STATUS_REASONS,
    AccountType,
    CreditTransfer,
    Iso20022Error,
    LocalInstrument,
    Party,
    PaymentReturn,
    PaymentStatus,
    Priority,
    Purpose,
    ReturnReason,
    ServiceLevel,
    TxStatus,
    msg_def_idr,
    namespace,
)
from apps.pix.codecs.iso20022.xml import (
    build_pacs002,
    build_pacs004,
    build_pacs008,
    parse_message,
    parse_pacs002,
    parse_pacs004,
    parse_pacs008,
)

__all__ = [
    "ISO_BASE_MESSAGES",
    "MAX_MESSAGE_BYTES",
    "RETURN_REASONS",
    "SPI_ISPB",
    "SPI_VERSIONS",
    "STATUS_REASONS",
    "AccountType",
    "CreditTransfer",
    "Iso20022Error",
    "LocalInstrument",
    "Party",
    "PaymentReturn",
    "PaymentStatus",
    "Priority",
    "Purpose",
    "ReturnReason",
    "ServiceLevel",
    "TxStatus",
    "build_pacs002",
    "build_pacs004",
    "build_pacs008",
    "msg_def_idr",
    "namespace",
    "parse_message",
    "parse_pacs002",
    "parse_pacs004",
    "parse_pacs008",
]
