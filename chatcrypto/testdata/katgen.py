#!/usr/bin/env python3
"""Independent generator for the post-quantum known-answer vectors.

Written from docs/SECURITY.md ("Keys") and the hybrid KEM as Go's crypto/hpke
implements it (MLKEM768-X25519, "X-Wing", draft-ietf-hpke-pq) -- not from the
Go code of this repository -- so the Go tests compare against a second
implementation, not against themselves. It uses pyca/cryptography (ML-KEM-768
key generation and decapsulation, X25519, Ed25519, HKDF, ChaCha20-Poly1305)
and hashlib (SHA-256, SHA3, SHAKE). pyca has no derandomised ML-KEM
encapsulation, so ML-KEM-768 encapsulation (FIPS 203, ML-KEM.Encaps_internal)
is written out below; it is checked against Go's own hybrid HPKE vectors and
against pyca's decapsulation before any vector is written.

Writes:
  identity/testdata/account_keys_kat.json   the signed account-keys record
  chatcrypto/testdata/pq_kat.json           the version 2 envelope and key-log entry

Run from the repository root:  python3 chatcrypto/testdata/katgen.py
(GOROOT is taken from `go env GOROOT` for Go's vectors.)
"""
import hashlib
import json
import os
import struct
import subprocess

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey, MLKEM768PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")

# ---------------------------------------------------------------- ML-KEM-768
# FIPS 203. Only what encapsulation needs; keys come from pyca.
Q, N, K, ETA1, ETA2, DU, DV = 3329, 256, 3, 2, 2, 10, 4


def bitrev7(i):
    return int(format(i, "07b")[::-1], 2)


ZETAS = [pow(17, bitrev7(i), Q) for i in range(128)]
GAMMAS = [pow(17, 2 * bitrev7(i) + 1, Q) for i in range(128)]


def ntt(f):
    f = list(f)
    i, length = 1, 128
    while length >= 2:
        for start in range(0, N, 2 * length):
            z = ZETAS[i]
            i += 1
            for j in range(start, start + length):
                t = z * f[j + length] % Q
                f[j + length] = (f[j] - t) % Q
                f[j] = (f[j] + t) % Q
        length //= 2
    return f


def intt(f):
    f = list(f)
    i, length = 127, 2
    while length <= 128:
        for start in range(0, N, 2 * length):
            z = ZETAS[i]
            i -= 1
            for j in range(start, start + length):
                t = f[j]
                f[j] = (t + f[j + length]) % Q
                f[j + length] = z * (f[j + length] - t) % Q
        length *= 2
    return [x * 3303 % Q for x in f]


def mul_ntt(f, g):
    h = [0] * N
    for i in range(128):
        a0, a1, b0, b1 = f[2 * i], f[2 * i + 1], g[2 * i], g[2 * i + 1]
        h[2 * i] = (a0 * b0 + a1 * b1 * GAMMAS[i]) % Q
        h[2 * i + 1] = (a0 * b1 + a1 * b0) % Q
    return h


def add(f, g):
    return [(a + b) % Q for a, b in zip(f, g)]


def bits_of(b):
    return [(byte >> j) & 1 for byte in b for j in range(8)]


def byte_encode(f, d):
    bits = [(a >> j) & 1 for a in f for j in range(d)]
    return bytes(sum(bits[i + j] << j for j in range(8)) for i in range(0, len(bits), 8))


def byte_decode(b, d):
    bits = bits_of(b)
    f = [sum(bits[i * d + j] << j for j in range(d)) for i in range(N)]
    if d == 12:
        assert all(a < Q for a in f), "encapsulation key not reduced mod q"
    return f


def compress(x, d):
    return ((x << (d + 1)) + Q) // (2 * Q) % (1 << d)


def decompress(y, d):
    return (Q * y * 2 + (1 << d)) >> (d + 1)


def sample_ntt(seed):
    xof = hashlib.shake_128(seed).digest(3 * 512)  # far more than ever needed
    a, pos = [], 0
    while len(a) < N:
        c0, c1, c2 = xof[pos], xof[pos + 1], xof[pos + 2]
        pos += 3
        d1 = c0 + 256 * (c1 % 16)
        d2 = c1 // 16 + 16 * c2
        if d1 < Q:
            a.append(d1)
        if d2 < Q and len(a) < N:
            a.append(d2)
    return a


def cbd(b, eta):
    bits = bits_of(b)
    return [(sum(bits[2 * i * eta + j] for j in range(eta)) -
             sum(bits[2 * i * eta + eta + j] for j in range(eta))) % Q for i in range(N)]


def prf(eta, s, n):
    return hashlib.shake_256(s + bytes([n])).digest(64 * eta)


