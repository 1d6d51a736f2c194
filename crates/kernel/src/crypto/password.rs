//! Account passwords: Dify's password rule, Argon2id for new hashes, Dify's PBKDF2 format for old ones.
//!
//! Dify 0.3.23 (`libs/password.py`) stores `accounts.password` = base64(hex(PBKDF2-HMAC-SHA256(
//! password, salt, 10000 iterations, 32 bytes))) and `accounts.password_salt` = base64(16 random
//! bytes). We verify that format so imported accounts can log in, but write Argon2id PHC strings;
//! [`needs_rehash`] tells login when to upgrade a stored hash.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{self, PasswordHasher, PasswordVerifier, phc};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use regex::Regex;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Iterations of Dify's legacy PBKDF2 hash.
const LEGACY_ITERATIONS: u32 = 10_000;

/// Python's `\d` on `str` patterns: any Unicode decimal digit (category Nd).
static DECIMAL_DIGIT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\p{Nd}").expect("constant regex compiles"));

/// The two columns `accounts.password` and `accounts.password_salt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash {
    /// `accounts.password`: an Argon2 PHC string, or Dify's legacy base64(hex(PBKDF2)).
    pub hash: String,
    /// `accounts.password_salt`: base64 of the salt bytes (the PHC string carries its own copy).
    pub salt: String,
}

/// Dify's password rule `^(?=.*[a-zA-Z])(?=.*\d).{8,}$` with Python `re.match` semantics.
///
/// As in Python: `.` does not match `\n`, `$` also matches before one final `\n`, `\d` is any
/// Unicode decimal digit, and the length counts characters, not bytes.
pub fn valid_password(p: &str) -> bool {
    // `$` (without MULTILINE) matches at the very end or just before a single trailing newline.
    let body = p.strip_suffix('\n').unwrap_or(p);
    !body.contains('\n')
        && body.chars().count() >= 8
        && body.chars().any(|c| c.is_ascii_alphabetic())
        && DECIMAL_DIGIT.is_match(body)
}

/// Hashes a new password with Argon2id (default parameters) and a fresh 16-byte salt.
///
/// # Panics
/// Only if the operating system's random source fails, as `password_hash::generate_salt` does.
pub fn hash_password(password: &str) -> PasswordHash {
    let salt = password_hash::generate_salt();
    match Argon2::default().hash_password_with_salt(password.as_bytes(), &salt) {
        Ok(phc) => PasswordHash { hash: phc.to_string(), salt: B64.encode(salt) },
        // Argon2 with default parameters only fails on absurd inputs (a password over 4 GiB) or
        // memory exhaustion; the legacy format still yields a hash that verifies.
        Err(_) => dify_legacy_hash(password, &salt),
    }
}

/// Checks a password against stored `accounts.password` / `accounts.password_salt` values.
///
/// Argon2 PHC strings (`$argon2...`) verify with Argon2; anything else is Dify's legacy PBKDF2
/// format. Malformed input yields `false`; comparisons are constant-time.
pub fn verify_password(password: &str, hash: &str, salt: &str) -> bool {
    if is_argon2(hash) {
        return match phc::PasswordHash::new(hash) {
            Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
            Err(_) => false,
        };
    }
    let (Ok(salt), Ok(expected)) = (B64.decode(salt.trim()), B64.decode(hash.trim())) else {
        return false;
    };
    let computed = legacy_hex_digest(password, &salt);
    computed.as_bytes().ct_eq(&expected).into()
}

/// True when the stored hash is not an Argon2 PHC string, so login should re-hash the password.
pub fn needs_rehash(hash: &str) -> bool {
    !is_argon2(hash)
}

/// Dify 0.3.23's hash: base64(hex(PBKDF2-HMAC-SHA256(password, salt, 10000, 32))), salt in base64.
pub fn dify_legacy_hash(password: &str, salt: &[u8]) -> PasswordHash {
    PasswordHash { hash: B64.encode(legacy_hex_digest(password, salt)), salt: B64.encode(salt) }
}

fn is_argon2(hash: &str) -> bool {
    hash.starts_with("$argon2")
}

/// Lower-case hex of the PBKDF2 digest, as Python's `binascii.hexlify` writes it.
fn legacy_hex_digest(password: &str, salt: &[u8]) -> String {
    let mut dk = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, LEGACY_ITERATIONS, &mut dk);
    hex::encode(dk)
}

#[cfg(test)]
mod tests {
    use super::*;

