//! The use cases: the only layer that decides. It validates requests against the chain state,
//! makes writers take turns (in this process with a mutex, across processes through the store's
//! write lock), commits each change in one database transaction, and announces it afterwards.

mod archive;
mod chain_params;
mod dev;
mod error;
mod events;
mod keystore;
mod known_version;
mod mining;
mod read;
mod relay;
mod tree;
mod write;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::{Mutex, broadcast};

use crate::chain::{Address, Params, SecretKey};
use crate::model::Wallet;
use crate::store::wallets;
use crate::store::{Db, Store, blocks, notify, pool};

pub use crate::chain::MAX_BLOCK_BYTES;
// The read models the node answers with, where callers have always found them.
pub use crate::model::{
    AddressSummary, BlockAccepted, BlockStatus, ChainInfo, MiningSample, TreeBlock, VerifyReport,
    WalletInfo,
};
pub use crate::store::standbys::{current_scope as current_read_scope, within as read_within};
pub use crate::store::{ReadConfig, ReadScope, StandbyStatus};
pub use archive::transfer::ImportReport;
pub use chain_params::describe as describe_params;
pub use dev::accounts::{DEV_GENESIS_TIME, DevAccountBalance, DevAccounts};
pub use dev::reset::ResetTarget;
pub use error::{InvalidTx, NodeError, NodeResult};
pub use events::{NodeEvent, PoolChangeKind};
pub use keystore::Keystore;
pub use mining::clock::MAX_TIME_STEP;
pub use mining::mine_many::MAX_BLOCKS_PER_CALL;
pub use mining::progress::MiningWatch;
pub use mining::search_helpers::search_helpers;
pub use mining::settings::{MAX_INTERVAL_SECONDS, MiningChange};
pub use read::address::MAX_PENDING_LISTED;
pub use read::lab::{BlockLab, BlockPatch, OutputPatch};
pub use tree::accept::decode_block;
pub use tree::held::MAX_HELD_BLOCKS;
pub use tree::locator::{MAX_HEADERS, MAX_LOCATOR};
pub use write::batch::Sent;
pub use write::build::MAX_BUILT_INPUTS;
pub use write::policy::PoolPolicy;
pub use write::submit::MAX_TX_BYTES;

/// How a node runs.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Reward, difficulty, block size.
    pub params: Params,
    /// Threads for the nonce search.
    pub mining_threads: usize,
    /// Rejected sends kept in the pool log.
    pub rejected_cap: u64,
    /// Announcements kept for slow subscribers before they lag (and catch up from the database).
    pub event_buffer: usize,
    /// Dev accounts: on a new chain whose premine is theirs, their wallets and the genesis are
    /// created at open.
    pub accounts: Option<DevAccounts>,
    /// Whether payments may spend pending transactions' outputs.
    pub pool_policy: PoolPolicy,
    /// No other process writes the database (a server holding a SQLite database's lock): the node
    /// then knows its state version without reading it.
    pub sole_writer: bool,
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            params: Params::default(),
            mining_threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            rejected_cap: 1000,
            event_buffer: 1024,
            accounts: None,
            pool_policy: PoolPolicy::default(),
            sole_writer: false,
        }
    }
}

/// A Pocket Chain node over one database.
#[derive(Debug)]
pub struct Node {
    store: Store,
    config: NodeConfig,
    keystore: Keystore,
    writer: Mutex<()>,
    send_queue: std::sync::Mutex<write::batch::SendQueue>,
    events: broadcast::Sender<NodeEvent>,
    cancel: Arc<AtomicBool>,
    /// Receivers left out of [`Node::subscriber_count`]: the node's own (the interval
    /// scheduler), and feeds still finding where they start.
    own_receivers: AtomicUsize,
    /// `miningProgress` watchers; while there are any, searches report progress.
    mining_watchers: AtomicUsize,
    /// The nonce search running now, when watched.
    running_search: std::sync::Mutex<Option<mining::progress::RunningSearch>>,
    /// The last figures of the latest watched search that ended.
    finished_search: std::sync::Mutex<Option<MiningSample>>,
    /// The PostgreSQL notification relay (none on SQLite).
    relay: Option<relay::Relay>,
    /// Blocks from outside waiting for their parent.
    held: tree::held::HeldBlocks,
    /// The chain's parameters: `config.params` until a reset starts another chain (with another
    /// premine).
    params: relay::SharedParams,
    /// The dev accounts of the premine they were derived for.
    known_accounts: std::sync::Mutex<Option<(crate::chain::Premine, Option<DevAccounts>)>>,
    /// The state version, when this process is the only writer.
    known_version: known_version::KnownVersion,
    /// Blocks as pages show them, by hash.
    memo: read::block_memo::BlockMemo,
}