def mlkem768_encaps(ek, m):
    """ML-KEM.Encaps_internal(ek, m): (shared key, ciphertext)."""
    assert len(ek) == 384 * K + 32 and len(m) == 32
    g = hashlib.sha3_512(m + hashlib.sha3_256(ek).digest()).digest()
    key, r = g[:32], g[32:]
    t_hat = [byte_decode(ek[384 * i:384 * (i + 1)], 12) for i in range(K)]
    rho = ek[384 * K:]
    a_hat = [[sample_ntt(rho + bytes([j, i])) for j in range(K)] for i in range(K)]
    n = 0
    y = []
    for _ in range(K):
        y.append(cbd(prf(ETA1, r, n), ETA1))
        n += 1
    e1 = []
    for _ in range(K):
        e1.append(cbd(prf(ETA2, r, n), ETA2))
        n += 1
    e2 = cbd(prf(ETA2, r, n), ETA2)
    y_hat = [ntt(p) for p in y]
    u = []
    for i in range(K):
        acc = [0] * N
        for j in range(K):
            acc = add(acc, mul_ntt(a_hat[j][i], y_hat[j]))
        u.append(add(intt(acc), e1[i]))
    mu = [decompress(b, 1) for b in byte_decode(m, 1)]
    acc = [0] * N
    for j in range(K):
        acc = add(acc, mul_ntt(t_hat[j], y_hat[j]))
    v = add(add(intt(acc), e2), mu)
    c1 = b"".join(byte_encode([compress(x, DU) for x in p], DU) for p in u)
    c2 = byte_encode([compress(x, DV) for x in v], DV)
    return key, c1 + c2


# ------------------------------------------------- HPKE with MLKEM768-X25519
XWING_ID, HKDF_SHA256, CHACHA20POLY1305 = 0x647A, 0x0001, 0x0003
XWING_LABEL = b"\\.//^\\"
SUITE = b"HPKE" + struct.pack(">HHH", XWING_ID, HKDF_SHA256, CHACHA20POLY1305)


def hkdf_extract(salt, ikm):
    h = hmac.HMAC(salt or bytes(32), hashes.SHA256())
    h.update(ikm)
    return h.finalize()


def hkdf_expand(prk, info, length):
    out, t, i = b"", b"", 1
    while len(out) < length:
        h = hmac.HMAC(prk, hashes.SHA256())
        h.update(t + info + bytes([i]))
        t = h.finalize()
        out += t
        i += 1
    return out[:length]


def labeled_extract(salt, label, ikm):
    return hkdf_extract(salt, b"HPKE-v1" + SUITE + label + ikm)


def labeled_expand(prk, label, info, length):
    return hkdf_expand(prk, struct.pack(">H", length) + b"HPKE-v1" + SUITE + label + info, length)


def raw_x25519_pub(priv):
    return priv.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def xwing_combine(ss_pq, ss_t, ct_t, ek_t):
    return hashlib.sha3_256(ss_pq + ss_t + ct_t + ek_t + XWING_LABEL).digest()


def xwing_encap(ek_pq, ek_t, pq_rand, t_rand):
    ss_pq, ct_pq = mlkem768_encaps(ek_pq, pq_rand)
    eph = X25519PrivateKey.from_private_bytes(t_rand)
    ct_t = raw_x25519_pub(eph)
    ss_t = eph.exchange(X25519PublicKey.from_public_bytes(ek_t))
    return xwing_combine(ss_pq, ss_t, ct_t, ek_t), ct_pq + ct_t


def xwing_decap(dk_pq, sk_t, enc):
    ct_pq, ct_t = enc[:1088], enc[1088:]
    ss_pq = dk_pq.decapsulate(ct_pq)
    ss_t = sk_t.exchange(X25519PublicKey.from_public_bytes(ct_t))
    return xwing_combine(ss_pq, ss_t, ct_t, raw_x25519_pub(sk_t))


def key_schedule(shared_secret, info):
    """RFC 9180 base mode: (key, base nonce)."""
    ctx = b"\x00" + labeled_extract(b"", b"psk_id_hash", b"") + labeled_extract(b"", b"info_hash", info)
    secret = labeled_extract(shared_secret, b"secret", b"")
    return labeled_expand(secret, b"key", ctx, 32), labeled_expand(secret, b"base_nonce", ctx, 12)


