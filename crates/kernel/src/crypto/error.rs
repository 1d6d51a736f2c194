//! The one error type of the crypto module.

use thiserror::Error;

/// Why a key could not be made or read, or a secret could not be encrypted or decrypted.
#[derive(Debug, Error)]
pub enum CryptoError {
    /// The operating system's random source failed.
    #[error("system random number generator failed: {0}")]
    Rng(String),
    /// RSA key-pair generation failed.
    #[error("RSA key generation failed: {0}")]
    KeyGeneration(String),
    /// A generated key could not be written as PEM.
    #[error("RSA key could not be encoded as PEM: {0}")]
    KeyEncoding(String),
    /// The private key PEM is neither PKCS#1 nor PKCS#8 RSA.
    #[error("invalid RSA private key PEM (expected PKCS#1 or PKCS#8)")]
    InvalidPrivateKey,
    /// The public key PEM is neither SubjectPublicKeyInfo nor PKCS#1 RSA.
    #[error("invalid RSA public key PEM (expected SubjectPublicKeyInfo or PKCS#1)")]
    InvalidPublicKey,
    /// The encrypted value is not valid base64.
    #[error("encrypted value is not valid base64")]
    InvalidBase64,
    /// The encrypted value is too short to hold the hybrid layout.
    #[error("encrypted value is truncated: {len} bytes, need at least {min}")]
    Truncated {
        /// Bytes present after the `HYBRID:` prefix.
        len: usize,
        /// Bytes the layout needs (RSA block + nonce + tag).
        min: usize,
    },
    /// RSA-OAEP encryption failed (e.g. the plaintext is too long for the key).
    #[error("RSA-OAEP encryption failed: {0}")]
    RsaEncrypt(String),
    /// RSA-OAEP decryption failed: wrong key or tampered data.
    #[error("RSA-OAEP decryption failed (wrong key or tampered data)")]
    RsaDecrypt,
    /// The decrypted AES key has the wrong length.
    #[error("decrypted AES key has {0} bytes, expected 16")]
    BadAesKey(usize),
    /// AES-EAX authentication failed: wrong key or tampered data.
    #[error("AES-EAX authentication failed (wrong key or tampered data)")]
    AeadAuth,
    /// AES-EAX encryption failed.
    #[error("AES-EAX encryption failed")]
    AeadEncrypt,
    /// The decrypted bytes are not UTF-8 text.
    #[error("decrypted value is not valid UTF-8")]
    NotUtf8,
}
