//! The node's use cases on both backends: the reference scenario, refusals that change nothing,
//! concurrency, restarts and crashes.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use pocket_chain::model::PoolEntry;
use pocket_chain::node::{Node, NodeError, parse_address};

use pocket_testkit::on_both_backends;
use pocket_testkit::{Backend, TestDb, addr, dump, keystore, reset, test_config};

on_both_backends!(
    reference_usage_example,
    reset_system_replays_the_training_scenario,
    refusals_change_nothing,
    concurrent_sends_and_mines_keep_the_chain_valid,
    two_nodes_on_one_database,
    restart_keeps_everything,
    killed_miner_loses_nothing_acknowledged,
    a_failing_pending_transaction_is_rejected_at_mining,
    reads_do_not_wait_for_a_nonce_search,
    a_send_gathers_many_small_coins,
    a_block_takes_hundreds_of_pending_payments,
    an_address_a_block_empties_keeps_only_its_spent_total,
);

/// A refused send: from, to, amount, and what the error must be.
type Refusal<'a> = (&'a str, &'a str, i64, fn(&NodeError) -> bool);

fn ok<T>(r: Result<T, NodeError>) -> T {
    r.unwrap_or_else(|e| panic!("unexpected error: {e}"))
}

/// Two new wallets, the first paid by the genesis block; their addresses.
async fn two_wallets_and_genesis(node: &Node) -> Vec<String> {
    let a: Vec<String> = [ok(node.new_wallet().await), ok(node.new_wallet().await)]
        .iter()
        .map(|w| w.address.to_string())
        .collect();
    ok(node.init_system(&addr(&a[0])).await);
    a
}

async fn balances(node: &Node, addresses: &[String]) -> Vec<u64> {
    let mut out = Vec::new();
    for a in addresses {
        out.push(ok(node.balance(&addr(a)).await));
    }
    out
}

async fn reference_usage_example(backend: Backend) {
    let db = TestDb::new(backend).await;
    let node = db.node().await;
    let mut a = Vec::new();
    for _ in 0..8 {
        a.push(ok(node.new_wallet().await).address.to_string());
    }
    ok(node.init_system(&addr(&a[0])).await);
    for (to, amount) in [(1, 3), (2, 2), (3, 1), (4, 1), (5, 1), (6, 1), (7, 1)] {
        ok(node.send(&a[0], &a[to], amount).await);
        ok(node.mine_block(&addr(&a[0]), None).await);
    }
    for from in &a[1..] {
        ok(node.send(from, &a[0], 1).await);
    }
    ok(node.mine_block(&addr(&a[1]), Some(2)).await);
    ok(node.mine_block(&addr(&a[1]), Some(3)).await);
    assert_eq!(balances(&node, &a).await, vec![75, 22, 1, 0, 0, 0, 1, 1]);
    assert_eq!(ok(node.pool_count(false).await), 2);
    // a2 received 3, sent 1 back, and mined two blocks; a8's send back is still pending.
    let a2 = a[1].parse().unwrap();
    assert_eq!(ok(node.history_count(&a2).await), 4);
    let history = ok(node.address_history(&a2, None, 2).await);
    assert_eq!(history.len(), 2);
    assert!(history[0].location().height >= history[1].location().height);
    let older = ok(node
        .address_history(
            &a2,
            Some((history[1].location().height, history[1].location().position)),
            10,
        )
        .await);
    assert_eq!(older.len(), 2);
    assert_eq!(ok(node.history_count(&a[7].parse().unwrap()).await), 1);
    let report = ok(node.verify_chain(&|_, _| {}).await);
    assert_eq!((report.blocks, report.total_supply), (10, 100));
}

