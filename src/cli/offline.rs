//! `pocket key` and `pocket sign`: keys kept in files and signing without a server or a
//! database, so a key never has to meet a node.
//!
//! A key file holds the secret key as 64 hex characters and a newline, readable by its owner only.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::chain::{Address, SecretKey, SeedPhrase, SigningRequest, SigningRequestError, Witness};

/// Why an offline command failed.
#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A key file does not hold a key.
    #[error("{path}: not a key file (64 hex characters of a secret key expected)")]
    NotAKey {
        /// The file.
        path: PathBuf,
    },
    /// `--seed-phrase` or the index derives no key.
    #[error("{0}")]
    Derive(crate::chain::DeriveError),
    /// Standard input could not be read.
    #[error("standard input: {0}")]
    Stdin(std::io::Error),
    /// The input is neither a signing request nor `buildTransaction`'s JSON answer.
    #[error("{0}")]
    Request(String),
    /// The JSON is the server's refusal of `buildTransaction`, not a request to sign.
    #[error("the server refused buildTransaction: {message} ({code}); nothing to sign")]
    Refused {
        /// The server's message.
        message: String,
        /// Its `extensions.code`.
        code: String,
    },
    /// None of the inputs is locked to the keys given.
    #[error("none of the {inputs} inputs spends an output of {owners}")]
    NothingToSign {
        /// Inputs in the transaction.
        inputs: usize,
        /// The keys' addresses.
        owners: String,
    },
    /// Generating a key or signing failed.
    #[error("key error: {0}")]
    Key(#[from] crate::chain::KeyError),
}

/// `pocket key new`: a fresh key, written owner-only to `out` (never over an existing file) with
/// its address on standard output; without `out`, the key goes to standard output and the
/// address to standard error.
pub fn new_key(out: Option<&Path>) -> Result<(), OfflineError> {
    let key = SecretKey::generate()?;
    let address = key.public_key().address();
    let text = format!("{}\n", hex::encode(key.to_bytes()));
    match out {
        Some(path) => {
            write_owner_only(path, text.as_bytes()).map_err(|source| OfflineError::File {
                path: path.to_owned(),
                source,
            })?;
            crate::cli::output::line(format_args!("{address}"));
        }
        None => {
            crate::cli::output::line(format_args!("{}", text.trim_end()));
            eprintln!("address {address}; the line above is the secret key: keep it safe");
        }
    }
    Ok(())
}

/// `pocket key address`: the address of a key file.
pub fn key_address(path: &Path) -> Result<(), OfflineError> {
    crate::cli::output::line(format_args!("{}", read_key(path)?.public_key().address()));
    Ok(())
}

/// `pocket key derive`: dev account `index` of `phrase` (default: the dev chains' phrase), as
/// `ADDRESS SECRET_KEY_HEX` on one line.
pub fn derive_key(index: u32, phrase: Option<&str>) -> Result<(), OfflineError> {
    let phrase = match phrase {
        Some(text) => SeedPhrase::parse(text).map_err(OfflineError::Derive)?,
        None => SeedPhrase::default_phrase(),
    };
    let key = phrase.key(index).map_err(OfflineError::Derive)?;
    crate::cli::output::line(format_args!(
        "{} {}",
        key.public_key().address(),
        hex::encode(key.to_bytes())
    ));
    eprintln!(
        "account {index} at {}/{index}: a dev key, known to anyone with the phrase",
        crate::chain::derive::ACCOUNT_PATH
    );
    Ok(())
}

