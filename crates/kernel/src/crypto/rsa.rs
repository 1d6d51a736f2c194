//! Tenant key pairs and Dify's hybrid credential encryption (`libs/rsa.py`, `core/helper/encrypter.py`).
//!
//! Byte-compatible with Dify 0.3.23 so provider credentials written by Python Dify decrypt here
//! and the other way round. Stored value = base64(`b"HYBRID:"` + RSA-OAEP-SHA1(aes_key) + nonce(16)
//! + tag(16) + AES-EAX(utf-8 text)); values without the prefix are plain RSA-OAEP-SHA1 (legacy).

use ::rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey};
use ::rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey, LineEnding};
use ::rsa::traits::PublicKeyParts;
use ::rsa::{PrivateKey, PublicKey};
use aes::{Aes128, Aes192, Aes256};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use eax::aead::{AeadInOut, KeyInit};
use eax::cipher::consts::U16;
use eax::cipher::{BlockCipherEncrypt, BlockSizeUser};
use eax::{Eax, Nonce, Tag};
use sha1::Sha1;

use super::CryptoError;

/// Marks Dify's hybrid layout.
const HYBRID_PREFIX: &[u8] = b"HYBRID:";
/// Tenant keys are RSA-2048, as pycryptodome's `RSA.generate(2048)` in Dify.
const KEY_BITS: usize = 2048;
/// Length of the AES key Dify generates (AES-128).
const AES_KEY_LEN: usize = 16;
/// EAX nonce and tag lengths (pycryptodome's defaults for AES).
const NONCE_LEN: usize = 16;
const TAG_LEN: usize = 16;

/// A tenant's key pair as PEM text.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyPair {
    /// PKCS#1 `-----BEGIN RSA PRIVATE KEY-----`, as pycryptodome's `export_key()` writes it.
    pub private_pem: String,
    /// SubjectPublicKeyInfo `-----BEGIN PUBLIC KEY-----` (`tenants.encrypt_public_key`).
    pub public_pem: String,
}

impl std::fmt::Debug for KeyPair {
    // Keeps the private key out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair").field("private_pem", &"<redacted>").field("public_pem", &self.public_pem).finish()
    }
}

/// Generates a tenant's RSA-2048 key pair (slow: run it off the async executor).
pub fn generate_key_pair() -> Result<KeyPair, CryptoError> {
    let key =
        PrivateKey::new(&mut getrandom::SysRng, KEY_BITS).map_err(|e| CryptoError::KeyGeneration(e.to_string()))?;
    let private_pem = key.to_pkcs1_pem(LineEnding::LF).map_err(|e| CryptoError::KeyEncoding(e.to_string()))?;
    let public_pem =
        key.as_public_key().to_public_key_pem(LineEnding::LF).map_err(|e| CryptoError::KeyEncoding(e.to_string()))?;
    // pycryptodome writes no trailing newline; match it so stored keys look the same.
    Ok(KeyPair { private_pem: private_pem.trim_end().to_owned(), public_pem: public_pem.trim_end().to_owned() })
}

/// Encrypts `plaintext` for the holder of `public_pem` in Dify's hybrid format, base64-encoded.
pub fn encrypt(plaintext: &str, public_pem: &str) -> Result<String, CryptoError> {
    let public = parse_public_key(public_pem)?;
    let aes_key: [u8; AES_KEY_LEN] = random_bytes()?;
    let nonce: [u8; NONCE_LEN] = random_bytes()?;

    let mut body = plaintext.as_bytes().to_vec();
    let tag = Eax::<Aes128>::new(&aes_key.into())
        .encrypt_inout_detached(&Nonce::from(nonce), b"", body.as_mut_slice().into())
        .map_err(|_| CryptoError::AeadEncrypt)?;
    let enc_key = public.oaep_encrypt::<Sha1>(&aes_key).map_err(|e| CryptoError::RsaEncrypt(e.to_string()))?;

    let mut out = Vec::with_capacity(HYBRID_PREFIX.len() + enc_key.len() + NONCE_LEN + TAG_LEN + body.len());
    out.extend_from_slice(HYBRID_PREFIX);
    out.extend_from_slice(&enc_key);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&tag);
    out.extend_from_slice(&body);
    Ok(B64.encode(out))
}

