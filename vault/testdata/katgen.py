#!/usr/bin/env python3
"""Independent generator for the vault's known-answer vectors.

Written from the construction as docs/ARCHITECTURE.md ("Vault") states it,
using pyca/cryptography (Argon2id, HKDF, HMAC, ChaCha20-Poly1305) and a
hand-written HChaCha20 for XChaCha20 -- not from the Go code -- so the Go
tests compare against a second implementation, not against themselves.

Run from the repository root:  python3 vault/testdata/katgen.py
"""
import hashlib
import hmac
import json
import os
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

HERE = os.path.dirname(os.path.abspath(__file__))
INTERNAL = os.path.join(HERE, "..", "internal")


def rotl(v, c):
    return ((v << c) & 0xFFFFFFFF) | (v >> (32 - c))


def quarter(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = rotl(s[b] ^ s[c], 7)


def hchacha20(key, nonce16):
    s = list(struct.unpack("<4I", b"expand 32-byte k"))
    s += list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))
    for _ in range(10):
        quarter(s, 0, 4, 8, 12); quarter(s, 1, 5, 9, 13)
        quarter(s, 2, 6, 10, 14); quarter(s, 3, 7, 11, 15)
        quarter(s, 0, 5, 10, 15); quarter(s, 1, 6, 11, 12)
        quarter(s, 2, 7, 8, 13); quarter(s, 3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


# draft-irtf-cfrg-xchacha-03 section 2.2.1
assert hchacha20(bytes(range(32)), bytes.fromhex("000000090000004a0000000031415927")).hex() == \
    "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc"


def xchacha_seal(key, nonce24, pt, ad):
    sub = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(sub).encrypt(b"\0\0\0\0" + nonce24[16:], pt, ad)


def seq(start, n):
    return bytes((start + i) & 0xFF for i in range(n))


# ---- keywrap ----
def enc_params(mem, t, threads):
    return bytes([1]) + struct.pack(">II", mem, t) + bytes([threads])


def keywrap_vectors():
    out = []
    cases = [
        ("correct horse battery staple".encode(), 256, 3, 4),
        ("pässwörd 🔑 パスワード".encode(), 64, 1, 1),
        (b"", 1024, 2, 2),
    ]
    for i, (pw, mem, t, th) in enumerate(cases):
        salt, vid, master, nonce = seq(i, 16), seq(0x10 + i, 16), seq(0x20 + i, 32), seq(0x40 + i, 24)
        kek = Argon2id(salt=salt, length=32, iterations=t, lanes=th, memory_cost=mem).derive(pw)
        params = enc_params(mem, t, th)
        ad = b"hush/v1/vault/master-key" + b"\x00\x01" + params + salt + vid
        wrapped = b"\x01" + nonce + xchacha_seal(kek, nonce, master, ad)
        out.append({
            "passphrase": pw.hex(), "salt": salt.hex(), "vault_id": vid.hex(),
            "memory": mem, "time": t, "threads": th, "master": master.hex(),
            "nonce": nonce.hex(), "params": params.hex(), "kek": kek.hex(),
            "ad": ad.hex(), "wrapped": wrapped.hex(),
        })
    return out


# ---- subkey ----
LABELS = {
    "field": "hush/v1/vault/subkey/field",
    "lookup": "hush/v1/vault/subkey/lookup",
    "blind-index": "hush/v1/vault/subkey/blind-index",
    "attachment": "hush/v1/vault/subkey/attachment",
    "graph-index": "hush/v1/vault/subkey/graph-index",
}


def subkey_vectors():
    master, vid = seq(0x20, 32), seq(0x10, 16)
    keys = {}
    for name, label in LABELS.items():
        keys[name] = HKDF(algorithm=hashes.SHA256(), length=32, salt=vid, info=label.encode()).derive(master).hex()
    lk = bytes.fromhex(keys["lookup"])
    tags = []
    for domain, name in [("settings", "theme"), ("cursors", "chat:00112233"), ("settings", "")]:
        tags.append({"domain": domain, "name": name,
                     "tag": hmac.new(lk, domain.encode() + b"\x00" + name.encode(), hashlib.sha256).hexdigest()})
    # Graph index: HMAC-SHA256(graph-index key, domain || 0x00 || parts)[:16].
    gk = bytes.fromhex(keys["graph-index"])
    graph = []
    same = seq(0x60, 16)
    for domain, parts in [("account", [same]), ("chat", [same]), ("contact", [same]),
                          ("device", [seq(0x70, 16)]), ("device-owner", [same]),
                          ("member", [seq(0x80, 16), same]), ("session-peer", [seq(0x70, 16)])]:
        graph.append({"domain": domain, "parts": [x.hex() for x in parts],
                      "tag": hmac.new(gk, domain.encode() + b"\x00" + b"".join(parts), hashlib.sha256).digest()[:16].hex()})
    return {"master": master.hex(), "vault_id": vid.hex(), "keys": keys, "lookup_tags": tags, "graph_tags": graph}


# ---- field ----
def field_vectors():
    out = []
    cases = [
        ("messages", "data", seq(0x80, 16), 1, b"\xa1\x01\x65hello"),
        ("settings", "data", seq(0x90, 32), 1, b""),
        ("epoch_keys", "data", seq(0xa0, 24), 7, seq(0, 300)),
    ]
    for i, (table, column, row, version, pt) in enumerate(cases):
        key, nonce = seq(0x30 + i, 32), seq(0x50 + i, 24)
        ad = b"hush/v1/vault/field\x00" + struct.pack(">H", len(table)) + table.encode() + \
            struct.pack(">H", len(column)) + column.encode() + struct.pack(">H", len(row)) + row + bytes([version])
        blob = bytes([version]) + nonce + xchacha_seal(key, nonce, pt, ad)
        out.append({"key": key.hex(), "nonce": nonce.hex(), "table": table, "column": column,
                    "row": row.hex(), "version": version, "plaintext": pt.hex(), "ad": ad.hex(), "blob": blob.hex()})
    return out


def write(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


write(os.path.join(INTERNAL, "keywrap", "testdata", "kat.json"), keywrap_vectors())
write(os.path.join(INTERNAL, "subkey", "testdata", "kat.json"), subkey_vectors())
write(os.path.join(INTERNAL, "field", "testdata", "kat.json"), field_vectors())