/// `pocket sign`: signs every input of the request locked to one of `keys` and prints the signed
/// transaction's hex, ready for `submitTransaction`, or, while inputs of other keys remain
/// unsigned, the request with the new signatures in it, for the next signer. What is spent and
/// paid goes to standard error.
pub fn sign(keys: &[PathBuf], input: Option<&str>) -> Result<(), OfflineError> {
    let keys = keys
        .iter()
        .map(|path| read_key(path))
        .collect::<Result<Vec<_>, _>>()?;
    let text = match input {
        Some("-") | None => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(OfflineError::Stdin)?;
            text
        }
        Some(text) => text.to_owned(),
    };
    let mut request = parse_request(&text)?;
    let mut signed = 0;
    for key in &keys {
        signed += request.sign_with(key)?;
    }
    if signed == 0 {
        return Err(OfflineError::NothingToSign {
            inputs: request.tx.inputs.len(),
            owners: keys
                .iter()
                .map(|k| k.public_key().address().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    eprintln!("{}", describe(&request, signed));
    if request.is_complete() {
        crate::cli::output::line(format_args!("{}", hex::encode(request.tx.encode())));
    } else {
        crate::cli::output::line(format_args!("{}", hex::encode(request.encode())));
    }
    Ok(())
}

/// A signing request as hex, or inside `buildTransaction`'s answer as JSON (the whole GraphQL
/// response, or just the `buildTransaction` object).
pub fn parse_request(text: &str) -> Result<SigningRequest, OfflineError> {
    let text = text.trim();
    let hex_text = if text.starts_with('{') {
        let json: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| OfflineError::Request(format!("not JSON: {e}")))?;
        let object = json
            .pointer("/data/buildTransaction")
            .unwrap_or(&json)
            .clone();
        match object.get("signingRequest").and_then(|v| v.as_str()) {
            Some(hex_text) => hex_text.to_owned(),
            None if json.pointer("/errors/0").is_some() => {
                let error = &json["errors"][0];
                return Err(OfflineError::Refused {
                    message: error["message"].as_str().unwrap_or("?").to_owned(),
                    code: error
                        .pointer("/extensions/code")
                        .and_then(|c| c.as_str())
                        .unwrap_or("no code")
                        .to_owned(),
                });
            }
            None => {
                return Err(OfflineError::Request(
                    "the JSON has no signingRequest (select it in buildTransaction)".into(),
                ));
            }
        }
    } else {
        text.to_owned()
    };
    // Say what was expected: a refusal of the bytes alone ("needed 4 more bytes") helps nobody
    // who pasted the wrong thing.
    const EXPECTED: &str = "expected buildTransaction's answer (its JSON, or the signingRequest \
                            hex it holds)";
    let bytes = hex::decode(&hex_text)
        .map_err(|e| OfflineError::Request(format!("not hex ({e}); {EXPECTED}")))?;
    SigningRequest::decode(&bytes).map_err(|e: SigningRequestError| {
        OfflineError::Request(format!("not a signing request ({e}); {EXPECTED}"))
    })
}

/// What the signer agreed to: the transaction, what it spends from whom and pays to whom.
fn describe(request: &SigningRequest, signed: usize) -> String {
    let spent: u64 = request.spent.iter().map(|o| o.value).sum();
    let paid: u64 = request.tx.outputs.iter().map(|o| o.value).sum();
    let mut lines = vec![format!(
        "transaction {}: signed {signed} of {} inputs{}",
        request.tx.txid(),
        request.tx.inputs.len(),
        if request.is_complete() {
            String::new()
        } else {
            let left = request
                .tx
                .inputs
                .iter()
                .filter(|i| !matches!(i.witness, Witness::Signed { .. }))
                .count();
            format!(" ({left} left for other keys: the output is a signing request)")
        }
    )];
    for (input, output) in request.tx.inputs.iter().zip(&request.spent) {
        lines.push(format!(
            "  spends {} ({} from {})",
            input.previous_output,
            output.value,
            Address::from(output.pubkey_hash)
        ));
    }
    for output in &request.tx.outputs {
        lines.push(format!(
            "  pays {} to {}",
            output.value,
            Address::from(output.pubkey_hash)
        ));
    }
    lines.push(format!("  fee {} (burned)", spent.saturating_sub(paid)));
    lines.join("\n")
}

/// Reads a key file.
pub fn read_key(path: &Path) -> Result<SecretKey, OfflineError> {
    let text = std::fs::read_to_string(path).map_err(|source| OfflineError::File {
        path: path.to_owned(),
        source,
    })?;
    let not_a_key = || OfflineError::NotAKey {
        path: path.to_owned(),
    };
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut bytes).map_err(|_| not_a_key())?;
    SecretKey::from_bytes(&bytes).map_err(|_| not_a_key())
}

/// Creates `path` readable and writable by its owner only, refusing to replace a file, and
/// syncs it.
fn write_owner_only(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