def check_go_vectors():
    """Go's own MLKEM768-X25519 / HKDF-SHA256 / ChaCha20Poly1305 vector, every field."""
    goroot = subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True, check=True).stdout.strip()
    with open(os.path.join(goroot, "src", "crypto", "hpke", "testdata", "hpke-pq.json")) as f:
        vectors = json.load(f)
    checked = 0
    for v in vectors:
        if (v["mode"], v["kem_id"], v["kdf_id"], v["aead_id"]) != (0, XWING_ID, HKDF_SHA256, CHACHA20POLY1305):
            continue
        sk = bytes.fromhex(v["skRm"])
        expanded = hashlib.shake_256(sk).digest(96)
        dk_pq = MLKEM768PrivateKey.from_seed_bytes(expanded[:64])
        sk_t = X25519PrivateKey.from_private_bytes(expanded[64:96])
        ek_pq = dk_pq.public_key().public_bytes_raw()
        ek_t = raw_x25519_pub(sk_t)
        assert (ek_pq + ek_t).hex() == v["pkRm"], "public key"
        ikm_e = bytes.fromhex(v["ikmE"])
        ss, enc = xwing_encap(ek_pq, ek_t, ikm_e[:32], ikm_e[32:])
        assert enc.hex() == v["enc"], "enc"
        assert ss.hex() == v["shared_secret"], "shared secret"
        assert xwing_decap(dk_pq, sk_t, enc) == ss, "decap"
        key, nonce = key_schedule(ss, bytes.fromhex(v["info"]))
        assert key.hex() == v["key"] and nonce.hex() == v["base_nonce"], "key schedule"
        for seq, e in enumerate(v["encryptions"]):
            n = (int.from_bytes(nonce, "big") ^ seq).to_bytes(12, "big")
            assert n.hex() == e["nonce"]
            ct = ChaCha20Poly1305(key).encrypt(n, bytes.fromhex(e["pt"]), bytes.fromhex(e["aad"]))
            assert ct.hex() == e["ct"], "ciphertext %d" % seq
        checked += 1
    assert checked == 1, "expected Go's one MLKEM768-X25519/HKDF-SHA256/ChaCha20Poly1305 vector"


def check_mlkem_against_pyca():
    """My encapsulation decapsulates under pyca to the same key, for several keys and m."""
    for i in range(4):
        dk = MLKEM768PrivateKey.from_seed_bytes(bytes([i]) * 64)
        ek = dk.public_key().public_bytes_raw()
        ss, ct = mlkem768_encaps(ek, bytes([0x80 + i]) * 32)
        assert dk.decapsulate(ct) == ss
        # and pyca's own (random) encapsulation opens with pyca: keys agree
        ss2, ct2 = MLKEM768PublicKey.from_public_bytes(ek).encapsulate()
        assert dk.decapsulate(ct2) == ss2


# ------------------------------------------------------------------- CBOR
def cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | ai]) + n.to_bytes(size, "big")
    raise ValueError(n)


def cbor(v):
    """Deterministic CBOR (RFC 8949 4.2.1) of unsigned ints, byte strings and arrays."""
    if isinstance(v, int):
        return cbor_head(0, v) if v >= 0 else cbor_head(1, -1 - v)
    if isinstance(v, bytes):
        return cbor_head(2, len(v)) + v
    if isinstance(v, list):
        return cbor_head(4, len(v)) + b"".join(cbor(x) for x in v)
    raise TypeError(v)


assert cbor([1, b"", 500, -1]).hex() == "8401401901f420"


# --------------------------------------------------------------- identity
def sign(seed, label, msg):
    """identity's Sign(label, m): Ed25519 over "hush/v1/sig/" || label || 0 || m."""
    return Ed25519PrivateKey.from_private_bytes(seed).sign(b"hush/v1/sig/" + label + b"\x00" + msg)


def ed_pub(seed):
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


class Account:
    """The fixtures' accounts: signing seed b, X25519 key b+1, ML-KEM seed b+2 (64 bytes)."""

    def __init__(self, b):
        self.sign_seed, self.x_seed, self.kem_seed = bytes([b]) * 32, bytes([b + 1]) * 32, bytes([b + 2]) * 64
        self.ed = ed_pub(self.sign_seed)
        self.x_priv = X25519PrivateKey.from_private_bytes(self.x_seed)
        self.x = raw_x25519_pub(self.x_priv)
        self.dk = MLKEM768PrivateKey.from_seed_bytes(self.kem_seed)
        self.ek = self.dk.public_key().public_bytes_raw()
        self.id = hashlib.sha256(b"hush/v1/account-id" + self.ed).digest()[:16]


def account_keys_record(a, issued_at):
    body = cbor([1, a.ed, a.x, a.ek, issued_at])
    return cbor([body, sign(a.sign_seed, b"account-keys", body)])


def certificate(acct, dev_sign_seed, dev_x_seed, issued_at):
    dev = ed_pub(dev_sign_seed) + raw_x25519_pub(X25519PrivateKey.from_private_bytes(dev_x_seed))
    body = cbor([1, acct.ed + acct.x, dev, issued_at])
    return cbor([body, sign(acct.sign_seed, b"device-cert", body)])


# -------------------------------------------------------------- chatcrypto
WRAP_V2_LABEL = b"hush/v1/epoch-key-wrap/mlkem768x25519"
ENVELOPE_HASH_LABEL = b"hush/v1/key-log-envelope"


