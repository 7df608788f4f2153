//! The dev accounts as `pocket` prints them at start, the way Anvil prints its test accounts:
//! addresses and balances, then the secret keys, the phrase and the derivation path.

use super::{CliError, output};
use crate::chain::derive::ACCOUNT_PATH;
use crate::node::Node;

/// Prints the chain's dev accounts on standard output (nothing on a chain without them).
pub(super) async fn print(node: &Node) -> Result<(), CliError> {
    let Some(accounts) = node.dev_accounts() else {
        return Ok(());
    };
    let addresses: Vec<_> = accounts
        .keys()
        .iter()
        .map(|k| k.public_key().address())
        .collect();
    let balances = node.balances(&addresses).await?;
    output::line(format_args!(
        "\nDev accounts (a dev chain: these keys are public, never hold real value with them)\n"
    ));
    for (index, address) in addresses.iter().enumerate() {
        let balance = balances.get(address).copied().unwrap_or(0);
        let faucet = if index + 1 == addresses.len() {
            "  (faucet: `fund` pays from it; AUTO mining pays it)"
        } else {
            ""
        };
        output::line(format_args!("({index}) {address} {balance} units{faucet}"));
    }
    output::line(format_args!("\nSecret keys\n"));
    for (index, key) in accounts.keys().iter().enumerate() {
        output::line(format_args!("({index}) {}", hex::encode(key.to_bytes())));
    }
    output::line(format_args!(
        "\nSeed phrase      {}\nDerivation path  {ACCOUNT_PATH}/INDEX\n",
        accounts.phrase()
    ));
    Ok(())
}
