//! The dev accounts as `pocket` prints them at start, the way Anvil prints its test accounts:
//! addresses and balances, then the secret keys, the phrase and the derivation path.

use super::{CliError, output};
use crate::chain::derive::ACCOUNT_PATH;
use crate::node::Node;

/// Prints the chain's dev accounts on standard output (nothing on a chain without them).
pub(super) async fn print(node: &Node) -> Result<(), CliError> {
    let Some(phrase) = node.dev_accounts().map(|a| a.phrase().to_owned()) else {
        return Ok(());
    };
    let accounts = node.dev_account_balances().await?;
    output::line(format_args!(
        "\nDev accounts (a dev chain: these keys are public, never hold real value with them)\n"
    ));
    for account in &accounts {
        let faucet = if account.faucet {
            "  (faucet: `fund` pays from it; AUTO mining pays it)"
        } else {
            ""
        };
        let (index, address, balance) = (account.index, account.address, account.balance);
        output::line(format_args!("({index}) {address} {balance} units{faucet}"));
    }
    output::line(format_args!("\nSecret keys\n"));
    for account in &accounts {
        let key = hex::encode(account.key.to_bytes());
        output::line(format_args!("({}) {key}", account.index));
    }
    output::line(format_args!(
        "\nSeed phrase      {phrase}\nDerivation path  {ACCOUNT_PATH}/INDEX\n"
    ));
    Ok(())
}
