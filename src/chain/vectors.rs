//! Checks that the test vectors in `docs/protocol.md` are what this code computes.
//!
//! Each vector is a table row `| name | value |` in that file; every name below must appear once
//! with exactly the value the code gives.

use std::sync::atomic::AtomicBool;

use super::transaction::SIGHASH_TAG;
use super::*;

fn scalar_one() -> SecretKey {
    let mut bytes = [0u8; 32];
    bytes[31] = 1;
    SecretKey::from_bytes(&bytes).unwrap()
}

/// Every vector, computed from fixed inputs.
fn vectors() -> Vec<(&'static str, String)> {
    let key = scalar_one();
    let public = key.public_key();
    let owner = public.pubkey_hash();
    let spent = TxOut {
        value: 10,
        pubkey_hash: owner,
    };
    let prev = OutPoint {
        txid: Txid([0x11; 32]),
        vout: 1,
    };
    let to = PubkeyHash([0x22; 20]);
    let mut tx = Transaction::new_unsigned(
        &[prev],
        vec![
            TxOut {
                value: 7,
                pubkey_hash: to,
            },
            TxOut {
                value: 3,
                pubkey_hash: owner,
            },
        ],
    );
    let unsigned = tx.encode();
    let txid = tx.txid();
    let request = SigningRequest {
        tx: tx.clone(),
        spent: vec![spent],
    };
    let mut preimage = SIGHASH_TAG.to_vec();
    preimage.extend_from_slice(txid.as_bytes());
    preimage.extend_from_slice(&0u32.to_le_bytes());
    preimage.extend_from_slice(&spent.value.to_le_bytes());
    preimage.extend_from_slice(&spent.pubkey_hash.0);
    let digest = Transaction::signature_digest(&txid, 0, &spent);
    assert_eq!(digest, super::hash::sha256d(&preimage));
    tx.sign(&key, &[spent]).unwrap();
    let signature = match tx.inputs[0].witness {
        Witness::Signed { signature, .. } => hex::encode(signature),
        _ => unreachable!("just signed"),
    };
    let coinbase = Transaction::coinbase(0, 10, owner);
    let txids = [coinbase.txid(), txid];
    let root = merkle::merkle_root(&txids);
    let header = BlockHeader {
        version: 1,
        prev_hash: BlockHash::ZERO,
        merkle_root: root,
        timestamp: 1_700_000_000,
        bits: 12,
        nonce: 0,
    };
    let mined = pow::search(&header, 1, &AtomicBool::new(false)).unwrap();
    let three = [Txid([0x11; 32]), Txid([0x22; 32]), Txid([0x33; 32])];
    let proof = merkle::merkle_proof(&three, 2).unwrap();
    vec![
        ("secret key", hex::encode(key.to_bytes())),
        ("public key", hex::encode(public.to_bytes())),
        ("pubkey hash", owner.to_string()),
        ("address", public.address().to_string()),
        ("unsigned tx", hex::encode(unsigned)),
        ("txid", txid.to_string()),
        ("signing request", hex::encode(request.encode())),
        ("digest preimage", hex::encode(&preimage)),
        ("signature digest", hex::encode(digest)),
        ("signature", signature),
        ("signed tx", hex::encode(tx.encode())),
        ("coinbase tx", hex::encode(coinbase.encode())),
        ("coinbase txid", coinbase.txid().to_string()),
        ("merkle root", root.to_string()),
        ("header nonce", mined.nonce.to_string()),
        ("header", hex::encode(mined.encode())),
        ("block hash", mined.hash().to_string()),
        ("proof sibling 1", hex::encode(proof[0])),
        ("proof sibling 2", hex::encode(proof[1])),
        ("proof root", merkle::merkle_root(&three).to_string()),
    ]
}

#[test]
fn protocol_document_matches_the_code() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/protocol.md"))
        .expect("docs/protocol.md is readable");
    let mut missing = Vec::new();
    for (name, value) in vectors() {
        let prefix = format!("| {name} |");
        let rows: Vec<&str> = doc.lines().filter(|l| l.starts_with(&prefix)).collect();
        let expected = format!("| {name} | `{value}` |");
        if rows != [expected.as_str()] {
            missing.push(expected);
        }
    }
    assert!(
        missing.is_empty(),
        "docs/protocol.md should have these rows:\n{}",
        missing.join("\n")
    );
}