/// Decrypts a base64 value written by [`encrypt`] or by Python Dify (hybrid or legacy RSA-OAEP).
pub fn decrypt(ciphertext_b64: &str, private_pem: &str) -> Result<String, CryptoError> {
    let private = parse_private_key(private_pem)?;
    let data = B64.decode(ciphertext_b64.trim()).map_err(|_| CryptoError::InvalidBase64)?;
    let plain = match data.strip_prefix(HYBRID_PREFIX) {
        Some(rest) => decrypt_hybrid(rest, &private)?,
        None => private.oaep_decrypt::<Sha1>(&data).map_err(|_| CryptoError::RsaDecrypt)?,
    };
    String::from_utf8(plain).map_err(|_| CryptoError::NotUtf8)
}

/// Dify's `obfuscated_token`: `token[:6] + '*' * (len(token) - 8) + token[-2:]`, on characters.
///
/// Follows Python exactly for short values: no stars below 9 characters, and head and tail
/// overlap (`"short"` gives `"shortrt"`).
pub fn obfuscate(token: &str) -> String {
    let chars: Vec<char> = token.chars().collect();
    let n = chars.len();
    let head = &chars[..n.min(6)];
    let tail = &chars[n.saturating_sub(2)..];
    head.iter().copied().chain(std::iter::repeat_n('*', n.saturating_sub(8))).chain(tail.iter().copied()).collect()
}

/// Reads a private key PEM in PKCS#1 (`RSA PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`).
fn parse_private_key(pem: &str) -> Result<PrivateKey, CryptoError> {
    let pem = pem.trim();
    PrivateKey::from_pkcs1_pem(pem)
        .or_else(|_| PrivateKey::from_pkcs8_pem(pem))
        .map_err(|_| CryptoError::InvalidPrivateKey)
}

/// Reads a public key PEM in SubjectPublicKeyInfo (`PUBLIC KEY`) or PKCS#1 (`RSA PUBLIC KEY`).
fn parse_public_key(pem: &str) -> Result<PublicKey, CryptoError> {
    let pem = pem.trim();
    PublicKey::from_public_key_pem(pem)
        .or_else(|_| PublicKey::from_pkcs1_pem(pem))
        .map_err(|_| CryptoError::InvalidPublicKey)
}

/// Splits `enc_key | nonce | tag | ciphertext` (after the prefix) and opens it.
fn decrypt_hybrid(data: &[u8], private: &PrivateKey) -> Result<Vec<u8>, CryptoError> {
    let key_len = private.size();
    let min = key_len + NONCE_LEN + TAG_LEN;
    if data.len() < min {
        return Err(CryptoError::Truncated { len: data.len(), min });
    }
    let (enc_key, rest) = data.split_at(key_len);
    let (nonce, rest) = rest.split_at(NONCE_LEN);
    let (tag, ciphertext) = rest.split_at(TAG_LEN);

    let aes_key = private.oaep_decrypt::<Sha1>(enc_key).map_err(|_| CryptoError::RsaDecrypt)?;
    let mut body = ciphertext.to_vec();
    // Dify always writes AES-128; pycryptodome's AES.new would also take 24- and 32-byte keys.
    match aes_key.len() {
        16 => eax_open::<Aes128>(&aes_key, nonce, tag, &mut body)?,
        24 => eax_open::<Aes192>(&aes_key, nonce, tag, &mut body)?,
        32 => eax_open::<Aes256>(&aes_key, nonce, tag, &mut body)?,
        n => return Err(CryptoError::BadAesKey(n)),
    }
    Ok(body)
}