/// Coins are read in pages that grow (4, 16, 64, …): a payment needing 25 coins of 1 reads past
/// the first two pages, and one needing more than there are reads them all and says how much
/// there was.
/// A send takes as many coins as it needs, the oldest of equal value first.
async fn a_send_gathers_many_small_coins(backend: Backend) {
    let db = TestDb::new(backend).await;
    let node = db.node().await;
    let mut a = Vec::new();
    for _ in 0..3 {
        a.push(ok(node.new_wallet().await).address.to_string());
    }
    ok(node.init_system(&addr(&a[0])).await);
    let mut paid = Vec::new();
    for _ in 0..30 {
        let Ok(PoolEntry::Pending(payment)) = node.send(&a[0], &a[1], 1).await else {
            panic!("a payment was refused");
        };
        paid.push(payment.txid);
        ok(node.mine_block(&addr(&a[0]), None).await);
    }
    match node.send(&a[1], &a[0], 31).await {
        Err(NodeError::InsufficientFunds { available, .. }) => assert_eq!(available, 30),
        other => panic!("expected InsufficientFunds, got {other:?}"),
    }
    let Ok(PoolEntry::Pending(sent)) = node.send(&a[1], &a[0], 25).await else {
        panic!("the send of 25 coins was refused");
    };
    let block = ok(node.mine_block(&addr(&a[2]), None).await);
    let tx = block
        .block
        .transactions
        .iter()
        .find(|t| t.txid() == sent.txid)
        .expect("the payment is mined");
    assert_eq!(tx.inputs.len(), 25);
    // Coins of equal value are spent oldest first.
    let spent: std::collections::HashSet<_> =
        tx.inputs.iter().map(|i| i.previous_output.txid).collect();
    assert_eq!(spent, paid[..25].iter().copied().collect());
    assert_eq!(balances(&node, &a[1..2]).await, vec![5]);
}

/// A block of more pending payments than one removal statement takes: every mined entry leaves
/// the pool with the outputs it spent, and nothing else does.
async fn a_block_takes_hundreds_of_pending_payments(backend: Backend) {
    use sea_orm::{EntityTrait, PaginatorTrait};
    let db = TestDb::new(backend).await;
    let node = db.node().await;
    let a = two_wallets_and_genesis(&node).await;
    for _ in 0..31 {
        ok(node.mine_block(&addr(&a[0]), Some(0)).await);
    }
    let store = db.store().await;
    let spent = async || {
        entity::pool_inputs::Entity::find()
            .count(store.db())
            .await
            .unwrap()
    };
    for _ in 0..300 {
        ok(node.send(&a[0], &a[1], 1).await);
    }
    let before_last = spent().await;
    ok(node.send(&a[0], &a[1], 1).await);
    let last_spends = spent().await - before_last;
    let block = ok(node.mine_block(&addr(&a[1]), Some(300)).await);
    assert_eq!(block.block.transactions.len(), 301);
    assert_eq!(ok(node.pool_count(false).await), 1);
    assert_eq!(spent().await, last_spends);
    ok(node.mine_block(&addr(&a[1]), None).await);
    assert_eq!((ok(node.pool_count(false).await), spent().await), (0, 0));
    assert_eq!(balances(&node, &a).await, vec![320 - 301, 301 + 20]);
}

/// An address a block empties keeps its row, with nothing left and what it has spent (the
/// explorer's `sent`); taking the blocks back off restores it, and an address that held nothing
/// before them has no row again.
async fn an_address_a_block_empties_keeps_only_its_spent_total(backend: Backend) {
    use sea_orm::EntityTrait;
    let db = TestDb::new(backend).await;
    let node = db.node().await;
    let a = two_wallets_and_genesis(&node).await;
    let store = db.store().await;
    let rows = async || {
        let mut rows: Vec<(String, i64, i64)> = entity::balances::Entity::find()
            .all(store.db())
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.address, r.balance, r.spent))
            .collect();
        rows.sort();
        rows
    };
    let genesis = balances(&node, &a).await[0] as i64;
    let before = ok(node.snapshot(None).await);
    ok(node.mine_block(&addr(&a[0]), Some(0)).await);
    ok(node.send(&a[0], &a[1], 15).await);
    ok(node.mine_block(&addr(&a[1]), None).await);
    ok(node.send(&a[0], &a[1], 5).await);
    ok(node.mine_block(&addr(&a[1]), None).await);
    assert_eq!(balances(&node, &a).await, vec![0, 40]);
    let summary = ok(node.address_summary(&addr(&a[0])).await);
    assert_eq!((summary.balance, summary.received), (0, summary.sent));
    let mut expected = vec![
        (a[0].clone(), 0, summary.sent as i64),
        (a[1].clone(), 40, 0),
    ];
    expected.sort();
    assert_eq!(rows().await, expected);
    ok(node.verify_chain(&|_, _| {}).await);

    ok(node.revert(before.id).await);
    assert_eq!(rows().await, vec![(a[0].clone(), genesis, 0)]);
    ok(node.verify_chain(&|_, _| {}).await);
}

