"""Signed Open Badges 3.0 credentials for certificates (issue 16).

``contexts`` (the shipped JSON-LD contexts, no network), ``proofs`` (the
``eddsa-rdfc-2022`` Data Integrity proof), ``keys`` (the issuer's Ed25519 keys and
``did:web`` document), ``build`` (what a certificate's credential says),
``issuance`` (signing once, revocation, the status list), ``verification``
(valid, tampered, revoked, unknown key) and ``commands`` (the CLI). See
docs/credentials.md.
"""
