#!/usr/bin/env python3
"""Independent generator for the device-linking known-answer vectors.

Written from the protocol as package devicelink's documentation and
docs/SECURITY.md ("Linking a device") state it -- not from its Go code -- so the
Go tests compare against a second implementation. It uses pyca/cryptography
(ML-KEM-768 keys and decapsulation, X25519, Ed25519, HKDF, ChaCha20-Poly1305),
hashlib, base64, and from chatcrypto/testdata/katgen.py (loaded by path) the
CBOR head encoder, ML-KEM-768 encapsulation and the MLKEM768-X25519 HPKE pieces,
which that script checks against Go's own crypto/hpke vectors before use (it is
done again here).

Writes devicelink/testdata/kat.json. Run from the repository root:
    python3 devicelink/testdata/katgen.py
"""
import base64
import hashlib
import importlib.util
import json
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")

_spec = importlib.util.spec_from_file_location("chatcrypto_katgen", os.path.join(ROOT, "chatcrypto", "testdata", "katgen.py"))
cc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cc)

# ------------------------------------------------------------------ labels
KEY_HASH_LABEL = b"hush/v1/link/key"
COMMIT_LABEL = b"hush/v1/link/commit"
TRANSCRIPT_LABEL = b"hush/v1/link/transcript"
SAS_LABEL = b"hush/v1/link/sas"
BUNDLE_LABEL = b"hush/v1/link/bundle"

# The SAS emoji, index = six bits. Part of the protocol: this copy pins the order.
EMOJI = [
    ("🐶", "Dog"), ("🐱", "Cat"), ("🦁", "Lion"), ("🐴", "Horse"),
    ("🦄", "Unicorn"), ("🐷", "Pig"), ("🐘", "Elephant"), ("🐰", "Rabbit"),
    ("🐼", "Panda"), ("🐓", "Rooster"), ("🐧", "Penguin"), ("🐢", "Turtle"),
    ("🐟", "Fish"), ("🐙", "Octopus"), ("🦋", "Butterfly"), ("🌷", "Flower"),
    ("🌳", "Tree"), ("🌵", "Cactus"), ("🍄", "Mushroom"), ("🌍", "Globe"),
    ("🌙", "Moon"), ("🌈", "Rainbow"), ("🔥", "Fire"), ("🍌", "Banana"),
    ("🍎", "Apple"), ("🍓", "Strawberry"), ("🌽", "Corn"), ("🍕", "Pizza"),
    ("🎂", "Cake"), ("🧀", "Cheese"), ("🤖", "Robot"), ("🎩", "Hat"),
    ("👓", "Glasses"), ("🔧", "Wrench"), ("⌛", "Hourglass"), ("⏰", "Alarm clock"),
    ("🎁", "Gift"), ("💡", "Light bulb"), ("📕", "Book"), ("🔦", "Flashlight"),
    ("📎", "Paperclip"), ("🎈", "Balloon"), ("🔒", "Lock"), ("🔑", "Key"),
    ("🔨", "Hammer"), ("📞", "Telephone"), ("🚂", "Train"), ("🚲", "Bicycle"),
    ("🚁", "Helicopter"), ("🚀", "Rocket"), ("🏆", "Trophy"), ("⚽", "Ball"),
    ("🎸", "Guitar"), ("🎺", "Trumpet"), ("🔔", "Bell"), ("⚓", "Anchor"),
    ("🎧", "Headphones"), ("📁", "Folder"), ("📌", "Pin"), ("🐝", "Bee"),
    ("🐌", "Snail"), ("🦀", "Crab"), ("🐸", "Frog"), ("☔", "Umbrella"),
]
assert len(EMOJI) == 64 and len({c for c, _ in EMOJI}) == 64 and len({n for _, n in EMOJI}) == 64


# -------------------------------------------------------------------- CBOR
def cbor(v):
    """Deterministic CBOR of unsigned ints, byte strings, text strings and arrays."""
    if isinstance(v, int):
        assert v >= 0
        return cc.cbor_head(0, v)
    if isinstance(v, bytes):
        return cc.cbor_head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode("utf-8")
        return cc.cbor_head(3, len(b)) + b
    if isinstance(v, list):
        return cc.cbor_head(4, len(v)) + b"".join(cbor(x) for x in v)
    raise TypeError(v)


assert cbor([1, "é", b"\x00"]).hex() == "830162c3a94100"


# ---------------------------------------------------------------- protocol
def key_hash(pub):
    return hashlib.sha256(KEY_HASH_LABEL + b"\x00" + pub).digest()


def code_text(session, kh, expires, relay):
    raw = cbor([1, session, kh, expires, relay])
    return "HUSH:" + base64.b32encode(raw).decode("ascii").rstrip("="), raw


def commit_hash(session, account, ns):
    return hashlib.sha256(COMMIT_LABEL + b"\x00" + session + account + ns).digest()


def transcript_hash(session, kh, account, device, ns, nn):
    return hashlib.sha256(TRANSCRIPT_LABEL + b"\x00" + session + kh + account + device + ns + nn).digest()


