//! An output created and spent in the same block: the address it passed through counts it in
//! both `received` and `sent` (as sums over the raw blocks say), a revert puts every total back,
//! `pocket verify` agrees with the undo data, and the lab checks the block as it was mined.

use std::collections::HashMap;

use pocket_chain::chain::testing::{ChainBuilder, key, pkh};
use pocket_chain::chain::{Address, Block, OutPoint, Params, PubkeyHash, Transaction, TxOut};
use serde_json::{Value, json};

use crate::app::{TestApp, spawn_app};
use pocket_testkit::{Backend, connect_block, on_both_backends};

on_both_backends!(spends_inside_one_block_count_in_received_and_sent);

const TOTALS: &str =
    "query($a: String!) { address(address: $a) { balance received sent txCount } }";

/// Genesis pays key 1; block 1 holds key 1's payment of 6 to key 2 and, after it, key 2's
/// payment of those 6 to key 3.
fn chain_with_an_in_block_spend() -> Vec<Block> {
    let mut chain = ChainBuilder::with_bits(Params::default().difficulty_bits);
    chain.mine(pkh(1), vec![]);
    let first = chain.pay(1, pkh(2), 6);
    let mut second = Transaction::new_unsigned(
        &[OutPoint {
            txid: first.txid(),
            vout: 0,
        }],
        vec![TxOut {
            value: 6,
            pubkey_hash: pkh(3),
        }],
    );
    let passed_on = TxOut {
        value: 6,
        pubkey_hash: pkh(2),
    };
    second.sign(&key(2), &[passed_on]).unwrap();
    chain.mine(pkh(4), vec![first, second]);
    chain.blocks
}

/// What every address received and sent, summed over the raw blocks.
fn sums_over(blocks: &[Block]) -> HashMap<PubkeyHash, (u64, u64)> {
    let mut outputs: HashMap<OutPoint, TxOut> = HashMap::new();
    let mut sums: HashMap<PubkeyHash, (u64, u64)> = HashMap::new();
    for tx in blocks.iter().flat_map(|b| &b.transactions) {
        // A coinbase's one input spends nothing.
        let spends = if tx.is_coinbase() {
            &[][..]
        } else {
            &tx.inputs[..]
        };
        for input in spends {
            let spent = outputs[&input.previous_output];
            sums.entry(spent.pubkey_hash).or_default().1 += spent.value;
        }
        let txid = tx.txid();
        for (vout, output) in tx.outputs.iter().enumerate() {
            sums.entry(output.pubkey_hash).or_default().0 += output.value;
            let vout = vout as u32;
            outputs.insert(OutPoint { txid, vout }, *output);
        }
    }
    sums
}

async fn totals(app: &TestApp, n: u8) -> Value {
    let address = Address::from(pkh(n)).to_string();
    app.data(TOTALS, json!({ "a": address })).await["address"].clone()
}

async fn spends_inside_one_block_count_in_received_and_sent(backend: Backend) {
    let app = spawn_app(backend).await;
    let blocks = chain_with_an_in_block_spend();
    connect_block(&app.http, &app.base, &blocks[0]).await;
    let snapshot = app
        .data("mutation { snapshot(name: \"genesis\") { id } }", json!({}))
        .await["snapshot"]["id"]
        .clone();
    connect_block(&app.http, &app.base, &blocks[1]).await;

    let sums = sums_over(&blocks);
    for n in 1..=4 {
        let (received, sent) = sums.get(&pkh(n)).copied().unwrap_or_default();
        let shown = totals(&app, n).await;
        assert_eq!(shown["received"], received, "key {n}: {shown}");
        assert_eq!(shown["sent"], sent, "key {n}: {shown}");
        assert_eq!(shown["balance"], received - sent, "key {n}: {shown}");
    }
    let passed_through = totals(&app, 2).await;
    assert_eq!(
        passed_through,
        json!({ "balance": 0, "received": 6, "sent": 6, "txCount": 2 })
    );
    app.node
        .verify_chain(&|_, _| {})
        .await
        .expect("the undo data is the replay's");

    // The lab checks the block against the chainstate it was mined on: every rule passes.
    let hash = blocks[1].hash().to_string();
    let lab = app
        .data(
            "query($h: String!) { explainBlock(hash: $h) { valid } }",
            json!({ "h": hash }),
        )
        .await;
    assert_eq!(lab["explainBlock"]["valid"], true, "{lab}");

    // Back to the genesis: nothing of block 1 is left in any total.
    app.data(
        "mutation($id: ID!) { revert(id: $id) { height } }",
        json!({ "id": snapshot }),
    )
    .await;
    let genesis_sums = sums_over(&blocks[..1]);
    for n in 1..=4 {
        let (received, sent) = genesis_sums.get(&pkh(n)).copied().unwrap_or_default();
        let shown = totals(&app, n).await;
        assert_eq!(
            (shown["received"].clone(), shown["sent"].clone()),
            (json!(received), json!(sent)),
            "key {n} after the revert"
        );
    }
    app.node
        .verify_chain(&|_, _| {})
        .await
        .expect("the chain verifies after the revert");
}
