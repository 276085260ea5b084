"""XML-DSig of DICT documents: requests that change the DICT are signed by the participant,
and every answer of the DICT is signed by the Central Bank and must be checked (API DICT,
"Assinatura digital"). Enveloped signature, the `Signature` element first in the document
as the reference examples place it, RSA-SHA256 over exclusive canonical XML with SHA-256
digests, and the signer's certificate in KeyInfo.

signxml does the XML-DSig work (canonicalisation, references, verification); nothing of it
is written by hand here. The keys come from PEM files (PIX_DICT_SIGNING_KEY and _CERT: our
ICP-Brasil certificate; PIX_DICT_VERIFY_CERT: the DICT's), read once per process.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lxml import etree
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConfiguration,
    SignatureMethod,
    XMLSigner,
    XMLVerifier,
)
from signxml.exceptions import InvalidInput, InvalidSignature

DSIG = "http://www.w3.org/2000/09/xmldsig#"
EXCLUSIVE_C14N = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class SignatureError(Exception):
    """A document whose signature is missing, malformed, or not by the expected signer."""


@lru_cache(maxsize=8)
def read_pem(path: str) -> bytes:
    return Path(path).read_bytes()


def sign_document(body: bytes, *, key_pem: bytes, cert_pem: bytes) -> bytes:
    """The document signed: its empty `Signature` slot replaced by the signature."""
    root = etree.fromstring(body, _PARSER)
    for slot in root.findall("Signature"):
        root.remove(slot)
    signed = XMLSigner(
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=EXCLUSIVE_C14N,
    ).sign(root, key=key_pem, cert=cert_pem.decode())
    signature = signed.find(f"{{{DSIG}}}Signature")
    signed.remove(signature)
    signed.insert(0, signature)  # enveloped: the digest leaves it out wherever it sits
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def verify_document(body: bytes, *, cert_pem: bytes) -> bytes:
    """What the expected signer signed (the document without its signature), or
    SignatureError. Only the signed content is handed back, so nothing unsigned that a
    document might carry beside it is ever read."""
    try:
        result = XMLVerifier().verify(
            body,
            x509_cert=cert_pem.decode(),
            parser=_PARSER,
            expect_config=SignatureConfiguration(
                signature_methods=frozenset({SignatureMethod.RSA_SHA256}),
                digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
            ),
        )
    except (InvalidSignature, InvalidInput, etree.XMLSyntaxError, ValueError) as exc:
        raise SignatureError(f"DICT document signature not valid: {exc}") from exc
    return etree.tostring(result.signed_xml, xml_declaration=True, encoding="UTF-8")