    // python3 -c "import base64,hashlib,binascii; s=bytes(range(16)); print(base64.b64encode(s).decode(),
    //   base64.b64encode(binascii.hexlify(hashlib.pbkdf2_hmac('sha256', b'Dify-pass123', s, 10000))).decode())"
    const LEGACY_SALT: &str = "AAECAwQFBgcICQoLDA0ODw==";
    const LEGACY_HASH: &str =
        "ZjliZjQxNmRhMTMzNjliOTFjZThhMjM4ZDdlY2ZmYzliM2VmYjQ5NTYyYTk0NmUwMDU2NzFlNDliNjUxYWIzMw==";
    // Same salt, password 'pässwörd1'.encode() (UTF-8 bytes into PBKDF2).
    const LEGACY_HASH_UTF8: &str =
        "OGZkNThkMDUxZjQxNDBiNGM3N2FmODJhOGY3N2M3MDMwZWJlNTQ4ZjljOGYzZDg0MWEyYzI2ZTQ0YmUxZjY4NA==";

    fn fixed_salt() -> Vec<u8> {
        (0u8..16).collect()
    }

    #[test]
    fn legacy_vector_from_python_verifies() {
        assert!(verify_password("Dify-pass123", LEGACY_HASH, LEGACY_SALT));
        assert!(verify_password("pässwörd1", LEGACY_HASH_UTF8, LEGACY_SALT));
        assert!(needs_rehash(LEGACY_HASH));
    }

    #[test]
    fn legacy_hash_reproduces_python_output() {
        let h = dify_legacy_hash("Dify-pass123", &fixed_salt());
        assert_eq!(h.hash, LEGACY_HASH);
        assert_eq!(h.salt, LEGACY_SALT);
    }

    #[test]
    fn legacy_wrong_password_fails() {
        assert!(!verify_password("Dify-pass124", LEGACY_HASH, LEGACY_SALT));
        assert!(!verify_password("", LEGACY_HASH, LEGACY_SALT));
        // Right password, wrong salt.
        assert!(!verify_password("Dify-pass123", LEGACY_HASH, "AAECAwQFBgcICQoLDA0OEA=="));
    }

    #[test]
    fn malformed_values_are_false_not_panics() {
        assert!(!verify_password("Dify-pass123", "not base64!!", LEGACY_SALT));
        assert!(!verify_password("Dify-pass123", LEGACY_HASH, "%%%"));
        assert!(!verify_password("Dify-pass123", "", ""));
        assert!(!verify_password("Dify-pass123", "$argon2id$garbage", ""));
        assert!(!verify_password("Dify-pass123", "$argon2id$v=19$m=19456,t=2,p=1$AAAA$BBBB", ""));
    }

    #[test]
    fn argon2_round_trip() {
        let h = hash_password("abc12345");
        assert!(h.hash.starts_with("$argon2id$"), "{}", h.hash);
        assert_eq!(B64.decode(&h.salt).map(|s| s.len()).ok(), Some(16));
        assert!(!needs_rehash(&h.hash));
        assert!(verify_password("abc12345", &h.hash, &h.salt));
        // The salt column is informational: the PHC string carries the salt.
        assert!(verify_password("abc12345", &h.hash, ""));
        assert!(!verify_password("abc12346", &h.hash, &h.salt));
        // Fresh salt each time.
        assert_ne!(hash_password("abc12345").hash, h.hash);
    }

    #[test]
    fn valid_password_follows_dify_rule() {
        assert!(valid_password("abc12345"));
        assert!(!valid_password("abcdefgh"));
        assert!(!valid_password("12345678"));
        assert!(!valid_password("ab1"));
        assert!(!valid_password("abc1\n234"));
        assert!(!valid_password("\nabc12345"));
    }

    // Each expectation below was checked with Python 3.11:
    // re.match(r'^(?=.*[a-zA-Z])(?=.*\d).{8,}$', s) is not None
    #[test]
    fn valid_password_matches_python_re_quirks() {
        assert!(valid_password("abc12345\n"), "`$` matches before one trailing newline");
        assert!(!valid_password("abc12345\n\n"));
        assert!(valid_password("abcd1234\r"), "`.` matches carriage return");
        assert!(valid_password("abcdefg\u{0663}"), "Arabic-Indic digit is \\d");
        assert!(!valid_password("abcdefg\u{00b2}"), "superscript two is not \\d");
        assert!(valid_password("a\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}1"), "length counts characters");
        assert!(!valid_password("\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}1"), "é is not [a-zA-Z]");
    }
}
