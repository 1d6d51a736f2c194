//! Pure cryptography Dify's data depends on: password hashes and tenant credential encryption.
//!
//! No I/O here: callers store key pairs and hashes. Key generation and password hashing are
//! CPU-heavy; async callers run them in `spawn_blocking`.

mod error;
pub mod password;
pub mod rsa;

pub use self::error::CryptoError;
pub use self::password::{
    PasswordHash, dify_legacy_hash, hash_password, needs_rehash, valid_password, verify_password,
};
pub use self::rsa::{KeyPair, decrypt, encrypt, generate_key_pair, obfuscate};
