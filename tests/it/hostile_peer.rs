//! A hostile peer: a server of the test's own that speaks just enough of the API for a node to
//! follow it (`chain`, `headers`, `commonBlock`, `rawBlocks`, a WebSocket that acknowledges, and
//! `submitBlock` but not `submitBlocks`, as a node from before it) and serves a valid chain with
//! one bad thing at its end — a block breaking a rule, bytes that are not a block, an answer too
//! large. The node following it and an honest node must refuse it, mark the hostile peer, keep
//! everything valid it had, and stay in step with the honest node. A peer serving a long branch
//! with less work than the node's chain makes it write nothing (and is announced the node's
//! blocks one `submitBlock` at a time). A peer that lies about a common block's height is marked,
//! not believed; one that accepts connections and never answers the WebSocket upgrade is down
//! within the bound, and retried. One that answers a few blocks at a time is synced whole, no
//! block asked for twice.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::extract::ws::{Message, WebSocketUpgrade};
use axum::routing::{get, post};
use axum::{Json, Router};
use pocket_chain::chain::{Block, BlockHash, ChainTip, PubkeyHash, Witness, pow};
use pocket_testkit::{Backend, Replica, TestDb, graphql};
use serde_json::{Value, json};

use crate::network::BITS;
use pocket_testkit::{ChainBuilder, coinbase_of, connect_block, network_builder, tip_of};

/// What the hostile peer serves: blocks as hex (the last one bad, or not a block at all), or, at
/// the height `huge_at`, an answer too large to read.
#[derive(Clone)]
struct Hostile {
    blocks: Arc<Vec<String>>,
    hashes: Arc<Vec<BlockHash>>,
    /// The header it shows for each height (as hex), one past its blocks when it cannot send
    /// that block.
    headers: Arc<Vec<String>>,
    huge_at: Option<u64>,
    /// The height it claims for every common block (the right hash, a wrong height).
    lie_height: Option<u64>,
    /// Requests for blocks it answered.
    fetches: Arc<std::sync::atomic::AtomicU64>,
    /// Most blocks in one answer (an honest node answers fewer than asked when they are large).
    per_answer: usize,
}

impl Hostile {
    /// A peer serving `chain` as it is, a hundred blocks to an answer.
    fn serving(chain: &[Block]) -> Self {
        Self {
            blocks: Arc::new(chain.iter().map(|b| hex::encode(b.encode())).collect()),
            hashes: Arc::new(chain.iter().map(Block::hash).collect()),
            headers: Arc::new(headers_of(chain)),
            huge_at: None,
            lie_height: None,
            fetches: Arc::default(),
            per_answer: 100,
        }
    }
}

