#!/usr/bin/env python3
"""Independent generator for the Double Ratchet known-answer vectors.

Written from Signal's "The Double Ratchet Algorithm" (revision 4) and the choices
package ratchet's documentation states (labels, KDFs, the AEAD, the header and
state encodings) -- not from its Go code -- so the Go tests compare against a
second implementation. It uses pyca/cryptography (X25519, HKDF, HMAC,
ChaCha20-Poly1305) and a hand-written HChaCha20 for XChaCha20, checked against
the draft-irtf-cfrg-xchacha-03 vector before use.

Writes ratchet/testdata/kat.json. Run from the repository root:
    python3 ratchet/testdata/katgen.py
"""
import json
import os
import struct

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

HERE = os.path.dirname(os.path.abspath(__file__))

ROOT_LABEL = b"hush/v1/ratchet/root"
MESSAGE_LABEL = b"hush/v1/ratchet/message"
MAX_SKIP = 1000


# ------------------------------------------------------------- XChaCha20
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


# draft-irtf-cfrg-xchacha-03, section 2.2.1
assert hchacha20(bytes(range(32)), bytes.fromhex("000000090000004a0000000031415927")).hex() == \
    "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc"


def xchacha(key, nonce24):
    return ChaCha20Poly1305(hchacha20(key, nonce24[:16])), b"\0\0\0\0" + nonce24[16:]


# -------------------------------------------------------------------- CBOR
def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | extra]) + n.to_bytes(size, "big")
    raise ValueError(n)


def cbor(v):
    """Deterministic CBOR of unsigned ints, byte strings and arrays."""
    if isinstance(v, int):
        assert v >= 0
        return head(0, v)
    if isinstance(v, bytes):
        return head(2, len(v)) + v
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(cbor(x) for x in v)
    raise TypeError(v)


assert cbor([1, b"\x00", 500, [24]]).hex() == "840141001901f4811818"


# ------------------------------------------------------------ the functions
def pub(priv_bytes):
    return X25519PrivateKey.from_private_bytes(priv_bytes).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def dh(priv_bytes, pub_bytes):
    out = X25519PrivateKey.from_private_bytes(priv_bytes).exchange(X25519PublicKey.from_public_bytes(pub_bytes))
    assert out != bytes(32)
    return out


def kdf_rk(rk, dh_out):
    out = HKDF(algorithm=hashes.SHA256(), length=64, salt=rk, info=ROOT_LABEL).derive(dh_out)
    return out[:32], out[32:]


def _hmac(key, data):
    h = hmac.HMAC(key, hashes.SHA256())
    h.update(data)
    return h.finalize()


def kdf_ck(ck):
    return _hmac(ck, b"\x02"), _hmac(ck, b"\x01")  # (next chain key, message key)


def message_key_material(mk):
    out = HKDF(algorithm=hashes.SHA256(), length=56, salt=None, info=MESSAGE_LABEL).derive(mk)
    return out[:32], out[32:]


def concat(ad, header):
    return len(ad).to_bytes(8, "big") + ad + header


def encrypt(mk, plaintext, ad, header):
    key, nonce = message_key_material(mk)
    aead, n = xchacha(key, nonce)
    return aead.encrypt(n, plaintext, concat(ad, header))


def decrypt(mk, ciphertext, ad, header):
    key, nonce = message_key_material(mk)
    aead, n = xchacha(key, nonce)
    return aead.decrypt(n, ciphertext, concat(ad, header))


def encode_header(dh_pub, pn, n):
    return cbor([1, dh_pub, pn, n])


def decode_header(msg):
    """The header is a 4-array of 1, a 32-byte string, and two uints: parse just that."""
    assert msg[0] == 0x84 and msg[1] == 0x01 and msg[2:4] == b"\x58\x20"
    dh_pub = msg[4:36]
    i = 36
    vals = []
    for _ in range(2):
        b = msg[i]
        assert b >> 5 == 0
        ai = b & 31
        if ai < 24:
            vals.append(ai); i += 1
        else:
            size = {24: 1, 25: 2, 26: 4}[ai]
            vals.append(int.from_bytes(msg[i + 1:i + 1 + size], "big")); i += 1 + size
    return (dh_pub, vals[0], vals[1]), msg[:i], msg[i:]