def sas(transcript):
    s = HKDF(algorithm=hashes.SHA256(), length=8, salt=None, info=SAS_LABEL).derive(transcript)
    bits = int.from_bytes(s[:4], "big")
    emoji = [(bits >> (26 - 6 * i)) & 63 for i in range(5)]
    n = int.from_bytes(s[4:8], "big") % 1_000_000
    return s, emoji, "%03d %03d" % (n // 1000, n % 1000)


def seal(pub, info, pt, t_rand, pq_rand):
    """HPKE base mode, MLKEM768-X25519 / HKDF-SHA256 / ChaCha20Poly1305, empty AAD: enc || ct."""
    ss, enc = cc.xwing_encap(pub[:1184], pub[1184:], pq_rand, t_rand)
    k, nonce = cc.key_schedule(ss, info)
    return enc + ChaCha20Poly1305(k).encrypt(nonce, pt, b"")


def open_(dk, xk, info, sealed):
    ss = cc.xwing_decap(dk, xk, sealed[:1120])
    k, nonce = cc.key_schedule(ss, info)
    return ChaCha20Poly1305(k).decrypt(nonce, sealed[1120:], b"")


def device_pub(sign_seed, x_seed):
    return cc.ed_pub(sign_seed) + cc.raw_x25519_pub(X25519PrivateKey.from_private_bytes(x_seed))


def main():
    cc.check_go_vectors()
    cc.check_mlkem_against_pyca()

    # The newcomer's link key: ML-KEM-768 seed 05*64, X25519 06*32.
    kem_seed, x_seed = bytes([5]) * 64, bytes([6]) * 32
    dk = MLKEM768PrivateKey.from_seed_bytes(kem_seed)
    xk = X25519PrivateKey.from_private_bytes(x_seed)
    pub = dk.public_key().public_bytes_raw() + cc.raw_x25519_pub(xk)
    assert len(pub) == 1216
    kh = key_hash(pub)

    session = bytes(range(0x10, 0x20))
    expires = 1_700_000_300
    relay = "wss://relay.example.org/hush"
    text, code_cbor = code_text(session, kh, expires, relay)

    account = cc.Account(1)  # seeds: signing 01*32, X25519 02*32, ML-KEM 03*64
    account_pub = account.ed + account.x
    dev_sign, dev_x = bytes([20]) * 32, bytes([21]) * 32
    device = device_pub(dev_sign, dev_x)
    ns, nn = bytes(range(0x40, 0x60)), bytes(range(0x60, 0x80))

    commit = commit_hash(session, account_pub, ns)
    transcript = transcript_hash(session, kh, account_pub, device, ns, nn)
    sas_bytes, emoji, digits = sas(transcript)

    issued = 1_700_000_000
    cert = cc.certificate(account, dev_sign, dev_x, issued)
    device_list = b"device list: opaque to devicelink"
    handle, display_name = "alice", "Zoë Example"
    plain = cbor([1, account.sign_seed, account.x_seed, account.kem_seed, cert, device_list, handle, display_name])
    info = BUNDLE_LABEL + b"\x00" + transcript
    # The first 64 bytes of testing/cryptotest.SetGlobalRandom(t, 1)'s stream, in
    # the order crypto/hpke draws them: the X25519 ephemeral key, then ML-KEM's m
    # (chatcrypto/testdata/katgen.py uses the same), so Go can make the same bytes.
    t_rand = bytes.fromhex("6ae6783f4fbde91b6eb88b73a48ed247dbe5882e2579683432c1bfc525454add")
    pq_rand = bytes.fromhex("0cd87274d67084caaf0e0d36c8496db7fef55fe0e125750aa608d5e20ffc2d12")
    sealed = seal(pub, info, plain, t_rand, pq_rand)
    assert open_(dk, xk, info, sealed) == plain
    assert len(sealed) == 1088 + 32 + len(plain) + 16

    messages = {
        "commit": cbor([1, [commit]]),
        "reply": cbor([2, [nn, device]]),
        "reveal": cbor([3, [account_pub, ns]]),
        "sealed_bundle": cbor([4, [sealed]]),
        "decline_sas_mismatch": cbor([5, [2]]),
    }

    out = {
        "note": "written by devicelink/testdata/katgen.py (Python, pyca/cryptography; "
                "HPKE pieces from chatcrypto/testdata/katgen.py), not by Go. Link key seeds: "
                "ML-KEM-768 05*64, X25519 06*32; account seeds 01*32, 02*32, 03*64; "
                "device seeds 20*32, 21*32; certificate issued at 1700000000",
        "link_kem_seed": kem_seed.hex(),
        "link_x25519": x_seed.hex(),
        "link_public_key": pub.hex(),
        "key_hash": kh.hex(),
        "session": session.hex(),
        "expires": expires,
        "relay": relay,
        "code_cbor": code_cbor.hex(),
        "code_text": text,
        "account_signing_seed": account.sign_seed.hex(),
        "account_encryption_key": account.x_seed.hex(),
        "account_kem_seed": account.kem_seed.hex(),
        "account_public_key": account_pub.hex(),
        "device_signing_seed": dev_sign.hex(),
        "device_encryption_key": dev_x.hex(),
        "device_public_key": device.hex(),
        "sponsor_nonce": ns.hex(),
        "newcomer_nonce": nn.hex(),
        "commit_hash": commit.hex(),
        "transcript": transcript.hex(),
        "sas": sas_bytes.hex(),
        "sas_emoji_indexes": emoji,
        "sas_emoji": [EMOJI[i][0] for i in emoji],
        "sas_emoji_names": [EMOJI[i][1] for i in emoji],
        "sas_digits": digits,
        "emoji_table": [{"char": c, "name": n} for c, n in EMOJI],
        "certificate": cert.hex(),
        "device_list": device_list.hex(),
        "handle": handle,
        "display_name": display_name,
        "bundle_plaintext": plain.hex(),
        "bundle_info": info.hex(),
        "global_random_seed": 1,
        "x25519_ephemeral": t_rand.hex(),
        "mlkem_m": pq_rand.hex(),
        "sealed_bundle": sealed.hex(),
        "messages": {k: v.hex() for k, v in messages.items()},
    }
    path = os.path.join(HERE, "kat.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print("wrote", os.path.relpath(path, ROOT))


if __name__ == "__main__":
    main()
