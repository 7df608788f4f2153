//! The floors under Pocket's durable writes on this machine, next to Anvil's whole operation:
//! parts of Pocket's work measured in process (no HTTP, no GraphQL) on a SQLite database the
//! store opens as the server opens its own (WAL, `synchronous = FULL`), some with the time of a
//! request that does nothing (`{ __typename }`) to a Pocket server added. Where a floor alone is
//! slower than Anvil's whole operation, no change above the store can bring that row to 1.0.

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use pocket_chain::chain::{Block, BlockHash, ChainTip, Params, SecretKey, pow};
use pocket_chain::node::search_helpers;
use pocket_chain::store::{self, blocks, snapshots};
use pocket_testkit::{Backend, TestDb};
use sea_orm::ConnectionTrait;

use crate::ops::Client;
use crate::{Figure, median, timed};

/// Blocks a revert undoes, as in the revert rows.
const REVERTED: i64 = 100;

/// The floor rows, each with Anvil's matching operation measured alternately in the same loop.
/// `pocket` is a Pocket server, for the cost of a request that does nothing.
pub async fn rows(pocket: &Client, anvil: &Client, reps: usize) -> Vec<(&'static str, Figure)> {
    let db = TestDb::new(Backend::Sqlite).await;
    let node = db.node().await;
    let store = db.store().await;
    let miner = SecretKey::from_bytes(&[1; 32])
        .expect("a key")
        .public_key()
        .address();
    node.init_system(&miner).await.expect("genesis");
    store
        .db()
        .execute_unprepared("CREATE TABLE floor_probe (id INTEGER PRIMARY KEY, note TEXT)")
        .await
        .expect("the probe's table");

    // On a new chain, as in the transfer + mine row. Two commits and a block's nonce search, as
    // the node does them: what a transfer and a mined block cost at least, before HTTP, GraphQL,
    // signing or any read.
    anvil.set_auto(false).await;
    let (mut pair, mut anvil_pair) = (Vec::new(), Vec::new());
    for rep in 0..reps {
        let started = Instant::now();
        for commit in 0..2 {
            commit_one(&store, reps * (1 + commit) + rep).await;
        }
        nonce_search(&miner, rep as u64);
        pair.push(started.elapsed());
        anvil_pair.push(
            timed(async {
                anvil.transfer(0, 1).await;
                anvil.mine().await;
            })
            .await,
        );
    }
    anvil.set_auto(true).await;

    // An AUTO send's least: a request, one durable commit, one nonce search.
    let (mut auto, mut anvil_auto) = (Vec::new(), Vec::new());
    for rep in 0..reps {
        let started = Instant::now();
        pocket.nothing().await;
        commit_one(&store, reps * 3 + rep).await;
        nonce_search(&miner, (reps + rep) as u64);
        auto.push(started.elapsed());
        anvil_auto.push(timed(anvil.transfer_mined(0, 1)).await);
    }

    node.mine_blocks(&miner, 1000, Some(0), |_| {})
        .await
        .expect("a chain");
    anvil.mine_many(1000).await;

    let (mut commit, mut answered, mut anvil_snapshot) = (Vec::new(), Vec::new(), Vec::new());
    for rep in 0..reps {
        let request = timed(pocket.nothing()).await;
        let started = Instant::now();
        commit_one(&store, rep).await;
        commit.push(started.elapsed());
        answered.push(request + started.elapsed());
        anvil_snapshot.push(
            timed(async {
                anvil.snapshot().await;
            })
            .await,
        );
    }

    let snapshot = node.snapshot(None).await.expect("a snapshot");
    let (mut work, mut revert, mut anvil_revert) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..(reps / 10).max(3) {
        node.mine_blocks(&miner, REVERTED, Some(0), |_| {})
            .await
            .expect("blocks to revert");
        // The revert's statements as the node runs them, rolled back: SQLite's work and the
        // statements' round trips, without the commit.
        let started = Instant::now();
        let txn = store.begin_write().await.expect("a transaction");
        snapshots::revert(&txn, &snapshot).await.expect("a revert");
        blocks::tip(&txn).await.expect("the tip");
        store::rollback(txn).await.expect("a rollback");
        work.push(started.elapsed());
        revert.push(
            timed(async { node.revert(snapshot.id).await.map(drop).expect("a revert") }).await,
        );

        let id = anvil.snapshot().await;
        anvil.mine_many(REVERTED as u32).await;
        anvil_revert.push(timed(anvil.revert(&id)).await);
    }
    let (anvil_snapshot, anvil_revert) = (median(anvil_snapshot), median(anvil_revert));
    vec![
        (
            "floor: two one-row durable commits and a nonce search, in process (vs Anvil's transfer + mine)",
            Figure::Time(median(pair), median(anvil_pair)),
        ),
        (
            "floor: one row committed durably, in process, in one round trip (vs Anvil's snapshot)",
            Figure::Time(median(commit), anvil_snapshot),
        ),
        (
            "floor: a request that does nothing, plus that commit (vs Anvil's snapshot)",
            Figure::Time(median(answered), anvil_snapshot),
        ),
        (
            "floor: a request that does nothing, one such commit and a nonce search (vs Anvil's automine transfer + receipt)",
            Figure::Time(median(auto), median(anvil_auto)),
        ),
        (
            "floor: revert 100 empty blocks, in process (vs Anvil's revert over HTTP)",
            Figure::Time(median(revert), anvil_revert),
        ),
        (
            "floor: the same revert's statements, rolled back instead of committed",
            Figure::Time(median(work), anvil_revert),
        ),
    ]
}

/// Row `id` committed durably: BEGIN, one row, COMMIT in one script, one round trip to the
/// connection's thread.
async fn commit_one(store: &store::Store, id: usize) {
    let script = format!("BEGIN IMMEDIATE; INSERT INTO floor_probe VALUES ({id}, 'x'); COMMIT");
    store
        .db()
        .execute_unprepared(&script)
        .await
        .expect("a commit");
}

/// A block's nonce search at the default difficulty, as the node runs it (the first nonces on
/// this thread with a helper, the rest on two); `seed` varies the header.
fn nonce_search(miner: &pocket_chain::chain::Address, seed: u64) {
    let mut hash = [0; 32];
    hash[..8].copy_from_slice(&seed.to_le_bytes());
    let tip = ChainTip {
        hash: BlockHash(hash),
        height: seed,
    };
    let params = Params::default();
    let header =
        Block::candidate(Some(&tip), miner.pubkey_hash(), Vec::new(), &params, seed).header;
    if pow::search_first(&header, search_helpers(2)).is_none() {
        pow::search_from(&header, pow::FIRST_NONCES, 2, &AtomicBool::new(false), None)
            .expect("a nonce");
    }
}
