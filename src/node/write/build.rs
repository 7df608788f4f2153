//! `buildTransaction`: the unsigned payment a `send` would make, for a key the node does not hold.

use crate::chain::{Address, OutPoint, SigningRequest, Transaction, TxOut, Utxo};
use crate::node::{Node, NodeError, NodeResult, parse_address};
use crate::store::{blocks, chainstate};

/// Most inputs a built transaction takes: signed (134 bytes an input), it stays under
/// [`super::MAX_TX_BYTES`].
pub const MAX_BUILT_INPUTS: usize = 700;

impl Node {
    /// Pays `amount` from any address to `to`, change back to `from`, choosing coins as `send`
    /// does and skipping those a pending transaction spends. Writes nothing: the answer carries
    /// each spent output so that the key's holder can check and sign it anywhere.
    pub async fn build_transaction(
        &self,
        from: &str,
        to: &str,
        amount: i64,
    ) -> NodeResult<SigningRequest> {
        let (from, to, amount) = check_send_args(from, to, amount)?;
        let db = self.store.db();
        if blocks::tip(db).await?.is_none() {
            return Err(NodeError::NotInitialized);
        }
        let coins = chainstate::select_coins(db, &from, amount).await?;
        let available = coins.iter().map(|(_, u)| u.output.value).sum::<u64>();
        if available < amount {
            return Err(NodeError::InsufficientFunds {
                address: from,
                available,
                requested: amount,
            });
        }
        if coins.len() > MAX_BUILT_INPUTS {
            return Err(NodeError::TooManyInputs {
                needed: coins.len(),
                max: MAX_BUILT_INPUTS,
            });
        }
        Ok(payment(&coins, &from, &to, amount))
    }
}

/// The unsigned payment of `amount` to `to` spending `coins` (which cover it), change back to
/// `from`: what `send` signs and `buildTransaction` answers.
pub(in crate::node) fn payment(
    coins: &[(OutPoint, Utxo)],
    from: &Address,
    to: &Address,
    amount: u64,
) -> SigningRequest {
    let available = coins.iter().map(|(_, u)| u.output.value).sum::<u64>();
    let mut outputs = vec![TxOut {
        value: amount,
        pubkey_hash: to.pubkey_hash(),
    }];
    if available > amount {
        outputs.push(TxOut {
            value: available - amount,
            pubkey_hash: from.pubkey_hash(),
        });
    }
    let inputs: Vec<OutPoint> = coins.iter().map(|(o, _)| *o).collect();
    SigningRequest {
        tx: Transaction::new_unsigned(&inputs, outputs),
        spent: coins.iter().map(|(_, u)| u.output).collect(),
    }
}

/// The checks that need no database.
pub(crate) fn check_send_args(
    from: &str,
    to: &str,
    amount: i64,
) -> NodeResult<(Address, Address, u64)> {
    let from = parse_address("from", from)?;
    let to = parse_address("to", to)?;
    let amount = u64::try_from(amount)
        .ok()
        .filter(|a| *a >= 1)
        .ok_or(NodeError::InvalidAmount(amount))?;
    if from == to {
        return Err(NodeError::SameAddress(from));
    }
    Ok((from, to, amount))
}