def wrap_info(label, chat, epoch, recipient):
    return label + chat + struct.pack(">Q", epoch) + recipient


def wrap_v2(key, chat, epoch, to, t_rand, pq_rand):
    """Envelope version 2: 0x02 || enc || HPKE single-shot seal, empty AAD."""
    info = wrap_info(WRAP_V2_LABEL, chat, epoch, to.id)
    ss, enc = xwing_encap(to.ek, to.x, pq_rand, t_rand)
    k, nonce = key_schedule(ss, info)
    return b"\x02" + enc + ChaCha20Poly1305(k).encrypt(nonce, key, b""), info, ss


def unwrap_v2(env, chat, epoch, me):
    assert env[0] == 2
    enc, ct = env[1:1 + 1120], env[1 + 1120:]
    ss = xwing_decap(me.dk, me.x_priv, enc)
    k, nonce = key_schedule(ss, wrap_info(WRAP_V2_LABEL, chat, epoch, me.id))
    return ChaCha20Poly1305(k).decrypt(nonce, ct, b"")


def key_log_v2(chat, epoch, recipient, envelope, cert, dev_seed, head_seq, head_hash):
    h = hashlib.sha256(ENVELOPE_HASH_LABEL + envelope).digest()
    tbs = cbor([2, chat, epoch, recipient, h, head_seq, head_hash])
    sig = sign(dev_seed, b"key-log-entry-v2", tbs)
    return tbs, cbor([2, envelope, cert, head_seq, head_hash, sig])


def main():
    check_go_vectors()
    check_mlkem_against_pyca()

    alice, bob = Account(1), Account(5)
    issued = 1_700_000_000

    record = account_keys_record(alice, issued)
    akeys = {
        "note": "chatcrypto/testdata/katgen.py; account seeds: signing 01*32, X25519 02*32, ML-KEM-768 03*64",
        "signing_seed": alice.sign_seed.hex(),
        "encryption_key": alice.x_seed.hex(),
        "kem_seed": alice.kem_seed.hex(),
        "issued_at": issued,
        "ed25519_public": alice.ed.hex(),
        "x25519_public": alice.x.hex(),
        "mlkem768_encapsulation_key": alice.ek.hex(),
        "account_id": alice.id.hex(),
        "record": record.hex(),
    }

    chat = bytes(range(0x40, 0x50))
    epoch = 7
    epoch_key = bytes(range(0x60, 0x80))
    # The encapsulation randomness, in the order Go's crypto/hpke draws it from
    # crypto/rand: the X25519 ephemeral private key, then ML-KEM's 32-byte m. These
    # are the first 64 bytes of testing/cryptotest.SetGlobalRandom(t, 1)'s stream
    # (the Go test checks that), so Go can make this very envelope.
    t_rand = bytes.fromhex("6ae6783f4fbde91b6eb88b73a48ed247dbe5882e2579683432c1bfc525454add")
    pq_rand = bytes.fromhex("0cd87274d67084caaf0e0d36c8496db7fef55fe0e125750aa608d5e20ffc2d12")
    env, info, ss = wrap_v2(epoch_key, chat, epoch, bob, t_rand, pq_rand)
    assert unwrap_v2(env, chat, epoch, bob) == epoch_key
    assert len(env) == 1 + 1088 + 32 + 32 + 16

    cert = certificate(alice, bytes([20]) * 32, bytes([21]) * 32, issued)
    head_seq, head_hash = 42, bytes(range(0xA0, 0xC0))
    tbs, signed = key_log_v2(chat, epoch, bob.id, env, cert, bytes([20]) * 32, head_seq, head_hash)

    pq = {
        "note": "chatcrypto/testdata/katgen.py; Alice seeds 1,2,3; Bob 5,6,7; Alice's device 20,21; "
                "certificate issued at 1700000000",
        "global_random_seed": 1,
        "chat_id": chat.hex(),
        "epoch": epoch,
        "epoch_key": epoch_key.hex(),
        "recipient_account_id": bob.id.hex(),
        "recipient_kem_seed": bob.kem_seed.hex(),
        "x25519_ephemeral": t_rand.hex(),
        "mlkem_m": pq_rand.hex(),
        "wrap_info": info.hex(),
        "shared_secret": ss.hex(),
        "envelope": env.hex(),
        "signer_certificate": cert.hex(),
        "head_seq": head_seq,
        "head_hash": head_hash.hex(),
        "key_log_signed_bytes": tbs.hex(),
        "key_log_entry": signed.hex(),
    }

    for path, data in ((os.path.join(ROOT, "identity", "testdata", "account_keys_kat.json"), akeys),
                       (os.path.join(HERE, "pq_kat.json"), pq)):
        with open(path, "w") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
        print("wrote", os.path.relpath(path, ROOT))


if __name__ == "__main__":
    main()