async fn answer(State(peer): State<Hostile>, Json(request): Json<Value>) -> Json<Value> {
    let query = request["query"].as_str().unwrap_or_default();
    let variables = &request["variables"];
    if query.contains("chain {") {
        // A peer with an answer too large claims the block it cannot send, so it is asked.
        let height = peer.huge_at.unwrap_or(peer.blocks.len() as u64 - 1);
        let tip = peer
            .hashes
            .get(height as usize)
            .copied()
            .unwrap_or(BlockHash::ZERO);
        return Json(json!({ "data": { "chain": {
            "height": height,
            "tipHash": tip.to_string(),
            "genesisHash": peer.hashes[0].to_string(),
            "difficultyBits": BITS.parse::<u32>().unwrap(),
            "reward": 10,
            "maxBlockTxs": 10_000,
        } } }));
    }
    let common = variables["l"].as_array().and_then(|locator| {
        locator.iter().find_map(|h| {
            let hash: BlockHash = h.as_str()?.parse().ok()?;
            peer.hashes.iter().position(|x| *x == hash)
        })
    });
    if query.contains("headers(") {
        let from = common.map_or(0, |h| h + 1);
        let count = variables["c"].as_u64().unwrap() as usize;
        let raw: String = peer
            .headers
            .iter()
            .skip(from)
            .take(count)
            .cloned()
            .collect();
        let run = json!({
            "commonHash": common.map(|h| peer.hashes[h].to_string()),
            "commonHeight": common.map(|h| peer.lie_height.unwrap_or(h as u64)),
            "rawHeaders": raw,
        });
        return Json(json!({ "data": { "headers": run } }));
    }
    if query.contains("commonBlock") {
        let common = common.map(|height| {
            json!({ "height": peer.lie_height.unwrap_or(height as u64), "hash": peer.hashes[height].to_string() })
        });
        return Json(json!({ "data": { "commonBlock": common } }));
    }
    if query.contains("rawBlocks") {
        peer.fetches
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let from = variables["f"].as_u64().unwrap();
        if peer.huge_at == Some(from) {
            return Json(json!({ "data": { "rawBlocks": ["00".repeat(5 << 20)] } }));
        }
        let blocks: Vec<&String> = peer
            .blocks
            .iter()
            .skip(from as usize)
            .take(peer.per_answer)
            .collect();
        return Json(json!({ "data": { "rawBlocks": blocks } }));
    }
    if query.contains("submitBlocks") {
        // As a node from before `submitBlocks` answers: the node falls back to `submitBlock`.
        let unknown = "Unknown field \"submitBlocks\" on type \"MutationRoot\".";
        return Json(
            json!({ "errors": [{ "message": unknown, "extensions": { "code": "BAD_REQUEST" } }] }),
        );
    }
    if query.contains("submitBlock") {
        return Json(json!({ "data": { "submitBlock": { "status": "LOW_WORK" } } }));
    }
    Json(json!({ "data": { "rawTransaction": null } }))
}

/// Acknowledges `connection_init` and then announces nothing.
async fn quiet_socket(upgrade: WebSocketUpgrade) -> axum::response::Response {
    upgrade
        .protocols(["graphql-transport-ws"])
        .on_upgrade(|mut socket| async move {
            while let Some(Ok(message)) = socket.recv().await {
                if let Message::Text(text) = message
                    && text.contains("connection_init")
                {
                    let ack = Message::text(json!({ "type": "connection_ack" }).to_string());
                    if socket.send(ack).await.is_err() {
                        return;
                    }
                }
            }
        })
}

