//! `UnsignedTransaction`: what `buildTransaction` answers, everything a signer needs.

use async_graphql::{Object, SimpleObject};

use crate::chain::{Address, SigningRequest};

/// A payment built by the node for a key it does not hold. Sign each input's `sighash` (or let
/// `pocket sign` do it from `signingRequest`) and give the signed encoding to
/// `submitTransaction`; `docs/protocol.md` ("Signing away from the node") says how.
pub struct UnsignedTransaction(pub SigningRequest);

#[Object]
impl UnsignedTransaction {
    /// The transaction's id; signing does not change it.
    async fn tx_id(&self) -> String {
        self.0.tx.txid().to_string()
    }

    /// The unsigned canonical encoding (every witness `00`), hex.
    async fn raw_hex(&self) -> String {
        hex::encode(self.0.tx.encode_unsigned())
    }

    /// The encoding followed by each spent output (value and pubkey hash), hex: what
    /// `pocket sign` reads.
    async fn signing_request(&self) -> String {
        hex::encode(self.0.encode())
    }

    /// The outputs spent, in input order, each with the digest its signature must sign.
    async fn inputs(&self) -> Vec<UnsignedInput> {
        let request = &self.0;
        request
            .tx
            .inputs
            .iter()
            .zip(&request.spent)
            .zip(request.sighashes())
            .enumerate()
            .map(|(index, ((input, spent), sighash))| UnsignedInput {
                index: index as u32,
                tx_id: input.previous_output.txid.to_string(),
                vout: input.previous_output.vout,
                value: spent.value,
                address: Address::from(spent.pubkey_hash).to_string(),
                sighash: hex::encode(sighash),
            })
            .collect()
    }

    /// The outputs created: the payment first, then any change back to the payer.
    async fn outputs(&self) -> Vec<UnsignedOutput> {
        self.0
            .tx
            .outputs
            .iter()
            .enumerate()
            .map(|(index, output)| UnsignedOutput {
                index: index as u32,
                value: output.value,
                address: Address::from(output.pubkey_hash).to_string(),
            })
            .collect()
    }

    /// Inputs minus outputs; always 0 for a built transaction (a fee would be burned).
    async fn fee(&self) -> u64 {
        let spent: u64 = self.0.spent.iter().map(|o| o.value).sum();
        spent.saturating_sub(self.0.tx.output_value().unwrap_or(u64::MAX))
    }
}

/// An input to sign.
#[derive(SimpleObject)]
pub struct UnsignedInput {
    /// Position in the transaction.
    index: u32,
    /// The transaction whose output it spends.
    tx_id: String,
    /// Which output of it.
    vout: u32,
    /// The spent output's value (the signature commits to it).
    value: u64,
    /// Whose key must sign: the spent output's address.
    address: String,
    /// The digest to sign, hex: `SHA256d("pocket-chain/sighash/v1" ‖ txid ‖ index ‖ value ‖
    /// pubkey hash)`.
    sighash: String,
}

/// An output of a built transaction.
#[derive(SimpleObject)]
pub struct UnsignedOutput {
    /// Position in the transaction.
    index: u32,
    /// Units.
    value: u64,
    /// The recipient.
    address: String,
}
