//! Independent nodes, each on its own database, following each other over their GraphQL API:
//! they converge while two of them mine, heal a partition to the branch with more work (the
//! losing side's transactions mined again), catch up after a restart, and refuse invalid blocks
//! from a peer or `submitBlock` without disturbing anything else. Real `pocket` processes on
//! loopback; every wait is bounded.

use std::time::{Duration, Instant};

use pocket_chain::chain::{
    Block, ChainTip, OutPoint, PubkeyHash, SecretKey, Transaction, Witness, pow,
};
use pocket_testkit::{
    Backend, ChainBuilder, Replica, TestDb, WsStream, coinbase_of, graphql, network_builder,
    next_json, sqlite_databases, subscribe, tip_of,
};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

/// Every node of these tests runs this difficulty (fast blocks).
pub(crate) const BITS: &str = pocket_testkit::NETWORK_BITS;

/// Longest any convergence may take.
const CONVERGE: Duration = Duration::from_secs(60);

struct Net {
    http: reqwest::Client,
}

impl Net {
    fn new() -> Self {
        Self {
            http: reqwest::Client::new(),
        }
    }

    async fn gql(&self, node: &Replica, query: &str, variables: Value) -> Value {
        graphql(
            &self.http,
            &format!("{}/graphql", node.base),
            query,
            variables,
        )
        .await
    }

    /// The data of an operation that must succeed.
    async fn ok(&self, node: &Replica, query: &str, variables: Value) -> Value {
        let answer = self.gql(node, query, variables).await;
        assert!(answer["errors"].is_null(), "{query}: {answer}");
        answer["data"].clone()
    }

    async fn tip(&self, node: &Replica) -> (Option<u64>, Option<String>) {
        let chain = self
            .ok(node, "{ chain { height tipHash } }", json!({}))
            .await;
        (
            chain["chain"]["height"].as_u64(),
            chain["chain"]["tipHash"].as_str().map(str::to_owned),
        )
    }