async fn reset_system_replays_the_training_scenario(backend: Backend) {
    let db = TestDb::new(backend).await;
    let node = db.node().await;
    ok(node.new_wallet().await);
    for _ in 0..2 {
        let wallets = ok(node
            .reset_system(pocket_chain::node::ResetTarget::Training)
            .await);
        let a: Vec<String> = wallets.iter().map(|w| w.address.to_string()).collect();
        assert_eq!(a.len(), 8);
        assert_eq!(balances(&node, &a).await, vec![75, 22, 1, 0, 0, 0, 1, 1]);
        assert_eq!(ok(node.pool_count(false).await), 2);
        assert_eq!(ok(node.wallet_count().await), 8);
        let info = ok(node.chain_info().await);
        assert_eq!(
            (info.height, info.total_supply, info.pool_size),
            (Some(9), 100, 2)
        );
        ok(node.verify_chain(&|_, _| {}).await);
    }
}

async fn refusals_change_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let node = db.node().await;
    let empty = ok(node.new_wallet().await).address.to_string();
    let outsider = pocket_chain::chain::SecretKey::generate()
        .unwrap()
        .public_key()
        .address()
        .to_string();
    // Before genesis, a send is refused as not initialized.
    assert!(matches!(
        node.send(&empty, &outsider, 1).await,
        Err(NodeError::NotInitialized)
    ));

    let wallets = ok(node
        .reset_system(pocket_chain::node::ResetTarget::Training)
        .await);
    let a: Vec<String> = wallets.iter().map(|w| w.address.to_string()).collect();
    let mut bad_checksum = a[0].clone();
    let last = bad_checksum.pop().unwrap();
    bad_checksum.push(if last == 'z' { 'y' } else { 'z' });
    let long = "x".repeat(10_000);

    let before = dump(db.store().await.db()).await;
    let rejected_before = ok(node.pool_count(true).await) - ok(node.pool_count(false).await);
    let sends = refused_sends(&a, &bad_checksum, &long, &outsider);
    for (from, to, amount, expected) in &sends {
        let err = node.send(from, to, *amount).await.expect_err("refused");
        assert!(
            expected(&err),
            "send({from:.20}, {to:.20}, {amount}) gave {err:?}"
        );
    }
    other_refusals(&node, &a, &bad_checksum).await;

    assert_eq!(
        dump(db.store().await.db()).await,
        before,
        "a refusal changed the chain"
    );
    // Each refused send is logged with its error text, truncated, and none locks its sender.
    let rejected = ok(node.pool(true, None, 500).await)
        .into_iter()
        .filter_map(|e| match e {
            PoolEntry::Refused(send) => Some(send),
            PoolEntry::Pending(_) => None,
        })
        .collect::<Vec<_>>();
    assert_eq!(rejected.len() as u64, rejected_before + sends.len() as u64);
    assert!(
        rejected
            .iter()
            .all(|e| e.from.len() <= 64 && !e.error.is_empty())
    );
    assert!(
        rejected
            .iter()
            .any(|e| e.error.contains("75 units available"))
    );
    ok(node.send(&a[0], &a[1], 5).await);
}

/// A refused send of each kind, with the error it must get.
fn refused_sends<'a>(
    a: &'a [String],
    bad_checksum: &'a str,
    long: &'a str,
    outsider: &'a str,
) -> Vec<Refusal<'a>> {
    vec![
        (bad_checksum, &a[1], 1, |e| {
            matches!(e, NodeError::InvalidAddress { field: "from", .. })
        }),
        (&a[0], "not-an-address", 1, |e| {
            matches!(e, NodeError::InvalidAddress { field: "to", .. })
        }),
        (long, &a[1], 1, |e| {
            matches!(e, NodeError::InvalidAddress { .. })
        }),
        (outsider, &a[1], 1, |e| {
            matches!(e, NodeError::UnknownWallet(_))
        }),
        (&a[0], &a[1], 0, |e| {
            matches!(e, NodeError::InvalidAmount(0))
        }),
        (&a[0], &a[1], -5, |e| {
            matches!(e, NodeError::InvalidAmount(-5))
        }),
        (&a[0], &a[1], 76, |e| {
            matches!(
                e,
                NodeError::InsufficientFunds {
                    available: 75,
                    requested: 76,
                    ..
                }
            )
        }),
        (&a[3], &a[1], 1, |e| {
            matches!(e, NodeError::InsufficientFunds { available: 0, .. })
        }),
        // Its one coin is spent by its pending send, which has no change to chain on.
        (&a[6], &a[1], 1, |e| {
            matches!(e, NodeError::InsufficientFunds { available: 0, .. })
        }),
        (&a[0], &a[0], 1, |e| matches!(e, NodeError::SameAddress(_))),
    ]
}

