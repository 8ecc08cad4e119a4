#!/usr/bin/env python3
"""Independent generator for package seedbox's known-answer vector.

Written from the package documentation (seedbox/seedbox.go), not its code: the AEAD
layer of a box, given a handshake's SK and associated data (the handshake itself
has its own vectors in pqxdh/testdata). pyca/cryptography for HKDF and
ChaCha20-Poly1305; CBOR by hand (definite lengths, shortest heads).

Run from the repository root:  python3 seedbox/testdata/katgen.py
"""
import json
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

HERE = os.path.dirname(os.path.abspath(__file__))


def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    if n < 256:
        return bytes([major << 5 | 24, n])
    return bytes([major << 5 | 25]) + n.to_bytes(2, "big")


def main():
    sk = bytes(range(32))
    handshake_ad = bytes([0xAD]) * 160
    account = bytes([0xA1]) * 16
    seeds = [bytes([0x51]) * 64, bytes([0x52]) * 64]
    pt = head(4, len(seeds)) + b"".join(head(2, len(s)) + s for s in seeds)
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"hush/v1/seedbox/key").derive(sk)
    ad = b"hush/v1/seedbox" + b"\x00" + account + handshake_ad
    ct = ChaCha20Poly1305(key).encrypt(bytes(12), pt, ad)
    out = {
        "note": "seedbox/testdata/katgen.py",
        "shared_key": sk.hex(),
        "handshake_ad": handshake_ad.hex(),
        "account": account.hex(),
        "seeds": [s.hex() for s in seeds],
        "ciphertext": ct.hex(),
    }
    with open(os.path.join(HERE, "kat.json"), "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
