//! Blocks as bytes, on both backends: `rawBlock(hash)` and `rawBlocks(fromHeight, count)` give
//! the canonical encoding, which decodes to the stored block, hashes to its hash and links to its
//! parent — what a peer fetching a chain checks.

use pocket_chain::chain::{Block, BlockHash};
use serde_json::{Value, json};

use crate::app::{code, spawn_app};
use pocket_testkit::{Backend, on_both_backends};

on_both_backends!(raw_blocks_decode_to_the_chain_in_order);

fn decode(text: &Value) -> Block {
    Block::decode(&hex::decode(text.as_str().unwrap()).unwrap()).unwrap()
}

async fn raw_blocks_decode_to_the_chain_in_order(backend: Backend) {
    let app = spawn_app(backend).await;
    app.reset().await;
    let hashes: Vec<String> = app
        .data("{ blocks(first: 20) { nodes { hash } } }", json!({}))
        .await["blocks"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|b| b["hash"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(hashes.len(), 10);

    let all = app
        .data("{ rawBlocks(fromHeight: 0, count: 100) }", json!({}))
        .await;
    let all = all["rawBlocks"].as_array().unwrap();
    assert_eq!(all.len(), 10, "fewer at the tip");
    let mut parent = BlockHash::ZERO;
    for (height, (raw, hash)) in all.iter().zip(&hashes).enumerate() {
        let block = decode(raw);
        assert_eq!(block.header.hash().to_string(), *hash);
        assert_eq!(block.header.prev_hash, parent, "height {height} links");
        assert_eq!(block.transactions[0].coinbase_height(), Some(height as u64));
        parent = block.header.hash();
        let one = app
            .data(
                "query($h: String!) { rawBlock(hash: $h) }",
                json!({ "h": hash }),
            )
            .await;
        assert_eq!(&one["rawBlock"], raw);
    }
    let tail = app
        .data("{ rawBlocks(fromHeight: 7, count: 2) }", json!({}))
        .await;
    assert_eq!(tail["rawBlocks"].as_array().unwrap(), &all[7..9]);
    let above = app
        .data("{ rawBlocks(fromHeight: 10, count: 5) }", json!({}))
        .await;
    assert_eq!(above["rawBlocks"], json!([]));
    let unknown = app
        .data(
            "query($h: String!) { rawBlock(hash: $h) }",
            json!({ "h": "00".repeat(32) }),
        )
        .await;
    assert_eq!(unknown["rawBlock"], Value::Null);
    for query in [
        "{ rawBlocks(fromHeight: 0, count: 0) }",
        "{ rawBlocks(fromHeight: 0, count: 101) }",
        "{ rawBlocks(fromHeight: -1, count: 1) }",
        r#"{ rawBlock(hash: "zz") }"#,
    ] {
        let body = app.gql(query, json!({})).await;
        assert_eq!(code(&body), "BAD_REQUEST", "{query}: {body}");
    }
}