/// Refusals other than sends: a bad address argument, a transaction count out of range, a
/// second genesis.
async fn other_refusals(node: &Node, a: &[String], bad_checksum: &str) {
    let err = parse_address("address", bad_checksum).expect_err("refused");
    assert!(
        matches!(
            err,
            NodeError::InvalidAddress {
                field: "address",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(matches!(
        node.mine_block(&addr(&a[0]), Some(-1)).await,
        Err(NodeError::InvalidTxCount { .. })
    ));
    assert!(matches!(
        node.mine_block(&addr(&a[0]), Some(1_000_000)).await,
        Err(NodeError::InvalidTxCount { .. })
    ));
    assert!(matches!(
        node.init_system(&addr(&a[0])).await,
        Err(NodeError::AlreadyInitialized)
    ));
}

async fn a_failing_pending_transaction_is_rejected_at_mining(backend: Backend) {
    // A pending transaction whose input vanished from the chainstate (deleted behind the node's
    // back) is rejected when mining, and its sender unlocked; the rest of the pool is mined.
    let db = TestDb::new(backend).await;
    let node = db.node().await;
    let a = reset(&node).await;
    let pending = pocket_chain::store::pool::oldest_pending(db.store().await.db(), 10)
        .await
        .unwrap();
    assert_eq!(pending.len(), 2);
    // Spend the pending transaction's input behind the pool's back.
    let input = pending[0].tx.inputs[0].previous_output;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    entity::utxos::Entity::delete_many()
        .filter(entity::utxos::Column::Txid.eq(input.txid.to_string()))
        .filter(entity::utxos::Column::Vout.eq(i64::from(input.vout)))
        .exec(db.store().await.db())
        .await
        .unwrap();
    let mut events = node.subscribe();
    let block = ok(node.mine_block(&addr(&a[0]), Some(5)).await);
    assert_eq!(
        block.block.transactions.len(),
        2,
        "the valid pending transaction is mined, the broken one not"
    );
    assert_eq!(ok(node.pool_count(false).await), 0);
    let rejected = ok(node.pool(true, None, 50).await);
    assert!(rejected.iter().any(|e| matches!(e,
        PoolEntry::Refused(send)
            if send.id == pending[0].entry.id && send.error.contains("rejected when mining"))));
    // Its sender is unlocked again.
    let sender = pending[0].entry.from.to_string();
    assert!(ok(node.pending_of(&addr(&sender)).await).is_none());
    // The block and the eviction (a pending entry moved to the refusal log) are announced (on
    // PostgreSQL through the relay, so wait).
    let (mut block_seen, mut rejection_seen) = (false, false);
    while !(block_seen && rejection_seen) {
        let event = tokio::time::timeout(std::time::Duration::from_secs(5), events.recv())
            .await
            .expect("announced within 5 s")
            .expect("channel open");
        match event {
            pocket_chain::node::NodeEvent::BlockMined(_) => block_seen = true,
            pocket_chain::node::NodeEvent::PoolChanged {
                kind: pocket_chain::node::PoolChangeKind::Evicted,
                ..
            } => rejection_seen = true,
            _ => {}
        }
    }
}

async fn concurrent_sends_and_mines_keep_the_chain_valid(backend: Backend) {
    let db = TestDb::new(backend).await;
    let node = db.node().await;
    let a = reset(&node).await;
    hammer(std::slice::from_ref(&node), &a, 6).await;
    check_chain(&node).await;
}

async fn two_nodes_on_one_database(backend: Backend) {
    let db = TestDb::new(backend).await;
    let first = db.node().await;
    let a = reset(&first).await;
    let second = db.node().await;
    hammer(&[first.clone(), second.clone()], &a, 5).await;
    check_chain(&first).await;
    assert_eq!(ok(first.chain_info().await), ok(second.chain_info().await));
}

/// Many tasks on the given nodes mixing sends (many refused: locked, insufficient) and mines.
async fn hammer(nodes: &[Arc<Node>], a: &[String], rounds: usize) {
    let mut tasks = Vec::new();
    for (i, from) in a.iter().enumerate() {
        let node = nodes[i % nodes.len()].clone();
        let from = from.clone();
        let to = a[(i + 1) % a.len()].clone();
        tasks.push(tokio::spawn(async move {
            for round in 0..rounds {
                match node.send(&from, &to, 1 + (round as i64 % 2)).await {
                    Ok(_)
                    | Err(NodeError::WalletLocked { .. } | NodeError::InsufficientFunds { .. }) => {
                    }
                    Err(e) => panic!("send failed: {e}"),
                }
                if i % 2 == 0 {
                    ok(node.mine_block(&addr(&from), Some(3)).await);
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
}

async fn check_chain(node: &Node) {
    let report = ok(node.verify_chain(&|_, _| {}).await);
    let info = ok(node.chain_info().await);
    assert_eq!(info.height, Some(report.blocks - 1));
    assert_eq!(
        info.total_supply,
        10 * report.blocks,
        "supply is reward × blocks"
    );
    let blocks = ok(node.blocks(None, 10_000).await);
    let heights: Vec<u64> = blocks.iter().rev().map(|b| b.height).collect();
    assert_eq!(
        heights,
        (0..report.blocks).collect::<Vec<_>>(),
        "heights unique and contiguous"
    );
    let mut spent = HashSet::new();
    for b in &blocks {
        for tx in &b.block.transactions[1..] {
            for input in &tx.inputs {
                assert!(
                    spent.insert(input.previous_output),
                    "{} spent twice",
                    input.previous_output
                );
            }
        }
    }
}

async fn restart_keeps_everything(backend: Backend) {
    let db = TestDb::new(backend).await;
    let node = db.node().await;
    let a = reset(&node).await;
    let before = dump(db.store().await.db()).await;
    drop(node);
    let node = db.node().await;
    assert_eq!(dump(db.store().await.db()).await, before);
    assert_eq!(balances(&node, &a).await, vec![75, 22, 1, 0, 0, 0, 1, 1]);
    // The reopened keystore still signs: the first wallet can send.
    ok(node.send(&a[0], &a[2], 10).await);
    ok(node.mine_block(&addr(&a[0]), None).await);
    assert_eq!(ok(node.balance(&addr(&a[2])).await), 11);
}

async fn killed_miner_loses_nothing_acknowledged(backend: Backend) {
    let db = TestDb::new(backend).await;
    let node = db.node().await;
    let miner = ok(node.new_wallet().await).address.to_string();
    drop(node);
    let mut acknowledged: Vec<(u64, String)> = Vec::new();
    for round in 0..4u64 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pocket"))
            .env("POCKET_ACCOUNTS", "0")
            .args(["mine", &miner, "--database-url", &db.url])
            .args(["--mining-threads", "1"])
            .env("POCKET_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start pocket mine");
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<_>>()
        });
        std::thread::sleep(Duration::from_millis(300 + 170 * round));
        child.kill().expect("SIGKILL");
        child.wait().ok();
        for line in reader.join().unwrap() {
            let mut parts = line.split_whitespace().skip(1);
            let height = parts.next().unwrap().parse().unwrap();
            acknowledged.push((height, parts.next().unwrap().to_owned()));
        }
        let node = Node::open(db.store().await, test_config(), keystore())
            .await
            .expect("reopens after a crash");
        ok(node.verify_chain(&|_, _| {}).await);
        for (height, hash) in &acknowledged {
            let block = ok(node.block_by_height(*height).await).expect("acknowledged block kept");
            assert_eq!(&block.hash.to_string(), hash);
        }
    }
    assert!(
        acknowledged.len() > 4,
        "the child mined something before each kill"
    );
}

async fn reads_do_not_wait_for_a_nonce_search(backend: Backend) {
    // At 30 bits a block takes about a billion hashes: the search is still running while we read.
    let db = TestDb::new(backend).await;
    let mut config = test_config();
    config.params.difficulty_bits = 30;
    let node = Arc::new(
        Node::open(db.store().await, config, keystore())
            .await
            .unwrap(),
    );
    let miner = ok(node.new_wallet().await).address.to_string();
    let mining = {
        let node = node.clone();
        tokio::spawn(async move { node.mine_block(&addr(&miner), Some(0)).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    for _ in 0..5 {
        ok(node.chain_info().await);
        ok(node.wallets(None, 10).await);
    }
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "reads took {:?} during a search",
        started.elapsed()
    );
    assert!(!mining.is_finished(), "the search should still be running");
    // Shutting down cancels the search; nothing is written.
    node.shutdown();
    let result = tokio::time::timeout(Duration::from_secs(10), mining)
        .await
        .expect("cancelled promptly")
        .unwrap();
    assert!(matches!(result, Err(NodeError::ShuttingDown)), "{result:?}");
    assert_eq!(ok(node.chain_info().await).height, None);
}