async fn serve_hostile(peer: Hostile) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/graphql", post(answer))
        .route("/graphql/blocks", post(answer))
        .route("/graphql/ws", get(quiet_socket))
        .with_state(peer);
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// The bad things, each with what the follower's `lastError` must say.
fn bad_endings(
    build: &ChainBuilder,
    chain: &[Block],
) -> Vec<(&'static str, Option<String>, String)> {
    let tip = tip_of(chain.last().unwrap(), chain.len() as u64 - 1);
    let time = 1_700_001_000;
    let mut weak = build.block(Some(&tip), vec![], time);
    while pow::meets_difficulty(&weak.header.hash(), weak.header.bits) {
        weak.header.nonce += 1;
    }
    let mut forged = build.spend(&[coinbase_of(&chain[2])]);
    if let Witness::Signed { signature, .. } = &mut forged.inputs[0].witness {
        signature[5] ^= 1;
    }
    let forged = build.block(Some(&tip), vec![forged], time + 1);
    // Spends the genesis coinbase, which block 1 of the chain already spent.
    let double = build.block(
        Some(&tip),
        vec![build.spend(&[coinbase_of(&chain[0])])],
        time + 2,
    );
    let wrong = build.block(
        Some(&ChainTip {
            hash: tip.hash,
            height: tip.height + 5,
        }),
        vec![],
        time + 3,
    );
    let hex = |b: &Block| Some(hex::encode(b.encode()));
    vec![
        ("PROOF_OF_WORK", hex(&weak), "leading zero bits".into()),
        ("BAD_SIGNATURE", hex(&forged), "invalid signature".into()),
        (
            "INPUT_NOT_UNSPENT",
            hex(&double),
            "not an unspent output".into(),
        ),
        ("WRONG_HEIGHT", hex(&wrong), "claims height".into()),
        ("DECODE", Some("00ff00".into()), "does not decode".into()),
        ("TOO_LARGE", None, "more than".into()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_peer_is_refused_marked_and_disturbs_nothing() {
    let http = reqwest::Client::new();
    let build = network_builder();
    let chain = a_valid_chain(&build);
    let tip_hash = chain.last().unwrap().hash().to_string();

    let bin = env!("CARGO_BIN_EXE_pocket");
    let (_honest_db, honest) = an_honest_node_with(&http, bin, &chain).await;
    for (kind, bad, says) in bad_endings(&build, &chain) {
        let mut blocks: Vec<String> = chain.iter().map(|b| hex::encode(b.encode())).collect();
        let mut hashes: Vec<BlockHash> = chain.iter().map(Block::hash).collect();
        let mut headers = headers_of(&chain);
        // The bad block's header when it decodes; else a valid one on the tip, so that its
        // body (bytes that are no block, an answer too large) is asked for.
        let tip = tip_of(chain.last().unwrap(), chain.len() as u64 - 1);
        let shown = bad
            .as_deref()
            .and_then(|hex| Block::decode_hex(hex).ok())
            .unwrap_or_else(|| build.block(Some(&tip), vec![], 1_700_009_000));
        headers.push(hex::encode(shown.header.encode()));
        let huge_at = match bad {
            Some(hex) => {
                blocks.push(hex);
                hashes.push(BlockHash::ZERO);
                None
            }
            None => Some(chain.len() as u64),
        };
        let hostile = serve_hostile(Hostile {
            blocks: Arc::new(blocks),
            hashes: Arc::new(hashes),
            headers: Arc::new(headers),
            huge_at,
            lie_height: None,
            fetches: Arc::default(),
            per_answer: 100,
        })
        .await;
        let db = TestDb::new(Backend::Sqlite).await;
        let follower = follow_both(bin, &db, &honest, &hostile).await;
        the_hostile_peer_is_down_and_the_honest_one_followed(
            &http, &follower, &honest, &hostile, &tip_hash, kind, &says,
        )
        .await;
        drop(follower);
        crate::network::verify(&db);
    }
    let honest_tip = graphql(
        &http,
        &format!("{}/graphql", honest.base),
        "{ chain { tipHash sideBlocks } }",
        json!({}),
    )
    .await;
    assert_eq!(honest_tip["data"]["chain"]["tipHash"], tip_hash.as_str());
    assert_eq!(honest_tip["data"]["chain"]["sideBlocks"], 0);
}

/// Each block's header, as hex.
fn headers_of(chain: &[Block]) -> Vec<String> {
    chain
        .iter()
        .map(|b| hex::encode(b.header.encode()))
        .collect()
}

/// A valid chain: genesis, a block spending the genesis coinbase, and three more.
fn a_valid_chain(build: &ChainBuilder) -> Vec<Block> {
    let genesis = build.block(None, vec![], 1_700_000_000);
    let mut chain = vec![genesis];
    for height in 1..5u64 {
        let parent = tip_of(chain.last().unwrap(), height - 1);
        let txs = if height == 1 {
            vec![build.spend(&[coinbase_of(&chain[0])])]
        } else {
            vec![]
        };
        chain.push(build.block(Some(&parent), txs, 1_700_000_000 + height));
    }
    chain
}

/// `chain` grown to `len` blocks with blocks holding only their coinbase, the block at height h
/// stamped `time + h`.
fn extend_to(chain: &mut Vec<Block>, build: &ChainBuilder, len: u64, time: u64) {
    for height in chain.len() as u64..len {
        let parent = tip_of(chain.last().unwrap(), height - 1);
        chain.push(build.block_paying(Some(&parent), PubkeyHash([3; 20]), time + height));
    }
}

/// A node with `chain`, submitted block by block (and its database, which outlives it).
async fn an_honest_node_with(
    http: &reqwest::Client,
    bin: &str,
    chain: &[Block],
) -> (TestDb, Replica) {
    let honest_db = TestDb::new(Backend::Sqlite).await;
    let honest = Replica::start(bin, &honest_db.url, &["--difficulty", BITS]).await;
    for block in chain {
        connect_block(http, &honest.base, block).await;
    }
    (honest_db, honest)
}

/// A new node following both the honest peer and the hostile one.
async fn follow_both(bin: &str, db: &TestDb, honest: &Replica, hostile: &str) -> Replica {
    Replica::start(
        bin,
        &db.url,
        &[
            "--difficulty",
            BITS,
            "--peer",
            &honest.base,
            "--peer",
            hostile,
        ],
    )
    .await
}

/// Within 30 s the follower bans the hostile peer with a `misbehaved` error naming `says`,
/// follows the honest one and has its tip.
async fn the_hostile_peer_is_down_and_the_honest_one_followed(
    http: &reqwest::Client,
    follower: &Replica,
    honest: &Replica,
    hostile: &str,
    tip_hash: &str,
    kind: &str,
    says: &str,
) {
    let url = format!("{}/graphql", follower.base);
    let deadline = Instant::now() + Duration::from_secs(30);
    let peers = loop {
        let answer = graphql(
            http,
            &url,
            "{ peers { url state lastError } chain { tipHash } }",
            json!({}),
        )
        .await;
        let state = |url: &str| {
            answer["data"]["peers"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["url"] == url)
                .map(|p| p["state"].clone())
        };
        if state(hostile) == Some(json!("BANNED"))
            && state(&honest.base) == Some(json!("FOLLOWING"))
            && answer["data"]["chain"]["tipHash"] == tip_hash
        {
            break answer;
        }
        assert!(Instant::now() < deadline, "{kind}: {answer}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let list = peers["data"]["peers"].as_array().unwrap();
    let marked = list.iter().find(|p| p["url"] == hostile).unwrap();
    let error = marked["lastError"].as_str().unwrap();
    assert!(
        error.starts_with("misbehaved") && error.contains(says),
        "{kind}: {error}"
    );
    let honest_peer = list
        .iter()
        .find(|p| p["url"] == honest.base.as_str())
        .unwrap();
    assert_eq!(honest_peer["state"], "FOLLOWING", "{kind}: {peers}");
}

/// A peer serving a long branch with less work than the node's chain (cheap to make at this
/// difficulty) costs no block download and makes the node write nothing; the peer, which broke
/// no rule, is followed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_serving_a_long_stale_branch_makes_the_node_write_nothing() {
    let http = reqwest::Client::new();
    let build = network_builder();
    let db = TestDb::new(Backend::Sqlite).await;
    let bin = env!("CARGO_BIN_EXE_pocket");
    let node = Replica::start(bin, &db.url, &["--difficulty", BITS]).await;
    let url = format!("{}/graphql", node.base);
    let own = build.key.public_key().address().to_string();
    graphql(
        &http,
        &url,
        "mutation($a: String!) { mineBlocks(count: 131, address: $a) { height } }",
        json!({ "a": own }),
    )
    .await;
    let raw = graphql(
        &http,
        &url,
        "{ rawBlocks(fromHeight: 0, count: 1) }",
        json!({}),
    )
    .await;
    let genesis =
        Block::decode(&hex::decode(raw["data"]["rawBlocks"][0].as_str().unwrap()).unwrap())
            .unwrap();
    // 120 blocks from genesis: height 120, below the node's 130.
    let mut chain = vec![genesis];
    extend_to(&mut chain, &build, 121, 1_600_000_000);
    let before = graphql(&http, &url, "{ chain { tipHash sideBlocks } }", json!({})).await;
    let fetches = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let stale = serve_hostile(Hostile {
        fetches: fetches.clone(),
        ..Hostile::serving(&chain)
    })
    .await;
    graphql(
        &http,
        &url,
        "mutation($u: String!) { addPeer(url: $u) { url } }",
        json!({ "u": stale }),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let peer = loop {
        let answer = graphql(
            &http,
            &url,
            "{ peers { state height lastError blocksReceived } }",
            json!({}),
        )
        .await;
        let peer = answer["data"]["peers"][0].clone();
        if peer["state"] == "FOLLOWING" {
            break peer;
        }
        assert!(Instant::now() < deadline, "{answer}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(peer["lastError"], Value::Null, "{peer}");
    assert_eq!(peer["height"], 120, "{peer}");
    // A chain lower than the node's has less work: none of its blocks is downloaded.
    assert_eq!(peer["blocksReceived"], 0, "{peer}");
    assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 0);
    let after = graphql(&http, &url, "{ chain { tipHash sideBlocks } }", json!({})).await;
    assert_eq!(before, after, "the stale branch is written nowhere");
    assert_eq!(after["data"]["chain"]["sideBlocks"], 0);
    drop(node);
    crate::network::verify(&db);
}

/// A peer that answers a few blocks at a time (as one does when its blocks are large) is synced
/// whole: the rest of each asked-for range is asked for next, no block twice, none skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_answering_a_few_blocks_at_a_time_is_synced_whole() {
    let http = reqwest::Client::new();
    let build = network_builder();
    let mut chain = a_valid_chain(&build);
    extend_to(&mut chain, &build, 131, 1_700_000_000);
    let fetches = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let terse = serve_hostile(Hostile {
        fetches: fetches.clone(),
        per_answer: 7,
        ..Hostile::serving(&chain)
    })
    .await;
    let db = TestDb::new(Backend::Sqlite).await;
    let bin = env!("CARGO_BIN_EXE_pocket");
    let node = Replica::start(bin, &db.url, &["--difficulty", BITS, "--peer", &terse]).await;
    let url = format!("{}/graphql", node.base);
    let deadline = Instant::now() + Duration::from_secs(30);
    let tip = chain.last().unwrap().hash().to_string();
    let answer = loop {
        let answer = graphql(
            &http,
            &url,
            "{ chain { tipHash } peers { state lastError blocksReceived } }",
            json!({}),
        )
        .await;
        // The peer's counts are updated just after the blocks are committed: wait for both.
        if answer["data"]["chain"]["tipHash"] == tip.as_str()
            && answer["data"]["peers"][0]["blocksReceived"] == 131
        {
            break answer;
        }
        assert!(Instant::now() < deadline, "{answer}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let peer = &answer["data"]["peers"][0];
    assert_eq!(peer["lastError"], Value::Null, "{answer}");
    assert_eq!(peer["blocksReceived"], 131, "{answer}");
    // 131 blocks, 7 to an answer: 19 requests, none repeated.
    assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 19);
    drop(node);
    crate::network::verify(&db);
}

/// A peer that names the right common block at height 2^64 - 1 is caught lying (the height is
/// this node's to know), marked, and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_lying_about_heights_is_marked_not_believed() {
    let http = reqwest::Client::new();
    let build = network_builder();
    let chain = a_valid_chain(&build);
    let tip_hash = chain.last().unwrap().hash().to_string();
    let bin = env!("CARGO_BIN_EXE_pocket");
    let hostile = serve_hostile(Hostile {
        lie_height: Some(u64::MAX),
        ..Hostile::serving(&chain)
    })
    .await;
    let db = TestDb::new(Backend::Sqlite).await;
    let node = Replica::start(bin, &db.url, &["--difficulty", BITS]).await;
    for block in &chain {
        connect_block(&http, &node.base, block).await;
    }
    let url = format!("{}/graphql", node.base);
    let added = graphql(
        &http,
        &url,
        "mutation($u: String!) { addPeer(url: $u) { url } }",
        json!({ "u": hostile }),
    )
    .await;
    assert!(added["errors"].is_null(), "{added}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = graphql(
            &http,
            &url,
            "{ peers { state lastError bannedUntil } chain { tipHash height sideBlocks } }",
            json!({}),
        )
        .await;
        let peer = &answer["data"]["peers"][0];
        if peer["state"] == "BANNED" {
            let error = peer["lastError"].as_str().unwrap();
            assert!(peer["bannedUntil"].as_i64().is_some(), "{answer}");
            assert!(
                error.starts_with("misbehaved") && error.contains("18446744073709551615"),
                "{error}"
            );
            assert_eq!(answer["data"]["chain"]["tipHash"], tip_hash.as_str());
            assert_eq!(answer["data"]["chain"]["sideBlocks"], 0);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the liar is not marked: {answer}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(node);
    crate::network::verify(&db);
}

/// A peer that accepts TCP connections and never answers the WebSocket upgrade is `DOWN` within
/// the upgrade's bound (10 s), says why, and is tried again; the node answers others meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_never_answers_the_upgrade_is_down_and_retried() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(socket);
        }
    });
    let http = reqwest::Client::new();
    let db = TestDb::new(Backend::Sqlite).await;
    let node = Replica::start(env!("CARGO_BIN_EXE_pocket"), &db.url, &["--peer", &silent]).await;
    let url = format!("{}/graphql", node.base);
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut slowest = Duration::ZERO;
    let error = loop {
        let asked = Instant::now();
        let answer = graphql(
            &http,
            &url,
            "{ peers { state lastError } chain { height } }",
            json!({}),
        )
        .await;
        slowest = slowest.max(asked.elapsed());
        let peer = &answer["data"]["peers"][0];
        if peer["state"] == "DOWN" && accepted.load(std::sync::atomic::Ordering::SeqCst) >= 2 {
            break peer["lastError"].as_str().unwrap_or_default().to_owned();
        }
        assert!(Instant::now() < deadline, "not down and retried: {answer}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        error.contains("no WebSocket upgrade within 10 s"),
        "{error}"
    );
    assert!(
        slowest < Duration::from_secs(1),
        "a bystander query took {slowest:?}"
    );
}

/// An orphan flood through the block route: blocks whose parent nobody has, each with as many
/// transactions as the chain allows (10,000 small ones, about 0.9 MB encoded, more decoded). Blocks
/// without proof of work are refused before anything is kept; those with it are held within the
/// documented bound (64 MiB of decoded blocks), and the node's memory stays within it plus 30 MB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_orphan_flood_costs_its_sender_work_and_the_node_bounded_memory() {
    let http = reqwest::Client::new();
    let (_db, node) = a_new_node().await;
    let orphan = |n: u64, work: bool| hex::encode(an_orphan(n, work).encode());
    let submit = async |raw: String| {
        http
            .post(format!("{}/graphql/blocks", node.base))
            .json(&json!({ "query": "mutation($r: String!) { submitBlock(rawHex: $r) { status } }", "variables": { "r": raw } }))
            .send()
            .await
            .expect("POST")
            .json::<Value>()
            .await
            .expect("JSON")
    };
    let refused = submit(orphan(0, false)).await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "INVALID_BLOCK",
        "{refused}"
    );
    assert_eq!(
        refused["errors"][0]["extensions"]["check"], "PROOF_OF_WORK",
        "{refused}"
    );

    let before = node.rss_mib();
    for n in 1..=120 {
        let answer = submit(orphan(n, true)).await;
        assert_eq!(answer["data"]["submitBlock"]["status"], "HELD", "{answer}");
    }
    let after = node.rss_mib();
    println!("resident memory before the flood {before:.0} MiB, after {after:.0} MiB");
    // 120 orphans are about 110 MB encoded (and more decoded); at most 64 MiB of them are kept.
    assert!(
        after - before < 64.0 + 30.0,
        "resident memory {before:.0} → {after:.0} MiB"
    );
    let chain = graphql(
        &http,
        &format!("{}/graphql", node.base),
        "{ chain { height sideBlocks } }",
        json!({}),
    )
    .await;
    assert_eq!(chain["data"]["chain"]["height"], Value::Null, "{chain}");
    assert_eq!(chain["data"]["chain"]["sideBlocks"], 0, "{chain}");
}

/// A block of 10,000 small transactions (about 0.9 MB) on a parent nobody has, with proof of
/// work or (`work` false) without.
fn an_orphan(n: u64, work: bool) -> Block {
    use pocket_chain::chain::{BlockHeader, MerkleRoot, Transaction, TxOut};
    let bits: u32 = BITS.parse().unwrap();
    let filler = Transaction {
        version: 1,
        inputs: vec![],
        outputs: vec![
            TxOut {
                value: 1,
                pubkey_hash: PubkeyHash([7; 20]),
            };
            3
        ],
    };
    let mut block = Block {
        header: BlockHeader {
            version: 1,
            prev_hash: BlockHash([(n % 251) as u8 + 1; 32]),
            merkle_root: MerkleRoot([n as u8; 32]),
            timestamp: 1_700_000_000 + n,
            bits,
            nonce: 0,
        },
        transactions: vec![filler; 10_000],
    };
    while pow::meets_difficulty(&block.header.hash(), bits) != work {
        block.header.nonce += 1;
    }
    block
}

/// A flood of orphans from one address past the held bound drops that sender's own blocks: a
/// branch another address sent while its first block was missing is still held, and connects
/// when that block comes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_address_does_not_evict_anothers_held_branch() {
    let from = |last: u8| {
        reqwest::Client::builder()
            .local_address(std::net::IpAddr::from([127, 0, 0, last]))
            .build()
            .unwrap()
    };
    let (honest, flooder) = (from(3), from(2));
    let (db, node) = a_new_node().await;
    let url = format!("{}/graphql/blocks", node.base);
    let submit = async |client: &reqwest::Client, block: &Block| -> String {
        let answer = graphql(
            client,
            &url,
            "mutation($r: String!) { submitBlock(rawHex: $r) { status } }",
            json!({ "r": hex::encode(block.encode()) }),
        )
        .await;
        answer["data"]["submitBlock"]["status"]
            .as_str()
            .unwrap_or_else(|| panic!("{answer}"))
            .to_owned()
    };
    let chain = a_valid_chain(&network_builder());
    assert_eq!(submit(&honest, &chain[0]).await, "CONNECTED");
    // Blocks 2 to 4 arrive before block 1: held.
    for block in &chain[2..] {
        assert_eq!(submit(&honest, block).await, "HELD");
    }
    // 80 orphans of about 0.9 MB (past the 64 MiB bound) from another address.
    for n in 1..=80 {
        assert_eq!(submit(&flooder, &an_orphan(n, true)).await, "HELD");
    }
    assert_eq!(submit(&honest, &chain[1]).await, "CONNECTED");
    let tip = graphql(
        &honest,
        &format!("{}/graphql", node.base),
        "{ chain { height tipHash } }",
        json!({}),
    )
    .await;
    assert_eq!(tip["data"]["chain"]["height"], 4, "{tip}");
    assert_eq!(
        tip["data"]["chain"]["tipHash"],
        chain[4].hash().to_string(),
        "{tip}"
    );
    drop(node);
    crate::network::verify(&db);
}

/// A new node on SQLite at the network tests' difficulty (and its database, which outlives it).
async fn a_new_node() -> (TestDb, Replica) {
    let db = TestDb::new(Backend::Sqlite).await;
    let bin = env!("CARGO_BIN_EXE_pocket");
    let node = Replica::start(bin, &db.url, &["--difficulty", BITS]).await;
    (db, node)
}
