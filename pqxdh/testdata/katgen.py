#!/usr/bin/env python3
"""Independent generator for the PQXDH known-answer vectors.

Written from Signal's "The PQXDH Key Agreement Protocol" (revision 3) and the
choices package pqxdh's documentation states (info string, AD, the CBOR layouts
of its records) -- not from its Go code -- so the Go tests compare against a
second implementation. It uses pyca/cryptography (X25519, Ed25519, HKDF-SHA-256,
ML-KEM-768 key generation from seeds and decapsulation) and hashlib. pyca has no
derandomised ML-KEM encapsulation, so the one written out in
chatcrypto/testdata/katgen.py (loaded by path, with its CBOR head encoder and
identity's signature form) is used, after that script's own checks against Go's
crypto/hpke vectors and pyca's decapsulation.

Writes pqxdh/testdata/kat.json. Run from the repository root:
    python3 pqxdh/testdata/katgen.py
"""
import hashlib
import importlib.util
import json
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")

_spec = importlib.util.spec_from_file_location("chatcrypto_katgen", os.path.join(ROOT, "chatcrypto", "testdata", "katgen.py"))
cc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cc)

KDF_INFO = b"Hush_PQXDH_X25519_SHA-256_ML-KEM-768"
TRANSCRIPT_LABEL = b"hush/v1/pqxdh/transcript"
PREKEY_LABEL = b"pqxdh-prekey"
SAFETY_LABEL = b"hush/v1/device-pair-number"
KIND_SIGNED, KIND_PQ_LAST_RESORT, KIND_PQ_ONE_TIME = 1, 2, 3
CREATED = 1_700_000_000

# identity's safety-number emoji, index = six bits. This copy pins the order.
SAFETY_EMOJI = [
    "🐶", "🐱", "🦁", "🐴", "🦄", "🐷", "🐘", "🐰",
    "🐼", "🐓", "🐧", "🐢", "🐟", "🐙", "🦋", "🌷",
    "🌳", "🌵", "🍄", "🌏", "🌙", "☁️", "🔥", "🍌",
    "🍎", "🍓", "🌽", "🍕", "🎂", "❤️", "😀", "🤖",
    "🎩", "👓", "🔧", "🎅", "👍", "☂️", "⌛", "⏰",
    "🎁", "💡", "📕", "✏️", "📎", "✂️", "🔒", "🔑",
    "🔨", "☎️", "🏁", "🚂", "🚲", "✈️", "🚀", "🏆",
    "⚽", "🎸", "🎺", "🔔", "⚓", "🎧", "📁", "📌",
]
assert len(SAFETY_EMOJI) == 64


def cbor(v):
    """Deterministic CBOR of ints, byte strings, arrays and None (null)."""
    if v is None:
        return b"\xf6"
    if isinstance(v, int):
        return cc.cbor_head(0, v) if v >= 0 else cc.cbor_head(1, -1 - v)
    if isinstance(v, bytes):
        return cc.cbor_head(2, len(v)) + v
    if isinstance(v, list):
        return cc.cbor_head(4, len(v)) + b"".join(cbor(x) for x in v)
    raise TypeError(v)


assert cbor([1, None, b"\x00", -2]).hex() == "84 01 f6 41 00 21".replace(" ", "")


def x_pub(priv_bytes):
    return cc.raw_x25519_pub(X25519PrivateKey.from_private_bytes(priv_bytes))


def dh(priv_bytes, pub_bytes):
    return X25519PrivateKey.from_private_bytes(priv_bytes).exchange(X25519PublicKey.from_public_bytes(pub_bytes))


class Device:
    """A device key: Ed25519 seed s, X25519 private key x; public = Ed25519 || X25519."""

    def __init__(self, s, x):
        self.sign_seed, self.x = bytes([s]) * 32, bytes([x]) * 32
        self.public = cc.ed_pub(self.sign_seed) + x_pub(self.x)


