"""The 1EdTech Open Badges 3.0 linked-data proof test vector, reproduced.

Source: the Open Badges 3.0 Implementation Guide, "Linked Data Proof Test Vector
for Open Badges 3.0" (1EdTech openbadges-specification repository,
ob_v3p0/impl/linked-data-proof-ob.md). The vector was made with the W3C
credentials v1 context, the Open Badges context 3.0.0 (published at
.../ob/v3p0/context/ob_v3p0.jsonld) and data-integrity v1; every value below is
copied from the guide, none computed here. Matching them shows kaptrain
canonicalises, hashes and signs exactly as the reference implementation does,
so its credentials verify in other wallets and verifiers.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kaptrain.learning.credentials import proofs

PUBLIC_HEX = "4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5"
# The guide prints the 64-byte libsodium form: the 32-byte seed, then the public key.
PRIVATE_HEX = (
    "6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4" + PUBLIC_HEX
)
PUBLIC_MULTIBASE = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
VERIFICATION_METHOD = "https://example.edu/issuers/565049#" + PUBLIC_MULTIBASE
DOCUMENT_HASH = "d994aebd5e53f4af4495dbe9e1155410bae683811107c26acf83671075c163b3"
PROOF_HASH = "3cf3c265b6c8ebb29b4d5ea310b87d2f31c79b633eff8af561d2e8c97a85c8cb"
SIGNATURE = (
    "17a898a91832fa58bd66433e18dc8256522bcf84382994c395c23c26cba71ff8"
    "060a2587390e5ed20c4decec45c0c0c9eec1f7d2d1ce91e1ffc992983a74a300"
)
PROOF_VALUE = (
    "zUSD5bjo6mYV1n9i9E6ZwUiHuj4JyZDjCDfDqoJcPi9XJrc9LYstik9mdBvutdwBdquWXjWrwJ"
    "DVGJrAarvRs8uD"
)
PROOF_CANONICAL = """\
_:c14n0 <http://purl.org/dc/terms/created> "2010-01-01T19:23:24Z"^^<http://www.w3.org/2001/XMLSchema#dateTime> .
_:c14n0 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/security#DataIntegrityProof> .
_:c14n0 <https://w3id.org/security#cryptosuite> "eddsa-rdfc-2022" .
_:c14n0 <https://w3id.org/security#proofPurpose> <https://w3id.org/security#assertionMethod> .
_:c14n0 <https://w3id.org/security#verificationMethod> <https://example.edu/issuers/565049#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi> .
"""  # noqa: E501

CREDENTIAL = {
    "@context": [
        "https://www.w3.org/2018/credentials/v1",
        "https://purl.imsglobal.org/spec/ob/v3p0/context/ob_v3p0.jsonld",
        "https://w3id.org/security/data-integrity/v1",
    ],
    "id": "http://example.com/credentials/3527",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {
        "id": "https://example.edu/issuers/565049",
        "type": ["Profile"],
        "url": "https://www.imsglobal.org",
        "name": "Example Corp",
    },
    "issuanceDate": "2010-01-01T00:00:00Z",
    "name": "Teamwork Badge",
    "credentialSubject": {
        "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
        "type": ["AchievementSubject"],
        "achievement": {
            "id": "https://example.com/achievements/21st-century-skills/teamwork",
            "type": ["Achievement"],
            "criteria": {
                "narrative": "Team members are nominated for this badge by their "
                "peers and recognized upon review by Example Corp management."
            },
            "description": "This badge recognizes the development of the capacity "
            "to collaborate within a group environment.",
            "name": "Teamwork",
        },
    },
}
PROOF_CONFIG = {
    "type": "DataIntegrityProof",
    "created": "2010-01-01T19:23:24Z",
    "verificationMethod": VERIFICATION_METHOD,
    "cryptosuite": "eddsa-rdfc-2022",
    "proofPurpose": "assertionMethod",
}


def _private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(PRIVATE_HEX)[:32])


def test_the_key_pair_and_multikey_match_the_guide() -> None:
    public = _private_key().public_key()
    assert public.public_bytes_raw().hex() == PUBLIC_HEX
    assert proofs.public_key_multibase(public) == PUBLIC_MULTIBASE
    assert proofs.public_key_from_multibase(PUBLIC_MULTIBASE).public_bytes_raw() == (
        bytes.fromhex(PUBLIC_HEX)
    )


def test_canonical_forms_and_hashes_match_the_guide() -> None:
    data = proofs.hash_data(CREDENTIAL, PROOF_CONFIG)
    assert data.proof_canonical == PROOF_CANONICAL
    assert data.document_canonical.count("\n") == 16
    assert data.proof_hash.hex() == PROOF_HASH
    assert data.document_hash.hex() == DOCUMENT_HASH


def test_signature_and_proof_value_match_the_guide() -> None:
    signed = proofs.sign(
        CREDENTIAL, _private_key(), VERIFICATION_METHOD, "2010-01-01T19:23:24Z"
    )
    proof_value = signed["proof"]["proofValue"]
    assert proofs.multibase_decode(proof_value).hex() == SIGNATURE
    assert proof_value == PROOF_VALUE
    assert signed["proof"] == {**PROOF_CONFIG, "proofValue": PROOF_VALUE}


def test_the_guides_signed_credential_verifies() -> None:
    signed = {**CREDENTIAL, "proof": {**PROOF_CONFIG, "proofValue": PROOF_VALUE}}
    public = proofs.public_key_from_multibase(PUBLIC_MULTIBASE)
    assert proofs.signature_matches(signed, public)
    signed["name"] = "Teamwork Badgf"
    assert not proofs.signature_matches(signed, public)