    /// Waits until every node's tip is at the same height, at least `height`; returns it.
    async fn same_height(&self, nodes: &[&Replica], height: u64) -> u64 {
        let deadline = Instant::now() + CONVERGE;
        loop {
            let mut heights = Vec::new();
            for node in nodes {
                heights.push(self.tip(node).await.0);
            }
            if let Some(h) = heights[0]
                && h >= height
                && heights.iter().all(|x| *x == heights[0])
            {
                return h;
            }
            assert!(Instant::now() < deadline, "heights differ: {heights:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until every node has the same tip, at least at `height`; returns it.
    async fn converged(&self, nodes: &[&Replica], height: u64) -> (u64, String) {
        let deadline = Instant::now() + CONVERGE;
        loop {
            let mut tips = Vec::new();
            for node in nodes {
                tips.push(self.tip(node).await);
            }
            if let (Some(h), Some(hash)) = tips[0].clone()
                && h >= height
                && tips.iter().all(|t| t == &tips[0])
            {
                return (h, hash);
            }
            assert!(Instant::now() < deadline, "no convergence: {tips:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn add_peer(&self, node: &Replica, peer: &Replica) {
        self.ok(
            node,
            "mutation($u: String!) { addPeer(url: $u) { url } }",
            json!({ "u": peer.base }),
        )
        .await;
    }

    async fn remove_peer(&self, node: &Replica, peer: &Replica) {
        let data = self
            .ok(
                node,
                "mutation($u: String!) { removePeer(url: $u) }",
                json!({ "u": peer.base }),
            )
            .await;
        assert_eq!(data["removePeer"], true);
    }

    async fn mine(&self, node: &Replica, count: u32, miner: &str) -> Value {
        self.ok(
            node,
            "mutation($n: Int!, $a: String!) { mineBlocks(count: $n, address: $a) { height hash } }",
            json!({ "n": count, "a": miner }),
        )
        .await
    }

    async fn status(&self, node: &Replica, txid: &str) -> Value {
        let data = self
            .ok(
                node,
                "query($t: String!) { transactionStatus(txId: $t) { state blockHash } }",
                json!({ "t": txid }),
            )
            .await;
        data["transactionStatus"].clone()
    }

    /// Waits until `txid` has `state` on `node`.
    async fn status_becomes(&self, node: &Replica, txid: &str, state: &str) -> Value {
        let deadline = Instant::now() + CONVERGE;
        loop {
            let status = self.status(node, txid).await;
            if status["state"] == state {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{txid} on {} is {status}, not {state}",
                node.base
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn wallets(&self, node: &Replica) -> Vec<String> {
        let data = self
            .ok(
                node,
                "{ wallets(first: 20) { nodes { address } } }",
                json!({}),
            )
            .await;
        data["wallets"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["address"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn send(&self, node: &Replica, from: &str, to: &str, amount: u32) -> String {
        let data = self
            .ok(
                node,
                "mutation($f: String!, $t: String!, $a: Int!) { send(from: $f, to: $t, amount: $a) { txId } }",
                json!({ "f": from, "t": to, "a": amount }),
            )
            .await;
        data["send"]["txId"].as_str().unwrap().to_owned()
    }
}

/// Reads a subscription's values (what `value` picks from each event's data) until a MINED that
/// follows a PENDING.
async fn follow_until_mined_again(
    feed: &mut WsStream,
    value: impl Fn(&Value) -> Option<String>,
) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    while !(seen.iter().any(|s| s == "PENDING") && seen.last().is_some_and(|s| s == "MINED")) {
        let event = tokio::time::timeout(CONVERGE, next_json(feed))
            .await
            .unwrap_or_else(|_| panic!("no further event after {seen:?}"));
        if let Some(v) = value(&event["payload"]["data"])
            && seen.last() != Some(&v)
        {
            seen.push(v);
        }
    }
    seen
}

async fn node(db: &TestDb, peers: &[&Replica]) -> Replica {
    let mut args = vec!["--difficulty", BITS];
    for peer in peers {
        args.extend(["--peer", peer.base.as_str()]);
    }
    Replica::start(env!("CARGO_BIN_EXE_pocket"), &db.url, &args).await
}

pub(crate) fn verify(db: &TestDb) {
    pocket_testkit::verify_chain(env!("CARGO_BIN_EXE_pocket"), db);
}

/// Three nodes (B on PostgreSQL), one link per pair (B follows A, C follows A and B: each link
/// carries blocks and transactions both ways); two mine at once and all agree; a transaction
/// sent to one reaches the others' pools; C is cut off and mines more blocks than A and B;
/// healed, A and B reorganise to C's branch, their own transaction goes back to the pool and is
/// mined again; every node verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_converge_fork_and_heal_a_partition() {
    let net = Net::new();
    let (db_a, db_b, db_c) = (
        TestDb::new(Backend::Sqlite).await,
        TestDb::new(Backend::Postgres).await,
        TestDb::new(Backend::Sqlite).await,
    );
    let a = node(&db_a, &[]).await;
    net.ok(&a, "mutation { resetSystem { address } }", json!({}))
        .await;
    let wallets = net.wallets(&a).await;
    let b = node(&db_b, &[&a]).await;
    let c = node(&db_c, &[&a, &b]).await;
    let (start, _) = net.converged(&[&a, &b, &c], 9).await;
    let peers = net.ok(&c, "{ peers { url state } }", json!({})).await;
    assert_eq!(peers["peers"].as_array().unwrap().len(), 2, "{peers}");
    let nodes = [&a, &b, &c];

    let height = forks_resolve_and_payments_relay(&net, nodes, &wallets, start).await;
    let partition = a_partition_mines_apart(&net, nodes, &wallets, height).await;
    let healed = healing_reorganises_to_the_heavier_branch(&net, nodes, &partition).await;
    the_losing_payment_is_mined_again(&net, nodes, &wallets, partition, healed).await;
    drop((a, b, c));
    for db in [&db_a, &db_b, &db_c] {
        verify(db);
    }
}

/// A and B mine at the same time, each paying itself: forks happen and resolve; a payment sent to
/// A reaches B's and C's pools. Returns the height they agree on.
async fn forks_resolve_and_payments_relay(
    net: &Net,
    [a, b, c]: [&Replica; 3],
    wallets: &[String],
    start: u64,
) -> u64 {
    let (miner_a, miner_b, miner_c) = (&wallets[1], &wallets[2], &wallets[3]);
    let (mined_a, mined_b) = tokio::join!(net.mine(a, 6, miner_a), net.mine(b, 6, miner_b));
    assert_eq!(mined_a["mineBlocks"].as_array().unwrap().len(), 6);
    assert_eq!(mined_b["mineBlocks"].as_array().unwrap().len(), 6);
    // Two branches of equal work stay apart (each node keeps the one it saw first); one more
    // block on top of either, once every node has seen both, settles it.
    let top = net.same_height(&[a, b, c], start + 6).await;
    net.mine(c, 1, miner_c).await;
    let (height, _) = net.converged(&[a, b, c], top + 1).await;
    height
}

/// What happened on each side of a partition.
struct Partition {
    /// Where the branches part.
    height: u64,
    /// A payment sent to A: in the relayed pools of B and C, mined by C.
    relayed: String,
    /// A payment only A and B know, mined on their side.
    losing: String,
    /// The blocks A and B mined while apart.
    stale: Vec<Value>,
    /// A's subscriptions: reorganisations, the losing payment's status, its payee's activity.
    reorgs: WsStream,
    status_feed: WsStream,
    activity_feed: WsStream,
}

/// C drops its links to A and B; A and B mine a payment only they know in two blocks, C mines
/// four (with the payment relayed before the partition).
async fn a_partition_mines_apart(
    net: &Net,
    [a, b, c]: [&Replica; 3],
    wallets: &[String],
    height: u64,
) -> Partition {
    let (miner_a, miner_c) = (&wallets[1], &wallets[3]);
    let relayed = net.send(a, &wallets[0], &wallets[4], 2).await;
    for node in [b, c] {
        net.status_becomes(node, &relayed, "PENDING").await;
    }
    // Partition: C drops its links to A and B.
    for peer in [a, b] {
        net.remove_peer(c, peer).await;
    }
    let reorgs = subscribe(
        &a.base,
        "graphql-transport-ws",
        "subscription { chainReorganized { forkHeight oldTip newTip disconnected connected returnedToPool dropped } }",
    )
    .await;
    // A and B: a transaction only they know, mined in the first of two blocks.
    let losing = net.send(a, miner_a, &wallets[5], 3).await;
    net.status_becomes(b, &losing, "PENDING").await;
    let stale: Vec<Value> = net.mine(a, 2, miner_a).await["mineBlocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["hash"].clone())
        .collect();
    net.converged(&[a, b], height + 2).await;
    net.status_becomes(b, &losing, "MINED").await;
    let activity_feed = subscribe(
        &a.base,
        "graphql-transport-ws",
        &format!(
            "subscription {{ addressActivity(addresses: [\"{}\"]) {{ kind txId }} }}",
            wallets[5]
        ),
    )
    .await;
    let mut status_feed = subscribe(
        &a.base,
        "graphql-transport-ws",
        &format!("subscription {{ transactionStatus(txId: \"{losing}\") {{ state }} }}"),
    )
    .await;
    // The status subscription answers with the state it finds: once it has, it (and the
    // activity subscription, made before it) is in place.
    let found = next_json(&mut status_feed).await;
    assert_eq!(
        found["payload"]["data"]["transactionStatus"]["state"], "MINED",
        "{found}"
    );
    // C: four blocks (mining the relayed transaction).
    net.mine(c, 4, miner_c).await;
    net.status_becomes(c, &relayed, "MINED").await;
    Partition {
        height,
        relayed,
        losing,
        stale,
        reorgs,
        status_feed,
        activity_feed,
    }
}

/// C links to A and B again and announces its branch, which has more work; A and B reorganise
/// to it. Its first block has less work than their chain (held in memory), its second as much
/// (both written beside their chain), its third more. Returns the healed height.
async fn healing_reorganises_to_the_heavier_branch(
    net: &Net,
    [a, b, c]: [&Replica; 3],
    partition: &Partition,
) -> u64 {
    let Partition { height, .. } = *partition;
    for peer in [a, b] {
        net.add_peer(c, peer).await;
    }
    let (healed, _) = net.converged(&[a, b, c], height + 4).await;
    assert_eq!(healed, height + 4);
    for node in [a, b, c] {
        net.status_becomes(node, &partition.relayed, "MINED").await;
    }
    healed
}

/// A announced one reorganisation, at the fork; the losing side's payment is pending again
/// everywhere, and is mined again; A's subscribers saw it go back to the pool, then be mined.
async fn the_losing_payment_is_mined_again(
    net: &Net,
    [a, b, c]: [&Replica; 3],
    wallets: &[String],
    partition: Partition,
    healed: u64,
) {
    let Partition {
        height,
        losing,
        stale,
        mut reorgs,
        mut status_feed,
        mut activity_feed,
        ..
    } = partition;
    let event = tokio::time::timeout(CONVERGE, next_json(&mut reorgs))
        .await
        .expect("a reorganisation is announced");
    let reorg = &event["payload"]["data"]["chainReorganized"];
    // A reorganises once C's branch is longer: at its third or fourth block.
    assert_eq!(reorg["forkHeight"], height, "{event}");
    assert_eq!(reorg["disconnected"], json!(stale));
    assert!(reorg["connected"].as_array().unwrap().len() >= 3, "{event}");
    assert_eq!(reorg["returnedToPool"], json!([losing]));
    assert_eq!(reorg["dropped"], json!([]));
    let block = net
        .ok(
            a,
            "query($h: String!) { block(hash: $h) { height mainChain } chain { sideBlocks } }",
            json!({ "h": stale[0] }),
        )
        .await;
    assert_eq!(block["block"]["mainChain"], false, "{block}");
    assert!(block["chain"]["sideBlocks"].as_u64().unwrap() >= 2);

    // The losing side's transaction is pending again everywhere, and is mined again.
    for node in [a, b, c] {
        net.status_becomes(node, &losing, "PENDING").await;
    }
    net.mine(c, 1, &wallets[3]).await;
    let (_, tip) = net.converged(&[a, b, c], healed + 1).await;
    for node in [a, b, c] {
        let status = net.status_becomes(node, &losing, "MINED").await;
        assert_eq!(status["blockHash"], tip);
    }
    // Subscribers on A saw the transaction go back to the pool, then be mined again.
    let states = follow_until_mined_again(&mut status_feed, |data| {
        data["transactionStatus"]["state"]
            .as_str()
            .map(str::to_owned)
    })
    .await;
    assert_eq!(states, ["PENDING", "MINED"], "after MINED: {states:?}");
    let kinds = follow_until_mined_again(&mut activity_feed, |data| {
        assert_eq!(data["addressActivity"]["txId"], losing);
        data["addressActivity"]["kind"].as_str().map(str::to_owned)
    })
    .await;
    assert_eq!(kinds, ["PENDING", "MINED"], "{kinds:?}");
}

/// A node that was down catches up when it comes back, from where it stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_node_catches_up() {
    let net = Net::new();
    let [db_a, db_b] = sqlite_databases().await;
    let a = node(&db_a, &[]).await;
    let miner = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT";
    net.mine(&a, 5, miner).await;
    let b = node(&db_b, &[&a]).await;
    net.converged(&[&a, &b], 4).await;
    drop(b);
    net.mine(&a, 30, miner).await;
    let b = node(&db_b, &[&a]).await;
    let (height, _) = net.converged(&[&a, &b], 34).await;
    assert_eq!(height, 34);
    // The peer's counts are updated just after the blocks are committed.
    let deadline = Instant::now() + Duration::from_secs(10);
    let peers = loop {
        let peers = net
            .ok(&b, "{ peers { state height blocksReceived } }", json!({}))
            .await;
        if peers["peers"][0]["blocksReceived"] == 30 || Instant::now() > deadline {
            break peers;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(peers["peers"][0]["blocksReceived"], 30, "{peers}");
    drop((a, b));
    verify(&db_b);
}

/// A node 1,200 blocks ahead of a peer that does not follow it (here a new, empty node on
/// PostgreSQL) announces its chain in `submitBlocks` batches of 500: a handful of requests, not
/// one per block, and the peer ends with the whole chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_far_ahead_announces_its_chain_in_a_few_requests() {
    let net = Net::new();
    let [db_a] = sqlite_databases().await;
    let db_b = TestDb::new(Backend::Postgres).await;
    let a = node(&db_a, &[]).await;
    let b = node(&db_b, &[]).await;
    let miner = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT";
    for _ in 0..2 {
        net.mine(&a, 600, miner).await;
    }
    let served = async |node: &Replica| -> u64 {
        let page = net
            .http
            .get(format!("{}/metrics", node.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let line = page
            .lines()
            .find(|l| l.starts_with("pocket_http_requests_total "))
            .unwrap();
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    let before = served(&b).await;
    net.add_peer(&a, &b).await;
    let deadline = Instant::now() + CONVERGE;
    let mut polls = 0;
    while net.tip(&b).await.0 != Some(1199) {
        polls += 1;
        assert!(Instant::now() < deadline, "B never took A's chain");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    polls += 1;
    let (_, tip) = net.converged(&[&a, &b], 1199).await;
    assert_eq!(net.tip(&b).await.1, Some(tip));
    // A's requests to B: its handshake, headers, the subscription's upgrade, the shared block,
    // then three batches (500, 500, 200). The rest are this test's own (its polls, the two
    // reads of the metrics).
    let from_a = served(&b).await - before - polls - 2;
    assert!(from_a <= 12, "{from_a} requests from A for 1,200 blocks");
    let peers = net.ok(&a, "{ peers { state lastError } }", json!({})).await;
    assert_eq!(peers["peers"][0]["lastError"], Value::Null, "{peers}");
    drop((a, b));
    verify(&db_b);
}

/// A new node (on PostgreSQL) following two peers with the same 10,000-block chain fetches its
/// bodies from both: each block from one of them, none twice, and the chain verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_come_from_several_peers() {
    let net = Net::new();
    let [db_a, db_b] = sqlite_databases().await;
    let db_c = TestDb::new(Backend::Postgres).await;
    let a = node(&db_a, &[]).await;
    let miner = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT";
    for _ in 0..10 {
        net.mine(&a, 1000, miner).await;
    }
    let b = node(&db_b, &[&a]).await;
    net.converged(&[&a, &b], 9999).await;
    let c = node(&db_c, &[&a, &b]).await;
    net.converged(&[&a, &b, &c], 9999).await;
    // A peer's count grows once the node has taken its blocks, so C's tip can show the last
    // block a moment before its sender's count does: read them once both catch-ups are over.
    let deadline = Instant::now() + CONVERGE;
    let peers = loop {
        let peers = net
            .ok(
                &c,
                "{ peers { url state blocksReceived lastError } }",
                json!({}),
            )
            .await;
        if peers["peers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["state"] == "FOLLOWING")
        {
            break peers;
        }
        assert!(Instant::now() < deadline, "C never followed both: {peers}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let peers = peers["peers"].as_array().unwrap();
    let received: Vec<u64> = peers
        .iter()
        .map(|p| p["blocksReceived"].as_u64().unwrap())
        .collect();
    println!("blocks received from each peer: {received:?}");
    assert!(received.iter().all(|r| *r > 0), "{peers:?}");
    assert_eq!(received.iter().sum::<u64>(), 10_000, "{peers:?}");
    assert!(peers.iter().all(|p| p["lastError"].is_null()), "{peers:?}");
    drop((a, b, c));
    verify(&db_c);
}

/// `peersChanged` gives the list at once, then again as a peer is added, connects, catches up
/// and is removed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peers_changed_follows_a_peer_from_added_to_removed() {
    let net = Net::new();
    let [db_a, db_b] = sqlite_databases().await;
    let a = node(&db_a, &[]).await;
    net.mine(&a, 3, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT").await;
    let b = node(&db_b, &[]).await;
    let mut feed = subscribe(
        &b.base,
        "graphql-transport-ws",
        "subscription { peersChanged { url state height } }",
    )
    .await;
    let mut next = async || {
        let event = tokio::time::timeout(CONVERGE, next_json(&mut feed))
            .await
            .expect("an answer");
        event["payload"]["data"]["peersChanged"].clone()
    };
    assert_eq!(next().await, json!([]), "the list at once");
    net.add_peer(&b, &a).await;
    let mut states = Vec::new();
    loop {
        let list = next().await;
        assert_eq!(list[0]["url"], a.base.as_str(), "{list}");
        let state = list[0]["state"].as_str().unwrap().to_owned();
        if states.last() != Some(&state) {
            states.push(state.clone());
        }
        if state == "FOLLOWING" {
            assert_eq!(list[0]["height"], 2, "{list}");
            break;
        }
    }
    // The latest list at most four times a second: on loopback the steps may all fall within one
    // interval, but never in another order.
    let order = ["CONNECTING", "SYNCING", "FOLLOWING"];
    let ranks: Vec<usize> = states
        .iter()
        .map(|s| order.iter().position(|o| o == s).expect("a known state"))
        .collect();
    assert!(ranks.is_sorted(), "{states:?}");
    net.gql(
        &b,
        "mutation($u: String!) { removePeer(url: $u) }",
        json!({ "u": a.base }),
    )
    .await;
    while next().await != json!([]) {}
    drop((a, b));
}

/// A fork deeper than a sync batch: B's own branch is longer than the first batch of A's, so
/// that batch has less work (held in memory, written nowhere), and the next one gives A's branch
/// as much and then more: B writes the branch whole and reorganises to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fork_deeper_than_a_batch_is_held_then_written_whole() {
    let net = Net::new();
    let [db_a, db_b] = sqlite_databases().await;
    let a = node(&db_a, &[]).await;
    net.mine(&a, 3, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT").await;
    let b = node(&db_b, &[&a]).await;
    net.converged(&[&a, &b], 2).await;
    drop(b);
    // Apart: A mines 130 blocks, B 120 (both from height 3).
    net.mine(&a, 130, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT")
        .await;
    let b = node(&db_b, &[]).await;
    let own = net
        .mine(&b, 120, "1CounterpartyXXXXXXXXXXXXXXXUWLpVr")
        .await;
    let own_first = own["mineBlocks"][0]["hash"].clone();
    let mut reorgs = subscribe(
        &b.base,
        "graphql-transport-ws",
        "subscription { chainReorganized { forkHeight disconnected connected } }",
    )
    .await;
    net.add_peer(&b, &a).await;
    let (height, tip) = net.converged(&[&a, &b], 132).await;
    assert_eq!(height, 132);
    let event = tokio::time::timeout(CONVERGE, next_json(&mut reorgs))
        .await
        .expect("a reorganisation is announced");
    let reorg = &event["payload"]["data"]["chainReorganized"];
    assert_eq!(reorg["forkHeight"], 2, "{event}");
    assert_eq!(reorg["disconnected"].as_array().unwrap().len(), 120);
    assert_eq!(reorg["disconnected"][0], own_first);
    assert!(
        reorg["connected"].as_array().unwrap().len() >= 121,
        "{event}"
    );
    let state = net
        .ok(
            &b,
            "{ chain { tipHash sideBlocks } peers { state lastError } }",
            json!({}),
        )
        .await;
    assert_eq!(state["chain"]["tipHash"], tip);
    // B's own branch, now stale, is kept beside the main chain.
    assert_eq!(state["chain"]["sideBlocks"], 120, "{state}");
    assert_eq!(state["peers"][0]["lastError"], Value::Null, "{state}");
    drop((a, b));
    verify(&db_b);
}

/// A block larger than `/graphql` takes (`--max-body-bytes`, 256 KiB) is taken at the block
/// route, and a node announces it to its peer there; the route runs nothing but `submitBlock`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_larger_than_an_ordinary_request_travels_by_the_block_route() {
    let net = Net::new();
    let [db_a, db_b] = sqlite_databases().await;
    let b = node(&db_b, &[]).await;
    let a = node(&db_a, &[&b]).await;
    let build = network_builder();
    let own = build.key.public_key().address().to_string();
    let genesis = net.mine(&a, 1, &own).await;
    net.converged(&[&a, &b], 0).await;
    let g = ChainTip {
        hash: genesis["mineBlocks"][0]["hash"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap(),
        height: 0,
    };
    let big = a_large_block(&net, &a, &build, &g).await;
    let body = json!({
        "query": "mutation($r: String!) { submitBlock(rawHex: $r) { status } }",
        "variables": { "r": hex::encode(big.encode()) },
    });
    let ordinary = net
        .http
        .post(format!("{}/graphql", a.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(ordinary.status(), 413);
    let answer: Value = net
        .http
        .post(format!("{}/graphql/blocks", a.base))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer["data"]["submitBlock"]["status"], "CONNECTED",
        "{answer}"
    );
    // A announces it to B, whose /graphql would refuse it.
    let (_, tip) = net.converged(&[&a, &b], 1).await;
    assert_eq!(tip, big.hash().to_string());
    let peers = net.ok(&a, "{ peers { lastError } }", json!({})).await;
    assert_eq!(peers["peers"][0]["lastError"], Value::Null, "{peers}");

    only_submit_block_is_answered_there(&net, &a).await;
    slow_large_bodies_do_not_hold_up_an_ordinary_block(&net, &a, &build, &big).await;

    its_own_body_limits(&net, &a).await;
    drop((a, b));
    verify(&db_b);
}

/// 1,600 payments in a chain, each spending the one before (the first the genesis coinbase), in
/// one block on `g`: about 290 KB, 580 KB in hex.
async fn a_large_block(net: &Net, a: &Replica, build: &ChainBuilder, g: &ChainTip) -> Block {
    // coinbase): about 290 KB, 580 KB in hex.
    let mut payments: Vec<Transaction> = Vec::new();
    let mut coin = OutPoint {
        txid: coinbase_txid_on(net, a, g).await,
        vout: 0,
    };
    for _ in 0..1_600 {
        let payment = build.spend(&[coin]);
        coin = OutPoint {
            txid: payment.txid(),
            vout: 0,
        };
        payments.push(payment);
    }
    build.block(Some(g), payments, 1_700_000_000)
}

/// Anything but `submitBlock` is refused at the block route, with a code.
async fn only_submit_block_is_answered_there(net: &Net, a: &Replica) {
    for query in [
        "{ chain { height } }",
        "mutation { submitBlock(rawHex: \"00\") { status } newWallet { address } }",
    ] {
        let refused = net
            .http
            .post(format!("{}/graphql/blocks", a.base))
            .json(&json!({ "query": query }))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 400, "{query}");
        let refused: Value = refused.json().await.unwrap();
        assert_eq!(refused["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    }
}

/// Two clients sending large bodies slowly hold both turns for large bodies; an ordinary block
/// does not wait for them.
async fn slow_large_bodies_do_not_hold_up_an_ordinary_block(
    net: &Net,
    a: &Replica,
    build: &ChainBuilder,
    big: &Block,
) {
    let mut slow = Vec::new();
    for _ in 0..2 {
        let mut stream = tokio::net::TcpStream::connect(a.base.trim_start_matches("http://"))
            .await
            .unwrap();
        let head = format!(
            "POST /graphql/blocks HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{{",
            10 << 20
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        slow.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let next = build.block(Some(&tip_of(big, 1)), vec![], 1_700_000_001);
    let answer: Value = net
        .http
        .post(format!("{}/graphql/blocks", a.base))
        .timeout(Duration::from_secs(10))
        .json(&json!({
            "query": "mutation($r: String!) { submitBlock(rawHex: $r) { status } }",
            "variables": { "r": hex::encode(next.encode()) },
        }))
        .send()
        .await
        .expect("an ordinary block is not held up by slow large ones")
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer["data"]["submitBlock"]["status"], "CONNECTED",
        "{answer}"
    );
    drop(slow);
}

/// The block route's own limits: a body larger than any block in hex, and a body that is not
/// JSON.
async fn its_own_body_limits(net: &Net, a: &Replica) {
    let huge = json!({ "query": "mutation { submitBlock(rawHex: \"\") { status } }", "pad": "0".repeat(17 << 20) });
    let refusals = [
        (
            net.http
                .post(format!("{}/graphql/blocks", a.base))
                .json(&huge),
            413,
        ),
        (
            net.http
                .post(format!("{}/graphql/blocks", a.base))
                .header("content-type", "text/plain")
                .body("mutation { submitBlock(rawHex: \"00\") { status } }"),
            415,
        ),
    ];
    for (request, status) in refusals {
        let refused = request.send().await.unwrap();
        assert_eq!(refused.status(), status);
        let refused: Value = refused.json().await.unwrap();
        assert_eq!(refused["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    }
}

/// The txid of the coinbase of block `tip` on `node`, from its raw bytes.
async fn coinbase_txid_on(net: &Net, node: &Replica, tip: &ChainTip) -> pocket_chain::chain::Txid {
    let raw = net
        .ok(
            node,
            "query($h: String!) { rawBlock(hash: $h) }",
            json!({ "h": tip.hash.to_string() }),
        )
        .await;
    let bytes = hex::decode(raw["rawBlock"].as_str().unwrap()).unwrap();
    Block::decode(&bytes).unwrap().transactions[0].txid()
}

async fn submit(net: &Net, node: &Replica, block: &Block) -> Value {
    net.gql(
        node,
        "mutation($r: String!) { submitBlock(rawHex: $r) { status height mainChain tipHeight } }",
        json!({ "r": hex::encode(block.encode()) }),
    )
    .await
}

fn refused_as(answer: &Value, check: &str) {
    let error = &answer["errors"][0];
    assert_eq!(error["extensions"]["code"], "INVALID_BLOCK", "{answer}");
    assert_eq!(error["extensions"]["check"], check, "{answer}");
}

/// `submitBlock`: blocks on the tip connect, a branch that overtakes reorganises, a duplicate
/// changes nothing, an orphan is held until its parent comes; bad proof of work, a bad
/// signature, a double spend and a wrong height are refused by name and change nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submitted_blocks_are_placed_in_the_tree_or_refused() {
    let net = Net::new();
    let db = TestDb::new(Backend::Postgres).await;
    let n = node(&db, &[]).await;
    let build = network_builder();
    let genesis = build.block(None, vec![], 1_700_000_000);
    let g = tip_of(&genesis, 0);
    let one = build.block(Some(&g), vec![], 1_700_000_001);
    let two = build.block(Some(&tip_of(&one, 1)), vec![], 1_700_000_002);
    let chain = [&genesis, &one, &two];
    an_orphan_is_held_until_its_parent_comes(&net, &n, chain).await;
    let before = invalid_blocks_are_refused_by_name(&net, &n, &build, chain).await;
    stale_blocks_are_held_not_written(&net, &n, &build, &g, &before).await;
    let t3 = a_branch_with_more_work_reorganises(&net, &n, &build, &genesis).await;
    a_payment_whose_input_leaves_the_chain_is_rejected(&net, &n, &build, &t3).await;
    drop(n);
    verify(&db);
}

/// The chain's state as the steps compare it.
const CHAIN_STATE: &str = "{ chain { height tipHash totalSupply sideBlocks } }";

/// Genesis connects; its grandchild arrives before its parent: held, then connected with it; a
/// duplicate changes nothing.
async fn an_orphan_is_held_until_its_parent_comes(net: &Net, n: &Replica, chain: [&Block; 3]) {
    let [genesis, one, two] = chain;
    assert_eq!(
        submit(net, n, genesis).await["data"]["submitBlock"]["status"],
        "CONNECTED"
    );
    // Its child arrives before its parent: held, then connected with it.
    let held = submit(net, n, two).await;
    assert_eq!(held["data"]["submitBlock"]["status"], "HELD", "{held}");
    let parent = submit(net, n, one).await;
    assert_eq!(parent["data"]["submitBlock"]["status"], "CONNECTED");
    assert_eq!(net.tip(n).await.0, Some(2));
    let again = submit(net, n, two).await;
    assert_eq!(again["data"]["submitBlock"]["status"], "DUPLICATE");
}

/// Bad proof of work, a bad signature, a double spend, a wrong height and bytes that are no block
/// are refused by name and change nothing; returns the chain's state, unchanged.
async fn invalid_blocks_are_refused_by_name(
    net: &Net,
    n: &Replica,
    build: &ChainBuilder,
    chain: [&Block; 3],
) -> Value {
    let [genesis, one, two] = chain;
    let before = net.ok(n, CHAIN_STATE, json!({})).await;
    let t2 = tip_of(two, 2);
    // Bad proof of work: a nonce whose hash misses the difficulty.
    let mut weak = build.block(Some(&t2), vec![], 1_700_000_003);
    while pow::meets_difficulty(&weak.header.hash(), weak.header.bits) {
        weak.header.nonce += 1;
    }
    refused_as(&submit(net, n, &weak).await, "PROOF_OF_WORK");
    // A bad signature: a spend of the genesis coinbase with one signature byte changed.
    let mut forged = build.spend(&[coinbase_of(genesis)]);
    if let Witness::Signed { signature, .. } = &mut forged.inputs[0].witness {
        signature[10] ^= 1;
    }
    let forged = build.block(Some(&t2), vec![forged], 1_700_000_004);
    refused_as(&submit(net, n, &forged).await, "BAD_SIGNATURE");
    // A double spend: two transactions of one block spending the same coinbase.
    let first = build.spend(&[coinbase_of(genesis)]);
    let second = build.spend(&[coinbase_of(one), coinbase_of(genesis)]);
    let double = build.block(Some(&t2), vec![first, second], 1_700_000_005);
    refused_as(&submit(net, n, &double).await, "DUPLICATE_INPUT");
    // A wrong link: a block that claims a height its parent does not give it.
    let wrong = build.block(
        Some(&ChainTip {
            hash: two.hash(),
            height: 7,
        }),
        vec![],
        1_700_000_006,
    );
    refused_as(&submit(net, n, &wrong).await, "WRONG_HEIGHT");
    // Not a block at all.
    let junk = net
        .gql(
            n,
            "mutation { submitBlock(rawHex: \"00ff\") { status } }",
            json!({}),
        )
        .await;
    assert_eq!(junk["errors"][0]["extensions"]["check"], "DECODE", "{junk}");
    let after = net.ok(n, CHAIN_STATE, json!({})).await;
    assert_eq!(before, after, "refused blocks change nothing");

    after
}

/// Stale blocks with less work than the main chain are held in memory, never written: a flood of
/// them (cheap at this difficulty) leaves the database as it was.
async fn stale_blocks_are_held_not_written(
    net: &Net,
    n: &Replica,
    build: &ChainBuilder,
    g: &ChainTip,
    before: &Value,
) {
    for time in 0..50 {
        let stale = build.block_paying(Some(g), PubkeyHash([7; 20]), 1_700_000_300 + time);
        let answer = submit(net, n, &stale).await;
        assert_eq!(
            answer["data"]["submitBlock"]["status"], "LOW_WORK",
            "{answer}"
        );
        assert_eq!(answer["data"]["submitBlock"]["height"], 1);
    }
    let flooded = net.ok(n, CHAIN_STATE, json!({})).await;
    assert_eq!(before, &flooded, "stale blocks are not written");
}

/// A branch from genesis: its first block has less work than the main chain (held), the second
/// as much (both written as side blocks), the third more (the node reorganises, and a
/// subscriber hears the new branch). Returns the new tip.
async fn a_branch_with_more_work_reorganises(
    net: &Net,
    n: &Replica,
    build: &ChainBuilder,
    genesis: &Block,
) -> ChainTip {
    let g = tip_of(genesis, 0);
    let side_one = build.block(
        Some(&g),
        vec![build.spend(&[coinbase_of(genesis)])],
        1_700_000_100,
    );
    let side = submit(net, n, &side_one).await;
    assert_eq!(side["data"]["submitBlock"]["status"], "LOW_WORK", "{side}");
    assert_eq!(side["data"]["submitBlock"]["mainChain"], false);
    let unknown = net
        .gql(
            n,
            "query($h: String!) { block(hash: $h) { height } }",
            json!({ "h": side_one.hash().to_string() }),
        )
        .await;
    assert_eq!(unknown["data"]["block"], Value::Null, "{unknown}");
    let side_two = build.block(Some(&tip_of(&side_one, 1)), vec![], 1_700_000_101);
    let side = submit(net, n, &side_two).await;
    assert_eq!(
        side["data"]["submitBlock"]["status"], "SIDE_BRANCH",
        "{side}"
    );
    let kept = net
        .ok(
            n,
            "query($h: String!) { block(hash: $h) { height mainChain } chain { sideBlocks } }",
            json!({ "h": side_one.hash().to_string() }),
        )
        .await;
    assert_eq!(kept["block"]["mainChain"], false, "{kept}");
    assert_eq!(kept["chain"]["sideBlocks"], 2, "{kept}");
    // From genesis up, however late the subscription starts: the old branch's blocks if it
    // reads them before the reorganisation, then the new branch's from the fork up.
    let mut feed = subscribe(
        &n.base,
        "graphql-transport-ws",
        "subscription { blockMined(afterHeight: 0) { height hash } }",
    )
    .await;
    let side_three = build.block(Some(&tip_of(&side_two, 2)), vec![], 1_700_000_102);
    let won = submit(net, n, &side_three).await;
    assert_eq!(won["data"]["submitBlock"]["status"], "REORGANIZED", "{won}");
    assert_eq!(won["data"]["submitBlock"]["tipHeight"], 3);
    let mut delivered = Vec::new();
    while delivered.last() != Some(&(3, side_three.hash().to_string())) {
        let event = tokio::time::timeout(CONVERGE, next_json(&mut feed))
            .await
            .unwrap();
        let mined = &event["payload"]["data"]["blockMined"];
        let height = mined["height"].as_u64().expect("a block");
        delivered.push((height, mined["hash"].as_str().unwrap().to_owned()));
    }
    let branch: Vec<(u64, String)> = [(1, &side_one), (2, &side_two), (3, &side_three)]
        .into_iter()
        .map(|(height, block)| (height, block.hash().to_string()))
        .collect();
    assert!(delivered.ends_with(&branch), "{delivered:?}");
    assert!(
        delivered.len() == 3 || delivered.len() == 5,
        "{delivered:?}"
    );
    let tree = net
        .ok(
            n,
            "{ blockTree(depth: 4) { height hash mainChain } chain { sideBlocks } }",
            json!({}),
        )
        .await;
    assert_eq!(tree["chain"]["sideBlocks"], 2, "{tree}");
    assert_eq!(tree["blockTree"].as_array().unwrap().len(), 6, "{tree}");
    tip_of(&side_three, 3)
}

/// A pending payment spends the coinbase of a block that a reorganisation then takes away (the
/// winning branch pays another key): it is rejected, not left pending.
async fn a_payment_whose_input_leaves_the_chain_is_rejected(
    net: &Net,
    n: &Replica,
    build: &ChainBuilder,
    t3: &ChainTip,
) {
    let four = build.block(Some(t3), vec![], 1_700_000_200);
    assert_eq!(
        submit(net, n, &four).await["data"]["submitBlock"]["status"],
        "CONNECTED"
    );
    let orphaned = build.spend(&[coinbase_of(&four)]);
    let pooled = net
        .ok(
            n,
            "mutation($r: String!) { submitTransaction(rawHex: $r) { status } }",
            json!({ "r": hex::encode(orphaned.encode()) }),
        )
        .await;
    assert_eq!(pooled["submitTransaction"]["status"], "PENDING", "{pooled}");
    let elsewhere = SecretKey::from_bytes(&[11; 32])
        .unwrap()
        .public_key()
        .pubkey_hash();
    let other_four = build.block_paying(Some(t3), elsewhere, 1_700_000_201);
    let other_five = build.block_paying(Some(&tip_of(&other_four, 4)), elsewhere, 1_700_000_202);
    submit(net, n, &other_four).await;
    let moved = submit(net, n, &other_five).await;
    assert_eq!(
        moved["data"]["submitBlock"]["status"], "REORGANIZED",
        "{moved}"
    );
    assert!(net.status(n, &orphaned.txid().to_string()).await.is_null());
    let pool = net
        .ok(
            n,
            "{ pool(includeRejected: true) { nodes { status error } } }",
            json!({}),
        )
        .await;
    let entries = pool["pool"]["nodes"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{pool}");
    assert_eq!(entries[0]["status"], "REJECTED");
    assert!(
        entries[0]["error"]
            .as_str()
            .unwrap()
            .contains("left the chain"),
        "{pool}"
    );
}

/// A peer serving a block with a forged signature (its hash unchanged: signatures are outside
/// the txid) is refused at that block and marked; the node keeps what came before, and a second,
/// honest peer brings it the rest of the chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_serving_an_invalid_block_is_refused_and_marked() {
    let net = Net::new();
    let [db_bad, db_good, db_new] = sqlite_databases().await;
    let bad = node(&db_bad, &[]).await;
    net.ok(&bad, "mutation { resetSystem { address } }", json!({}))
        .await;
    let good = node(&db_good, &[&bad]).await;
    net.converged(&[&bad, &good], 9).await;
    net.remove_peer(&good, &bad).await;

    // Forge one signature of block 5 in the bad peer's database.
    let store = db_bad.store().await;
    let stored = pocket_chain::store::blocks::by_height(store.db(), 5)
        .await
        .unwrap()
        .unwrap();
    let mut block = stored.block.clone();
    if let Witness::Signed { signature, .. } = &mut block.transactions[1].inputs[0].witness {
        signature[20] ^= 1;
    } else {
        panic!("block 5 has a signed transaction");
    }
    assert_eq!(block.hash(), stored.hash, "signatures are outside the hash");
    use sea_orm::{ConnectionTrait, Statement};
    let backend = store.db().get_database_backend();
    store
        .db()
        .execute_raw(Statement::from_sql_and_values(
            backend,
            r#"UPDATE "b" SET "body" = ? WHERE "height" = 5"#,
            [block.encode().into()],
        ))
        .await
        .unwrap();

    let fresh = node(&db_new, &[&bad]).await;
    let deadline = Instant::now() + CONVERGE;
    let peer = loop {
        let peers = net
            .ok(&fresh, "{ peers { state lastError } }", json!({}))
            .await;
        let peer = peers["peers"][0].clone();
        if peer["state"] == "BANNED" && peer["lastError"].is_string() {
            break peer;
        }
        assert!(
            Instant::now() < deadline,
            "the bad peer is not marked: {peer}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let error = peer["lastError"].as_str().unwrap();
    assert!(
        error.contains("misbehaved") && error.contains("signature"),
        "{error}"
    );
    assert_eq!(
        net.tip(&fresh).await.0,
        Some(4),
        "blocks before the forged one are kept"
    );

    // An honest peer brings the rest; the forged block is not taken again.
    net.add_peer(&fresh, &good).await;
    let (height, _) = net.converged(&[&fresh, &good], 9).await;
    assert_eq!(height, 9);
    drop((bad, good, fresh));
    verify(&db_new);
}

/// Following needs no token; announcing to a peer whose API has one does: without it the peer
/// refuses (and the follower says so in `lastError`), with `--peer-token` it accepts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announcing_to_a_peer_with_an_api_token_needs_the_token() {
    let net = Net::new();
    let [db_a, db_b, db_c] = sqlite_databases().await;
    let bin = env!("CARGO_BIN_EXE_pocket");
    let a = Replica::start(
        bin,
        &db_a.url,
        &["--difficulty", BITS, "--api-token", "s3cret"],
    )
    .await;
    let miner = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT";
    let mined = net
        .http
        .post(format!("{}/graphql", a.base))
        .bearer_auth("s3cret")
        .json(&json!({ "query": format!("mutation {{ mineBlocks(count: 2, address: \"{miner}\") {{ height }} }}") }))
        .send()
        .await
        .unwrap();
    assert!(mined.status().is_success());
    let b = Replica::start(bin, &db_b.url, &["--difficulty", BITS, "--peer", &a.base]).await;
    let c = Replica::start(
        bin,
        &db_c.url,
        &[
            "--difficulty",
            BITS,
            "--peer",
            &a.base,
            "--peer-token",
            "s3cret",
        ],
    )
    .await;
    net.converged(&[&a, &b, &c], 1).await;

    net.mine(&b, 1, miner).await;
    let deadline = Instant::now() + CONVERGE;
    loop {
        let peers = net.ok(&b, "{ peers { lastError } }", json!({})).await;
        if let Some(error) = peers["peers"][0]["lastError"].as_str() {
            assert!(error.contains("UNAUTHORIZED"), "{error}");
            break;
        }
        assert!(Instant::now() < deadline, "no refusal recorded: {peers}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(net.tip(&a).await.0, Some(1), "A did not take B's block");

    let (height, _) = {
        net.mine(&c, 2, miner).await;
        net.converged(&[&a, &c], 3).await
    };
    assert_eq!(height, 3, "C's announcements carry the token");
}