def kdf(km):
    """The specification's KDF: HKDF-SHA-256(F || KM), salt 32 zero bytes, info."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=bytes(32), info=KDF_INFO).derive(b"\xff" * 32 + km)


def signed_prekey(dev, kind, pid, created, key):
    body = cbor([1, kind, pid, created, key])
    return [body, cc.sign(dev.sign_seed, PREKEY_LABEL, body)]


def transcript_ad(ik_a, ik_b, ek_a, spk_id, spk, pq_id, pqpk, ct, opk):
    h = hashlib.sha256(TRANSCRIPT_LABEL + b"\x00" + ik_a + ik_b + ek_a + spk_id + spk + pq_id + pqpk + ct)
    h.update(b"\x00" if opk is None else b"\x01" + opk[0] + opk[1])
    return ik_a + ik_b + h.digest()


def safety_number(a, b):
    """identity.ComputeDevicePairNumber over two 64-byte device keys, as identity documents it."""
    x, y = sorted([a, b])
    s = hashlib.sha256(SAFETY_LABEL + x + y).digest()
    more = hashlib.sha256(s).digest()
    last = hashlib.sha256(more).digest()
    allb = s + more + last
    groups = ["%05d" % (int.from_bytes(allb[i * 5:i * 5 + 5], "big") % 100000) for i in range(12)]
    return " ".join(groups), [SAFETY_EMOJI[allb[64 + i] & 63] for i in range(8)]


def main():
    cc.check_go_vectors()
    cc.check_mlkem_against_pyca()

    alice, bob = Device(0x0A, 0x0B), Device(0x14, 0x15)
    spk_priv, spk_id = bytes([0x21]) * 32, bytes([0x31]) * 16
    pq_seed, pq_id = bytes([0x22]) * 64, bytes([0x32]) * 16
    lr_seed, lr_id = bytes([0x23]) * 64, bytes([0x33]) * 16
    opk_priv, opk_id = bytes([0x24]) * 32, bytes([0x34]) * 16
    ek_priv, m = bytes([0x25]) * 32, bytes([0x26]) * 32

    spk = x_pub(spk_priv)
    opk = x_pub(opk_priv)
    pq_dk, lr_dk = MLKEM768PrivateKey.from_seed_bytes(pq_seed), MLKEM768PrivateKey.from_seed_bytes(lr_seed)
    pqpk, lrpk = pq_dk.public_key().public_bytes_raw(), lr_dk.public_key().public_bytes_raw()
    ek = x_pub(ek_priv)

    spk_rec = signed_prekey(bob, KIND_SIGNED, spk_id, CREATED, spk)
    pq_rec = signed_prekey(bob, KIND_PQ_ONE_TIME, pq_id, CREATED, pqpk)
    lr_rec = signed_prekey(bob, KIND_PQ_LAST_RESORT, lr_id, CREATED, lrpk)

    # The KDF alone, on fixed inputs: three DH values and SS, then four and SS.
    kdf_vectors = []
    for n in (4, 5):
        km = b"".join(bytes([0x40 + i]) * 32 for i in range(n))
        kdf_vectors.append({"km": km.hex(), "sk": kdf(km).hex()})

    handshakes = {}
    for name, (pq, with_opk) in {"one_time": ((pq_id, pqpk, pq_dk), True), "last_resort": ((lr_id, lrpk, lr_dk), False)}.items():
        pid, ppk, pdk = pq
        bundle = cbor([1, bob.public, spk_rec, pq_rec if pid == pq_id else lr_rec, [opk_id, opk] if with_opk else None])
        # Alice.
        km = dh(alice.x, spk) + dh(ek_priv, bob.public[32:]) + dh(ek_priv, spk)
        if with_opk:
            km += dh(ek_priv, opk)
        ss, ct = cc.mlkem768_encaps(ppk, m)
        sk = kdf(km + ss)
        msg = cbor([1, alice.public, ek, spk_id, pid, opk_id if with_opk else bytes(16), ct])
        ad = transcript_ad(alice.public, bob.public, ek, spk_id, spk, pid, ppk, ct, (opk_id, opk) if with_opk else None)
        # Bob, from his private keys.
        km_b = dh(spk_priv, alice.public[32:]) + dh(bob.x, ek) + dh(spk_priv, ek)
        if with_opk:
            km_b += dh(opk_priv, ek)
        assert kdf(km_b + pdk.decapsulate(ct)) == sk
        handshakes[name] = {"bundle": bundle.hex(), "message": msg.hex(), "shared_secret": ss.hex(),
                            "sk": sk.hex(), "ad": ad.hex()}

    # Bob's store: one signed prekey, one last-resort, one one-time of each kind, no used ids.
    store = cbor([1, hashlib.sha256(b"hush/v1/device-id" + bob.public[:32]).digest()[:16],
                  [[spk_id, CREATED, spk_priv]], [[lr_id, CREATED, lr_seed]], [[pq_id, CREATED, pq_seed]],
                  [[opk_id, CREATED, opk_priv]], []])

    digits, emoji = safety_number(alice.public, bob.public)
    out = {
        "note": "pqxdh/testdata/katgen.py; Alice device seeds 0a/0b, Bob 14/15; SPK 21 (id 31), "
                "PQ one-time seed 22 (id 32), last resort 23 (id 33), OPK 24 (id 34), EK_A 25, ML-KEM m 26; "
                "prekeys created at 1700000000",
        "created": CREATED,
        "alice_public": alice.public.hex(),
        "bob_public": bob.public.hex(),
        "kdf": kdf_vectors,
        "handshakes": handshakes,
        "store": store.hex(),
        "safety_digits": digits,
        "safety_emoji": emoji,
    }
    path = os.path.join(HERE, "kat.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("wrote", os.path.relpath(path, ROOT))


if __name__ == "__main__":
    main()
