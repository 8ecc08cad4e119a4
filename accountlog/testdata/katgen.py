#!/usr/bin/env python3
"""Independent generator for the account log's known-answer vectors.

Written from docs/SECURITY.md ("Account log") and the layout in package
accountlog's doc comments, not from its Go code: HKDF-SHA256 and
ChaCha20-Poly1305 from pyca/cryptography, HChaCha20 written out here (RFC draft
irtf-cfrg-xchacha), the account key from chatcrypto/testdata/katgen.py.

Writes accountlog/testdata/kat.json.
Run from the repository root:  python3 accountlog/testdata/katgen.py
"""
import importlib.util
import json
import os
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
spec = importlib.util.spec_from_file_location("katgen", os.path.join(ROOT, "chatcrypto", "testdata", "katgen.py"))
kg = importlib.util.module_from_spec(spec)
spec.loader.exec_module(kg)


def rotl(v, c):
    return ((v << c) & 0xFFFFFFFF) | (v >> (32 - c))


def quarter(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = rotl(s[b] ^ s[c], 7)


def hchacha20(key, nonce16):
    s = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    s += list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))
    for _ in range(10):
        quarter(s, 0, 4, 8, 12); quarter(s, 1, 5, 9, 13); quarter(s, 2, 6, 10, 14); quarter(s, 3, 7, 11, 15)
        quarter(s, 0, 5, 10, 15); quarter(s, 1, 6, 11, 12); quarter(s, 2, 7, 8, 13); quarter(s, 3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


def xchacha_seal(key, nonce24, pt, ad):
    sub = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(sub).encrypt(b"\x00" * 4 + nonce24[16:], pt, ad)


def cbor(v):
    if v is True:
        return b"\xf5"
    if v is False:
        return b"\xf4"
    if isinstance(v, list):
        return kg.cbor_head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, str):
        b = v.encode("utf-8")
        return kg.cbor_head(3, len(b)) + b
    return kg.cbor(v)


def main():
    acct = kg.Account(0x01)
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=acct.id, info=b"hush/v1/account-log/key").derive(acct.sign_seed)
    cases = []
    # Version 1: [kind, target, value, at, device]; version 2 adds the text.
    specs = [(1, 1, True, 1700000000123, None), (1, 4, False, 1700000999000, None),
             (2, 7, True, 1700001000456, "Draft: caf\u00e9 \U0001F600 at 10?"), (2, 8, False, 1700002000789, "Alice B.")]
    for i, (version, kind, value, at, text) in enumerate(specs):
        rec_id = bytes([0x40 + i]) * 16
        target = bytes([0x60 + i]) * 16 if kind != 8 else bytes(16)
        device = bytes([0x70 + i]) * 16
        nonce = bytes([0x50 + i]) * 24
        fields = [kind, target, value, at, device]
        if version == 2:
            fields.append(text)
        pt = cbor(fields)
        ad = b"hush/v1/account-log/record\x00" + bytes([version]) + rec_id
        sealed = bytes([version]) + nonce + xchacha_seal(key, nonce, pt, ad)
        cases.append({"version": version, "record_id": rec_id.hex(), "kind": kind, "target": target.hex(), "value": value,
                      "text": text or "", "at_ms": at, "device": device.hex(), "sealed": sealed.hex()})
    # Version 3: under the ML-KEM seed too, named by a key id.
    import hashlib
    kem_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=acct.id,
                   info=b"hush/v1/account-log/key/kem").derive(acct.sign_seed + acct.kem_seed)
    kid = hashlib.sha256(b"hush/v1/account-log/key-id" + acct.ek).digest()[:8]
    for i, (kind, value, at, text) in enumerate([(7, True, 1700003000111, "a draft under the ML-KEM key"),
                                                 (1, False, 1700003000222, "")]):
        rec_id = bytes([0x48 + i]) * 16
        target = bytes([0x68 + i]) * 16
        device = bytes([0x78 + i]) * 16
        nonce = bytes([0x58 + i]) * 24
        pt = cbor([kind, target, value, at, device, text])
        ad = b"hush/v1/account-log/record\x00" + bytes([3]) + kid + rec_id
        sealed = bytes([3]) + kid + nonce + xchacha_seal(kem_key, nonce, pt, ad)
        cases.append({"version": 3, "record_id": rec_id.hex(), "kind": kind, "target": target.hex(), "value": value,
                      "text": text, "at_ms": at, "device": device.hex(), "sealed": sealed.hex()})
    out = {"note": "accountlog/testdata/katgen.py; account seeds: signing 01*32, X25519 02*32, ML-KEM 03*64",
           "key": key.hex(), "kem_key": kem_key.hex(), "key_id": kid.hex(), "records": cases}
    with open(os.path.join(HERE, "kat.json"), "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    print("wrote accountlog/testdata/kat.json")


if __name__ == "__main__":
    main()