impl Node {
    /// Opens a node over `store`, checking that the tip names the last stored block.
    pub async fn open(store: Store, config: NodeConfig, keystore: Keystore) -> NodeResult<Self> {
        config.params.validate()?;
        let db = store.db();
        let tip = blocks::tip(db).await?;
        let max = blocks::max_height(db).await?;
        match (&tip, max) {
            (None, None) => {}
            (Some(tip), Some(max)) if max == tip.height => {
                let block = blocks::by_height(db, tip.height).await?;
                if block.map(|b| b.hash) != Some(tip.hash) {
                    return Err(NodeError::Inconsistent(format!(
                        "tip {} is not the block at height {}",
                        tip.hash, tip.height
                    )));
                }
            }
            (tip, max) => {
                return Err(NodeError::Inconsistent(format!(
                    "tip at height {:?} but the highest stored block is at {max:?}",
                    tip.map(|t| t.height)
                )));
            }
        }
        chain_params::settle(&store, &config.params, tip.is_some()).await?;
        let (events, _) = broadcast::channel(config.event_buffer.max(1));
        let params: relay::SharedParams = Arc::new(std::sync::RwLock::new(config.params.clone()));
        let relay = if store.is_postgres() {
            let burst = events::burst_for(config.event_buffer);
            Some(relay::Relay::start(store.clone(), events.clone(), params.clone(), burst).await?)
        } else {
            None
        };
        let known_version = known_version::KnownVersion::new(
            config.sole_writer,
            crate::store::version::current(store.db()).await?,
        );
        let node = Self {
            store,
            params,
            known_accounts: std::sync::Mutex::new(None),
            config,
            keystore,
            writer: Mutex::new(()),
            send_queue: std::sync::Mutex::default(),
            events,
            cancel: Arc::new(AtomicBool::new(false)),
            own_receivers: AtomicUsize::new(0),
            mining_watchers: AtomicUsize::new(0),
            running_search: std::sync::Mutex::new(None),
            finished_search: std::sync::Mutex::new(None),
            known_version,
            relay,
            held: Default::default(),
            memo: Default::default(),
        };
        if tip.is_none()
            && let Some(accounts) = node.configured_accounts()
        {
            let genesis = node.start_dev_chain(&accounts).await?;
            tracing::info!(genesis = %genesis.hash, "premined genesis for the dev accounts");
        }
        if pool::inputs_missing(node.store.db()).await? {
            let inputs = node
                .commit(async |txn, _| Ok(pool::rebuild_inputs(txn).await?))
                .await?;
            tracing::info!(inputs, "indexed the outputs the pending transactions spend");
        }
        Ok(node)
    }

    /// The chain parameters (a clone: a reset may change the premine).
    pub fn params(&self) -> Params {
        self.params
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// After a reset committed: the chain it started runs with `params`.
    fn set_params(&self, params: Params) {
        *self
            .params
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = params;
    }

    /// Whether the database answers (the health check).
    pub async fn ping(&self) -> NodeResult<()> {
        Ok(self.store.ping().await?)
    }

    /// Round trips to the database this node has made so far (see
    /// [`crate::store::Store::statement_count`]).
    pub fn statement_count(&self) -> u64 {
        self.store.statement_count()
    }

    /// Each hot standby's state, and the reads the primary served, when the node has standbys.
    pub fn standby_status(&self) -> Option<(Vec<StandbyStatus>, u64)> {
        self.store.standby_status()
    }

    /// Other Pocket processes attached to this chain's database (replicas on PostgreSQL), each
    /// with its number of connections.
    pub async fn attached(&self) -> NodeResult<Vec<String>> {
        Ok(self
            .store
            .attached()
            .await?
            .into_iter()
            .map(|(name, connections)| format!("{name} ({connections} connections)"))
            .collect())
    }

    /// Subscribes to announcements of committed changes.
    pub fn subscribe(&self) -> broadcast::Receiver<NodeEvent> {
        self.events.subscribe()
    }

    /// Subscribes for a feed that reads the chain after subscribing (so that nothing committed
    /// in between is missed), counted in [`Node::subscriber_count`] only once the returned
    /// guard drops, when the feed knows where it starts: a client that waits for the count knows
    /// that the next block committed reaches the feed.
    pub fn subscribe_counted_later(&self) -> (broadcast::Receiver<NodeEvent>, Uncounted<'_>) {
        let uncounted = self.uncounted();
        (self.subscribe(), uncounted)
    }

    /// Leaves one receiver of this process out of [`Node::subscriber_count`] while it lives.
    pub(crate) fn uncounted(&self) -> Uncounted<'_> {
        self.own_receivers.fetch_add(1, Ordering::Relaxed);
        Uncounted(&self.own_receivers)
    }

