#!/usr/bin/env python3
"""Independent generator for the signed device list's known-answer vector.

Written from docs/SECURITY.md ("Device lists") and identity/devicelist.go's doc
comment of IssueDeviceList (the layout), not from its code: deterministic CBOR and
Ed25519 come from chatcrypto/testdata/katgen.py (pyca/cryptography), which is
loaded as a module; text strings are added here.

Writes identity/testdata/devicelist_kat.json.
Run from the repository root:  python3 identity/testdata/devicelist_katgen.py
"""
import hashlib
import importlib.util
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")

spec = importlib.util.spec_from_file_location("katgen", os.path.join(ROOT, "chatcrypto", "testdata", "katgen.py"))
kg = importlib.util.module_from_spec(spec)
spec.loader.exec_module(kg)


def cbor(v):
    """katgen's deterministic CBOR, plus text strings (major type 3)."""
    if isinstance(v, str):
        b = v.encode("utf-8")
        return kg.cbor_head(3, len(b)) + b
    if isinstance(v, list):
        return kg.cbor_head(4, len(v)) + b"".join(cbor(x) for x in v)
    return kg.cbor(v)


def device_pub(sign_seed, x_seed):
    return kg.ed_pub(sign_seed) + kg.raw_x25519_pub(kg.X25519PrivateKey.from_private_bytes(x_seed))


def device_id(pub):
    return hashlib.sha256(b"hush/v1/device-id" + pub[:32]).digest()[:16]


def main():
    acct = kg.Account(0x01)
    laptop = device_pub(bytes([0x21]) * 32, bytes([0x22]) * 32)
    phone = device_pub(bytes([0x23]) * 32, bytes([0x24]) * 32)
    old = device_pub(bytes([0x25]) * 32, bytes([0x26]) * 32)
    devices = [
        [laptop, "Laptop", "linux", 1700000000],
        [phone, "Büro PC", "windows", 1700000600],
    ]
    body = cbor([1, acct.ed + acct.x, 3, 1700001000, devices, [device_id(old)]])
    record = cbor([body, kg.sign(acct.sign_seed, b"device-list", body)])
    # Format 2: the same list naming the account's ML-KEM-768 key (seed 03*64).
    body_kem = cbor([2, acct.ed + acct.x, 3, 1700001000, devices, [device_id(old)], acct.ek])
    record_kem = cbor([body_kem, kg.sign(acct.sign_seed, b"device-list", body_kem)])
    out = {
        "note": "identity/testdata/devicelist_katgen.py; account seeds: signing 01*32, X25519 02*32; "
        "devices (signing, X25519 seeds): laptop 21/22, phone 23/24, revoked 25/26",
        "version": 3,
        "issued_at": 1700001000,
        "devices": [
            {"signing_seed": "21" * 32, "x25519_seed": "22" * 32, "name": "Laptop", "platform": "linux", "linked_at": 1700000000},
            {"signing_seed": "23" * 32, "x25519_seed": "24" * 32, "name": "Büro PC", "platform": "windows", "linked_at": 1700000600},
        ],
        "revoked_signing_seed": "25" * 32,
        "revoked_x25519_seed": "26" * 32,
        "revoked_id": device_id(old).hex(),
        "record": record.hex(),
        "kem_seed": "03" * 64,
        "record_kem": record_kem.hex(),
    }
    path = os.path.join(HERE, "devicelist_kat.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print("wrote", os.path.relpath(path, ROOT))


if __name__ == "__main__":
    main()