# --------------------------------------------------------------- the state
class Party:
    """The spec's state variables and functions, with fixed randomness."""

    def __init__(self, keys):
        self.keys = list(keys)  # GENERATE_DH draws these, in order
        self.DHs = self.DHr = self.CKs = self.CKr = None
        self.RK = None
        self.Ns = self.Nr = self.PN = 0
        self.skipped = []  # [(dh, n, mk)], oldest first
        self.previous = []

    def generate_dh(self):
        return self.keys.pop(0)

    @classmethod
    def alice(cls, sk, bob_pub, keys):
        p = cls(keys)
        p.DHs = p.generate_dh()
        p.DHr = bob_pub
        p.RK, p.CKs = kdf_rk(sk, dh(p.DHs, p.DHr))
        return p

    @classmethod
    def bob(cls, sk, bob_priv, keys):
        p = cls(keys)
        p.DHs = bob_priv
        p.RK = sk
        return p

    def encrypt(self, plaintext, ad):
        self.CKs, mk = kdf_ck(self.CKs)
        header = encode_header(pub(self.DHs), self.PN, self.Ns)
        self.Ns += 1
        return header + encrypt(mk, plaintext, ad, header)

    def decrypt(self, msg, ad):
        (dh_pub, pn, n), header, ct = decode_header(msg)
        for i, (d, m, mk) in enumerate(self.skipped):
            if d == dh_pub and m == n:
                del self.skipped[i]
                return decrypt(mk, ct, ad, header)
        if dh_pub != self.DHr:
            self.skip(min(pn, self.Nr + MAX_SKIP))
            if self.DHr is not None:
                self.previous.append(self.DHr)
            self.dh_ratchet(dh_pub)
        self.skip(n)
        self.CKr, mk = kdf_ck(self.CKr)
        self.Nr += 1
        return decrypt(mk, ct, ad, header)

    def skip(self, until):
        assert self.Nr + MAX_SKIP >= until
        if self.CKr is not None:
            while self.Nr < until:
                self.CKr, mk = kdf_ck(self.CKr)
                self.skipped.append((self.DHr, self.Nr, mk))
                self.Nr += 1

    def dh_ratchet(self, dh_pub):
        self.PN, self.Ns, self.Nr = self.Ns, 0, 0
        self.DHr = dh_pub
        self.RK, self.CKr = kdf_rk(self.RK, dh(self.DHs, self.DHr))
        self.DHs = self.generate_dh()
        self.RK, self.CKs = kdf_rk(self.RK, dh(self.DHs, self.DHr))

    def encode(self):
        """CBOR [1, RK, DHs, DHr, CKs, CKr, Ns, Nr, PN, [[DH, N, MK]...], [DH...]]."""
        opt = lambda b: b if b is not None else b""
        return cbor([1, self.RK, self.DHs, opt(self.DHr), opt(self.CKs), opt(self.CKr),
                     self.Ns, self.Nr, self.PN,
                     [[d, m, mk] for d, m, mk in self.skipped], list(self.previous)])


def seq(start, n):
    return bytes((start + i) & 0xFF for i in range(n))


def main():
    # The functions one by one.
    rk, dh_out = seq(0x00, 32), seq(0x20, 32)
    new_rk, ck = kdf_rk(rk, dh_out)
    chain = seq(0x40, 32)
    next_ck, mk = kdf_ck(chain)
    msg_mk = seq(0x60, 32)
    msg_ad = b"associated data of the handshake"
    msg_header = encode_header(seq(0x80, 32), 3, 500)
    msg_pt = b"a Double Ratchet message"
    enc_key, enc_nonce = message_key_material(msg_mk)
    msg_ct = encrypt(msg_mk, msg_pt, msg_ad, msg_header)
    assert decrypt(msg_mk, msg_ct, msg_ad, msg_header) == msg_pt

    # A conversation. Private keys: Bob's prekey 0xb0..., then the keys each
    # side's GENERATE_DH returns, in order.
    sk = seq(0xc0, 32)
    ad = b"PQXDH AD: Alice's identity key || Bob's identity key"
    bob_prekey = bytes([0xb0]) * 32
    alice_keys = [bytes([0xa1]) * 32, bytes([0xa2]) * 32]
    bob_keys = [bytes([0xb1]) * 32, bytes([0xb2]) * 32]
    alice = Party.alice(sk, pub(bob_prekey), alice_keys)
    bob = Party.bob(sk, bob_prekey, bob_keys)
    states = {"alice_init": alice.encode(), "bob_init": bob.encode()}

    steps = []

    def send(frm, to, name, text):
        m = frm.encrypt(text, ad)
        steps.append({"from": name, "plaintext": text.decode(), "message": m.hex()})
        return m

    def recv(p, m, text):
        assert p.decrypt(m, ad) == text

    a0 = send(alice, bob, "alice", b"hello Bob")
    a1 = send(alice, bob, "alice", b"second, read first")
    recv(bob, a1, b"second, read first")  # Bob's DH ratchet step; a0's key is stored
    states["bob_after_a1"] = bob.encode()
    assert len(bob.skipped) == 1
    recv(bob, a0, b"hello Bob")  # from the stored key
    b0 = send(bob, alice, "bob", b"hi Alice")
    recv(alice, b0, b"hi Alice")  # Alice's DH ratchet step
    a2 = send(alice, bob, "alice", b"third, in a new chain")
    recv(bob, a2, b"third, in a new chain")  # Bob's second DH ratchet step
    states["alice_final"] = alice.encode()
    states["bob_final"] = bob.encode()
    assert alice.keys == [] and bob.keys == []

    out = {
        "note": "written by ratchet/testdata/katgen.py (Python, pyca/cryptography and a "
                "hand-written HChaCha20), not by Go",
        "kdf_rk": {"rk": rk.hex(), "dh_out": dh_out.hex(), "new_rk": new_rk.hex(), "ck": ck.hex()},
        "kdf_ck": {"ck": chain.hex(), "mk": mk.hex(), "next_ck": next_ck.hex()},
        "encrypt": {
            "mk": msg_mk.hex(), "key": enc_key.hex(), "nonce": enc_nonce.hex(),
            "ad": msg_ad.hex(), "header": msg_header.hex(), "plaintext": msg_pt.hex(),
            "ciphertext": msg_ct.hex(),
        },
        "conversation": {
            "sk": sk.hex(),
            "ad": ad.hex(),
            "bob_prekey": bob_prekey.hex(),
            "bob_prekey_public": pub(bob_prekey).hex(),
            "alice_random": b"".join(alice_keys).hex(),
            "bob_random": b"".join(bob_keys).hex(),
            "steps": steps,
            "states": {k: v.hex() for k, v in states.items()},
        },
    }
    path = os.path.join(HERE, "kat.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