    /// Receivers of this process's announcements (subscriptions and watchers), not counting the
    /// node's own (the interval scheduler).
    pub fn subscriber_count(&self) -> usize {
        self.events
            .receiver_count()
            .saturating_sub(self.own_receivers.load(Ordering::Relaxed))
    }

    /// Cancels any running nonce search (its mutation fails with `ShuttingDown` and writes nothing).
    pub fn shutdown(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Whether [`Node::shutdown`] was called.
    pub fn is_shutting_down(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Inside the writer's transaction: on PostgreSQL, queues the announcements as `NOTIFY`s
    /// (sent on commit to every replica's relay, this one's included), closed by this node's
    /// marker. Returns the marker's sequence number. Of blocks connected one after another only
    /// the last is named: a relay publishes every block up to a height it hears, reading them
    /// in batches, so a batch of 500 blocks costs it a few reads, not 500.
    async fn announce(&self, db: &impl Db, events: &[NodeEvent]) -> NodeResult<Option<u64>> {
        let Some(relay) = &self.relay else {
            return Ok(None);
        };
        let mut payloads: Vec<String> = events
            .iter()
            .zip(events.iter().skip(1).map(Some).chain([None]))
            .filter(|(event, next)| {
                !(matches!(event, NodeEvent::BlockMined(_))
                    && matches!(next, Some(NodeEvent::BlockMined(_))))
            })
            .map(|(event, _)| event.to_wire())
            .collect();
        let (marker, seq) = relay.marker();
        payloads.push(marker);
        notify::notify_all(db, &payloads).await?;
        Ok(Some(seq))
    }

    /// After commit: on SQLite, publishes the announcements to this process's subscribers; on
    /// PostgreSQL waits until the relay has published them from the notifications. Either way
    /// they are out before the caller hears that its change committed.
    async fn publish(&self, events: Vec<NodeEvent>, announced: Option<u64>) {
        match (&self.relay, announced) {
            (Some(relay), Some(seq)) => relay.relayed(seq).await,
            _ => {
                let burst = events::burst_for(self.config.event_buffer);
                for event in events::within_burst(events, burst) {
                    // No subscribers is fine: the database is the record.
                    let _ = self.events.send(event);
                }
            }
        }
    }

    /// Creates a keystore wallet. Its secret key is sealed before it is stored and never returned.
    /// Like every write it takes the commit path (so it waits for a running nonce search).
    pub async fn new_wallet(&self) -> NodeResult<Wallet> {
        self.commit(async |txn, _| self.new_wallet_in(txn).await)
            .await
    }

    async fn new_wallet_in(&self, db: &impl Db) -> NodeResult<Wallet> {
        self.insert_wallet_in(db, &SecretKey::generate()?).await
    }

    /// Stores `key` as a keystore wallet, sealed.
    async fn insert_wallet_in(&self, db: &impl Db, key: &SecretKey) -> NodeResult<Wallet> {
        let public_key = key.public_key();
        let sealed = self.keystore.seal(&public_key.address(), key)?;
        Ok(wallets::insert(db, &public_key, sealed).await?)
    }
}

/// A receiver left out of [`Node::subscriber_count`] until this drops (see
/// [`Node::subscribe_counted_later`]).
#[must_use = "the receiver is counted again as soon as this drops"]
pub struct Uncounted<'a>(&'a AtomicUsize);

impl Drop for Uncounted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Parses an address argument, naming the argument when it is invalid. The node takes addresses
/// parsed; callers holding text (the API, the CLI) parse it with this, so that every invalid
/// address is the same typed error.
pub fn parse_address(field: &'static str, text: &str) -> NodeResult<Address> {
    text.trim()
        .parse()
        .map_err(|source| NodeError::InvalidAddress { field, source })
}