/// AES-EAX decrypt-and-verify in place with a 16-byte nonce and tag.
fn eax_open<C>(key: &[u8], nonce: &[u8], tag: &[u8], body: &mut [u8]) -> Result<(), CryptoError>
where
    C: BlockSizeUser<BlockSize = U16> + BlockCipherEncrypt + Clone + KeyInit,
{
    let cipher = Eax::<C>::new_from_slice(key).map_err(|_| CryptoError::BadAesKey(key.len()))?;
    let nonce = Nonce::<U16>::try_from(nonce).map_err(|_| CryptoError::AeadAuth)?;
    let tag = Tag::<U16>::try_from(tag).map_err(|_| CryptoError::AeadAuth)?;
    cipher.decrypt_inout_detached(&nonce, b"", body.into(), &tag).map_err(|_| CryptoError::AeadAuth)
}

fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| CryptoError::Rng(e.to_string()))?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;

    // Test data produced with pycryptodome, following Dify 0.3.23's `libs/rsa.py::encrypt` exactly:
    //   key = RSA.generate(2048); pem = key.export_key()
    //   aes_key = get_random_bytes(16); c = AES.new(aes_key, AES.MODE_EAX)
    //   ct, tag = c.encrypt_and_digest(text.encode())
    //   b64encode(b"HYBRID:" + PKCS1_OAEP.new(key.publickey()).encrypt(aes_key) + c.nonce + tag + ct)
    // and the legacy value as b64encode(PKCS1_OAEP.new(key.publickey()).encrypt(text.encode())).
    const PY_PRIVATE_PEM: &str = "-----BEGIN RSA PRIVATE KEY-----
MIIEogIBAAKCAQEApB8OAcbOVbfcYAbNsI9p7YB7DfegsI9XdLKCYJNLD5VrCEFY
0oF33iYNB1ghkDYTebh2BaRsc40G+yhJ+JmTFb09BzO7NIzSyP4EaiqYideukgRl
Hdbdh+y/0LDt+MipcGkq88SyQ4uta40S69N73DdMpO0twKsyrOQWXzfG9AIGwedj
rb5AuV7DwQnITQNcK8joyhf6zSqAV5r7zY15EujIM0M5+SMCM3GWXs+9W9a8Pr4T
5S18Pe7CxR7Unqv/WsZZazt74m+Q9QLZf2vYg7t8z/2GfzQU0jVp/pB5z89JxXmZ
CUbJl4Ojs/VMKIWlhQS3tm+ln89ontTUQdHaywIDAQABAoIBAEdg9j+RjnW7ZE4j
R1wt030m7t3xP+LqRLgNVyTXisK5UnahrRbIljB4zhvOmbJVwnyi3Dmx/DT5NfsP
17QWXuEKj7tNJXNCd/5Qc+0Un4j71AHPhYbHx0txjS8fdDBKXV71bmfcuUclPYRU
M9F7BhiNuHjWapqsGnsVLCG3aYD/ma8EmC6oNhYW04QLYpvU+zNiSthpmEorveW4
otLjMIg39/y/wDCUZX0B7FeP86d+6K+CAuOWvQGVoP//MW0tjvovwf53sQpWxlRN
xUyCfHwpqlvtj+KmINAGalOdjiykN0fa3HlRBdF3F5jrxo3kE+FcS+qwS1KTQtNn
QPE+PdkCgYEAvFRYuCXa73H680JrJRnwGXwsk2rR24OdO88AJKnbgtmHEugVNinl
KvigXuzn8H4MPMRncRRRCZ+z2+lG4Bqtw7JKo342eCT5pf8aiXvJljWa6TbbNwiD
zWuVzz/GMIdcPgJIti2OuEQ3VimLIN9ENy1aRA4oV4FwaurLFN4g970CgYEA3xfl
7HJo3aqJnwRBp7A1lmiJGh1j/Qiv5AzRHqeNd1azqaEUzeiVBg5D6EcNUrRvYP/3
0tf1ua+V7JVWRG4D9ju8zEv5leeoTE96q3q4uxUslISYEZRBbxa7GkqbPjUAPGon
7bu48AtklFCbOxZuuhITU467tJcBZmv18wK74ScCgYBG3eJooO4KjjRlV0fkNSdx
H5XSfy6q0JLZD6K5KSWNzncSeTyKHie7DMWkEreQeo32S9204nVADtVqWhSufbuH
WU7WyMaMXTWH7j+5HliT6mX5fgftZIncQbCkxRW56yWdu9RKoUgENL8x7/4Hh5wu
uyUtWLp7exynTuTOXGvBbQKBgE6ZquZdgNjoZshhxYgBK0As4HEU/c9+qgndAiic
u9jZ8T7Ig/3v/eE+UWqa7fS/oaY5SOU+NVMQq+/IxbYiVL8CWQhZlDvefIs2TW/x
MvinAyfod3NqGou7JHyk4IFQRx8B/8Ngqk3Ylb0zkR2GT8i66Zg856E+ur2NOABA
bFVtAoGAFTAEARueNDXhEJckPRZExLxyJnbvv6uOnTbNuj5PACI6RbIwkfP32NkK
d846xEf7j2paMTQVJ7hcxQhkNcfTWwT3AGPJee+iWZ3g3on9IDacRQngma64RRYn
iCSvCh/kI1xQg6nW5sRJ1mfY2qD3/ngAp++nbNLiq4AmXJdJcZw=
-----END RSA PRIVATE KEY-----";

    const PY_PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEApB8OAcbOVbfcYAbNsI9p
7YB7DfegsI9XdLKCYJNLD5VrCEFY0oF33iYNB1ghkDYTebh2BaRsc40G+yhJ+JmT
Fb09BzO7NIzSyP4EaiqYideukgRlHdbdh+y/0LDt+MipcGkq88SyQ4uta40S69N7
3DdMpO0twKsyrOQWXzfG9AIGwedjrb5AuV7DwQnITQNcK8joyhf6zSqAV5r7zY15
EujIM0M5+SMCM3GWXs+9W9a8Pr4T5S18Pe7CxR7Unqv/WsZZazt74m+Q9QLZf2vY
g7t8z/2GfzQU0jVp/pB5z89JxXmZCUbJl4Ojs/VMKIWlhQS3tm+ln89ontTUQdHa
ywIDAQAB
-----END PUBLIC KEY-----";

    /// Hybrid encryption of "sk-test-1234567890".
    const PY_HYBRID: &str = "SFlCUklEOoHEADRNK+cCZ7RWDnC8MdAJ81CBiQRj0qcEpwB+7lPnl9hc1BwCGgRHXP1DEyE/EmB5Wj9ogn+us6Qi7UecrjsxFoHzhs2YbVHM7dPjvJG1xkLVvYjQsZ6EI9AzC2cwEYqMh2d565FVJR6DiKV7FvD6pmvc75Sl3kKiWAdOlogcd0qf8g1mCkjku46QLxZLnpuHP2JdhljsyIvVU+tSd7oKIEC/MbZGC0mlLdlCDVI4U7Q99y5QS6zAe1IhjT1E+x0Sq01nk7YeuMqEio9TsTd0yKiWQ70oN9EiMnsPizSloFhaQgRsZEJT+MLy1Eh0WYO2mMzmxEYbp3ITQI10vOeDy0tS0qiewJis6UHkvhMO2m8XTlW3SM5BEBAL4YZegCm7fSLZlCcrU3m5OPYNbTISpg==";
    /// Hybrid encryption of "clé-秘密-🔑".
    const PY_HYBRID_UNICODE: &str = "SFlCUklEOkyW9sIUqaZBiQmcAVIAmM0b3vlK5TOjGfw8ZUICqOQBNykfbTVt0MpEVuBpIcSVLn/0ATKVVUDliaSRXB/g4MPsLPOeTvjnnsuTE6Xk8gL7/qUkmWXI4elkuH/91U+z1FkjnETayZUfRKaxHVpmC7DgkYItzv+L64RKTtylZD+z2tGdOxsZS6ekGMLq7qmT8ZWmcHurU5DH5IREQ9PWRTld56SIJ2OONYRwdUMY2gKjO+zbu8rOoWMDlmMGjw57fGReKOI/w+ck9bkitZsGM3U+iCALCETE2H4RHxXxlLew3saER3xCB7/nob2U2LSuBvT6V+t1vyPtjzbwGyH6UqVCWc6OXbaQ/oqISSRu03uvaNxCb78wr9A3xIIoeOAP3P8KB0pkPerf+bND+jv2avw=";
    /// Legacy (non-hybrid) RSA-OAEP encryption of "sk-legacy-0987654321".
    const PY_LEGACY: &str = "clVw4oOWAyjj1ARO586bW7STwfjquZ6pWyWaUH2n08dnu4I5Dt3GmBkSBmqH7zDB1ibBssUEHQSCcVJS31mygcnGYiK+KeWdARQXS90TyMBSIFPmkh2RuJATNcw9aGL+cdDM8cwF7abfoNEqSDxjP/IrYvG/knOGjgv8AKWGFMZ6P92Gyjsy1nIF7OaVLlQj/7WxHmwLAH9pFQQqXMzg2vU15+iF6Fe4tO8ylT0ztuOblo+iZIn3nKaSoiXNWWKJdk+lKFSX28ENrI/FUW4J7KanaVVeTXER6xdCz/AORlrnScvAWcqHY/0VobsWdBFcTaaejaGrOtkV4fXgR2eN3w==";

    /// One generated key shared by the tests (generation is the slow part).
    static GENERATED: LazyLock<KeyPair> = LazyLock::new(|| generate_key_pair().expect("key generation"));

    #[test]
    fn python_hybrid_fixture_decrypts() {
        assert_eq!(decrypt(PY_HYBRID, PY_PRIVATE_PEM).expect("decrypt"), "sk-test-1234567890");
        assert_eq!(decrypt(PY_HYBRID_UNICODE, PY_PRIVATE_PEM).expect("decrypt"), "clé-秘密-🔑");
    }

    #[test]
    fn python_legacy_fixture_decrypts() {
        assert_eq!(decrypt(PY_LEGACY, PY_PRIVATE_PEM).expect("decrypt"), "sk-legacy-0987654321");
    }

    #[test]
    fn pkcs8_private_key_is_accepted() {
        let key = PrivateKey::from_pkcs1_pem(PY_PRIVATE_PEM).expect("pkcs1");
        let pkcs8 = ::rsa::pkcs8::EncodePrivateKey::to_pkcs8_pem(&key, LineEnding::LF).expect("pkcs8");
        assert!(pkcs8.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert_eq!(decrypt(PY_HYBRID, &pkcs8).expect("decrypt"), "sk-test-1234567890");
    }

    #[test]
    fn encrypt_with_python_public_key_round_trips() {
        let ct = encrypt("sk-from-rust", PY_PUBLIC_PEM).expect("encrypt");
        let raw = B64.decode(&ct).expect("base64");
        assert!(raw.starts_with(HYBRID_PREFIX));
        assert_eq!(raw.len(), HYBRID_PREFIX.len() + 256 + NONCE_LEN + TAG_LEN + "sk-from-rust".len());
        assert_eq!(decrypt(&ct, PY_PRIVATE_PEM).expect("decrypt"), "sk-from-rust");
    }

    #[test]
    fn generated_key_pair_has_dify_pem_formats_and_round_trips() {
        let kp = &*GENERATED;
        assert!(kp.private_pem.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"), "{}", kp.private_pem);
        assert!(kp.private_pem.ends_with("-----END RSA PRIVATE KEY-----"));
        assert!(kp.public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert!(kp.public_pem.ends_with("-----END PUBLIC KEY-----"));
        assert_eq!(parse_public_key(&kp.public_pem).expect("public").size(), 256);
        for text in ["sk-abcdefghijklmnop", "", "clé-秘密-🔑"] {
            let ct = encrypt(text, &kp.public_pem).expect("encrypt");
            assert_eq!(decrypt(&ct, &kp.private_pem).expect("decrypt"), text);
        }
        assert!(!format!("{kp:?}").contains("PRIVATE KEY"));
    }

    #[test]
    fn wrong_key_is_an_error() {
        let ct = encrypt("secret", PY_PUBLIC_PEM).expect("encrypt");
        assert!(matches!(decrypt(&ct, &GENERATED.private_pem), Err(CryptoError::RsaDecrypt)));
    }

    #[test]
    fn tampered_values_are_errors_not_panics() {
        let raw = B64.decode(PY_HYBRID).expect("base64");
        let body_start = HYBRID_PREFIX.len() + 256;
        // Flip a bit in the encrypted AES key, the nonce, the tag and the ciphertext in turn.
        for (pos, want_rsa) in [
            (HYBRID_PREFIX.len() + 10, true),
            (body_start, false),
            (body_start + NONCE_LEN, false),
            (raw.len() - 1, false),
        ] {
            let mut t = raw.clone();
            t[pos] ^= 0x01;
            let err = decrypt(&B64.encode(&t), PY_PRIVATE_PEM).expect_err("tampered must fail");
            if want_rsa {
                assert!(matches!(err, CryptoError::RsaDecrypt), "{err}");
            } else {
                assert!(matches!(err, CryptoError::AeadAuth), "{err}");
            }
        }
        // Truncations, garbage and bad keys.
        for len in [HYBRID_PREFIX.len(), HYBRID_PREFIX.len() + 100, body_start + NONCE_LEN + TAG_LEN - 1] {
            let err = decrypt(&B64.encode(&raw[..len]), PY_PRIVATE_PEM).expect_err("truncated must fail");
            assert!(matches!(err, CryptoError::Truncated { .. }), "{err}");
        }
        assert!(matches!(decrypt("***", PY_PRIVATE_PEM), Err(CryptoError::InvalidBase64)));
        assert!(matches!(decrypt("", PY_PRIVATE_PEM), Err(CryptoError::RsaDecrypt)));
        assert!(matches!(decrypt(&B64.encode(b"short"), PY_PRIVATE_PEM), Err(CryptoError::RsaDecrypt)));
        assert!(matches!(decrypt(PY_HYBRID, "not a key"), Err(CryptoError::InvalidPrivateKey)));
        assert!(matches!(decrypt(PY_HYBRID, PY_PUBLIC_PEM), Err(CryptoError::InvalidPrivateKey)));
        assert!(matches!(encrypt("x", "not a key"), Err(CryptoError::InvalidPublicKey)));
        let mut legacy = B64.decode(PY_LEGACY).expect("base64");
        legacy[5] ^= 0x80;
        assert!(matches!(decrypt(&B64.encode(&legacy), PY_PRIVATE_PEM), Err(CryptoError::RsaDecrypt)));
    }

    #[test]
    fn plaintext_too_long_for_legacy_is_irrelevant_for_hybrid() {
        let long = "x".repeat(10_000);
        let ct = encrypt(&long, PY_PUBLIC_PEM).expect("encrypt");
        assert_eq!(decrypt(&ct, PY_PRIVATE_PEM).expect("decrypt"), long);
    }

    // Each expectation computed with python3:
    //   f = lambda t: t[:6] + '*' * (len(t) - 8) + t[-2:]
    #[test]
    fn obfuscate_matches_python() {
        assert_eq!(obfuscate("sk-abcdefghijklmnop"), "sk-abc***********op");
        assert_eq!(obfuscate("short"), "shortrt");
        assert_eq!(obfuscate(""), "");
        assert_eq!(obfuscate("a"), "aa");
        assert_eq!(obfuscate("1234567"), "12345667");
        assert_eq!(obfuscate("abcdefgh"), "abcdefgh");
        assert_eq!(obfuscate("abcdefghi"), "abcdef*hi");
        assert_eq!(obfuscate("héllo wörld ünïcode"), "héllo ***********de");
        assert_eq!(obfuscate("日本語のトークン値です"), "日本語のトー***です");
    }
}
