//! Reads. They never wait for a writer, and go to a hot standby when the node has one that may
//! answer (see `store::standbys`); the state version always comes from the primary.

use std::collections::{HashMap, HashSet};

use crate::chain::{Address, BlockHash, OutPoint, Txid, Utxo};
use crate::model::StoredBlock;
use crate::model::{ChainInfo, WalletInfo};
use crate::model::{PoolEntry, TxStatus};
use crate::node::{Node, NodeResult};
use crate::store::blocks;
use crate::store::pool;
use crate::store::wallets;
use crate::store::{balances, chainstate, side_blocks, tx_index, version};

impl Node {
    /// A number that changes with every committed change, by any process: equal numbers mean
    /// every query answers the same.
    pub async fn state_version(&self) -> NodeResult<i64> {
        if let Some(known) = self.known_version.get() {
            return Ok(known);
        }
        Ok(version::current(self.store.db()).await?)
    }

    /// The state version where this request's reads go (a hot standby's, when one answers
    /// them): the version its answers are read at.
    pub async fn read_state_version(&self) -> NodeResult<i64> {
        // Only PostgreSQL has standbys; a sole writer knows its version.
        if let Some(known) = self.known_version.get() {
            return Ok(known);
        }
        Ok(self
            .store
            .read(|db| async move { version::current(&db).await })
            .await?)
    }

    /// Height, tip, parameters, supply and sizes.
    pub async fn chain_info(&self) -> NodeResult<ChainInfo> {
        let params = self.params();
        let info = self
            .store
            .read(|db| async move {
                let tip = blocks::tip(&db).await?;
                Ok(ChainInfo {
                    height: tip.map(|t| t.height),
                    tip_hash: tip.map(|t| t.hash),
                    difficulty_bits: params.difficulty_bits,
                    reward: params.block_reward,
                    total_supply: chainstate::total_value(&db).await?,
                    utxo_count: chainstate::count(&db, None).await?,
                    pool_size: pool::count(&db, false).await?,
                    genesis_hash: blocks::hashes_at(&db, &[0]).await?.first().map(|(_, h)| *h),
                    max_block_txs: params.max_block_txs,
                    side_blocks: side_blocks::count(&db).await?,
                })
            })
            .await?;
        Ok(info)
    }

    /// [`Node::chain_info`] without its counts (one read, of the tip): supply, outputs, pool and
    /// side blocks are 0 and the genesis hash `None`. For answers that do not show them.
    pub async fn chain_tip_info(&self) -> NodeResult<ChainInfo> {
        let params = self.params();
        let tip = self
            .store
            .read(|db| async move { blocks::tip(&db).await })
            .await?;
        Ok(ChainInfo {
            height: tip.map(|t| t.height),
            tip_hash: tip.map(|t| t.hash),
            difficulty_bits: params.difficulty_bits,
            reward: params.block_reward,
            total_supply: 0,
            utxo_count: 0,
            pool_size: 0,
            genesis_hash: None,
            max_block_txs: params.max_block_txs,
            side_blocks: 0,
        })
    }

    /// Where transaction `txid` stands; `None` if neither mined nor pending.
    pub async fn transaction_status(&self, txid: &Txid) -> NodeResult<Option<TxStatus>> {
        let status = self
            .store
            .read(|db| async move {
                // The pool first: a transaction mined between the two reads is then found in a
                // block, never missed by both.
                let pending = pool::pending_by_txid(&db, txid).await?;
                if let Some(location) = tx_index::locate(&db, txid).await? {
                    let tip = blocks::tip(&db)
                        .await?
                        .map_or(location.height, |t| t.height);
                    return Ok(Some(TxStatus::Mined {
                        location,
                        confirmations: tip.saturating_sub(location.height) + 1,
                    }));
                }
                Ok(pending.map(|(entry, position)| TxStatus::Pending { entry, position }))
            })
            .await?;
        Ok(status)
    }

    /// The tip (`None` before genesis).
    pub async fn tip(&self) -> NodeResult<Option<crate::chain::ChainTip>> {
        Ok(self
            .store
            .read(|db| async move { blocks::tip(&db).await })
            .await?)
    }

    /// The balance of any address (wallet of this node or not; 0 for one never seen): one read.
    pub async fn balance(&self, address: &Address) -> NodeResult<u64> {
        Ok(self
            .store
            .read(|db| async move { balances::get(&db, address).await })
            .await?)
    }

    /// Balances of many addresses in one statement per 500.
    pub async fn balances(&self, addresses: &[Address]) -> NodeResult<HashMap<Address, u64>> {
        Ok(self
            .store
            .read(|db| async move { balances::get_many(&db, addresses).await })
            .await?)
    }

    /// A keystore wallet with its balance.
    pub async fn wallet(&self, address: &Address) -> NodeResult<Option<WalletInfo>> {
        let Some(stored) = self
            .store
            .read(|db| async move { wallets::get(&db, address).await })
            .await?
        else {
            return Ok(None);
        };
        let balance = self.balance(address).await?;
        Ok(Some(WalletInfo {
            wallet: stored.wallet,
            balance,
        }))
    }

    /// Keystore wallets in creation order after id `after`, with balances.
    pub async fn wallets(&self, after: Option<i64>, limit: u64) -> NodeResult<Vec<WalletInfo>> {
        Ok(self
            .store
            .read(|db| async move { wallets::page_with_balances(&db, after, limit).await })
            .await?
            .into_iter()
            .map(|(wallet, balance)| WalletInfo { wallet, balance })
            .collect())
    }

    /// Number of keystore wallets.
    pub async fn wallet_count(&self) -> NodeResult<u64> {
        Ok(self
            .store
            .read(|db| async move { wallets::count(&db).await })
            .await?)
    }

    /// Blocks newest first, below height `before`.
    pub async fn blocks(&self, before: Option<u64>, limit: u64) -> NodeResult<Vec<StoredBlock>> {
        Ok(self
            .store
            .read(|db| async move { blocks::newest_first(&db, before, limit).await })
            .await?)
    }

    /// Blocks from height `from` upwards, oldest first (catch-up for subscribers).
    pub async fn blocks_from(&self, from: u64, limit: u64) -> NodeResult<Vec<StoredBlock>> {
        Ok(self
            .store
            .read(|db| async move { blocks::range(&db, from, limit).await })
            .await?)
    }

    /// The canonical encodings of up to `count` blocks from height `from` upwards, stopping
    /// before `max_bytes` would be passed (but giving at least one). Blocks are read ten at
    /// first, then as many as the budget left holds at the size seen so far (at most 200), so a
    /// run of large blocks stops at the budget rather than after reading them all, and a run of
    /// small ones costs few statements.
    pub async fn encoded_blocks_from(
        &self,
        from: u64,
        count: u64,
        max_bytes: usize,
    ) -> NodeResult<Vec<Vec<u8>>> {
        let mut out: Vec<Vec<u8>> = Vec::new();
        let mut bytes: usize = 0;
        while (out.len() as u64) < count {
            let chunk = match bytes.checked_div(out.len()) {
                Some(average) if average > 0 => {
                    (max_bytes.saturating_sub(bytes) / average).clamp(10, 200)
                }
                _ => 10,
            };
            let want = (count - out.len() as u64).min(chunk as u64);
            let blocks = self.blocks_from(from + out.len() as u64, want).await?;
            let fetched = blocks.len() as u64;
            for block in blocks {
                let encoded = block.block.encode();
                if !out.is_empty() && bytes + encoded.len() > max_bytes {
                    return Ok(out);
                }
                bytes += encoded.len();
                out.push(encoded);
            }
            if fetched < want {
                break;
            }
        }
        Ok(out)
    }

    /// Number of blocks.
    pub async fn block_count(&self) -> NodeResult<u64> {
        Ok(self
            .store
            .read(|db| async move { blocks::count(&db).await })
            .await?)
    }

    /// A block by hash.
    pub async fn block_by_hash(&self, hash: &BlockHash) -> NodeResult<Option<StoredBlock>> {
        Ok(self
            .store
            .read(|db| async move { blocks::by_hash(&db, hash).await })
            .await?)
    }

    /// A block by height.
    pub async fn block_by_height(&self, height: u64) -> NodeResult<Option<StoredBlock>> {
        Ok(self
            .store
            .read(|db| async move { blocks::by_height(&db, height).await })
            .await?)
    }

    /// Unspent outputs by outpoint order, optionally of one address.
    pub async fn chainstate(
        &self,
        address: Option<&Address>,
        after: Option<&OutPoint>,
        limit: u64,
    ) -> NodeResult<Vec<(OutPoint, Utxo)>> {
        Ok(self
            .store
            .read(|db| async move { chainstate::page(&db, address, after, limit).await })
            .await?)
    }

    /// Number of unspent outputs, optionally of one address.
    pub async fn utxo_count(&self, address: Option<&Address>) -> NodeResult<u64> {
        Ok(self
            .store
            .read(|db| async move { chainstate::count(&db, address).await })
            .await?)
    }

    /// Which of `outpoints` are unspent (their keys alone).
    pub async fn unspent_among(&self, outpoints: &[OutPoint]) -> NodeResult<HashSet<OutPoint>> {
        Ok(self
            .store
            .read(|db| async move { chainstate::unspent_among(&db, outpoints).await })
            .await?)
    }

    /// Pool entries in arrival order after id `after`.
    pub async fn pool(
        &self,
        include_rejected: bool,
        after: Option<i64>,
        limit: u64,
    ) -> NodeResult<Vec<PoolEntry>> {
        Ok(self
            .store
            .read(|db| async move { pool::page(&db, include_rejected, after, limit).await })
            .await?)
    }

    /// Number of pool entries.
    pub async fn pool_count(&self, include_rejected: bool) -> NodeResult<u64> {
        Ok(self
            .store
            .read(|db| async move { pool::count(&db, include_rejected).await })
            .await?)
    }

    /// The pending entry of a sender, if any.
    pub async fn pending_of(&self, address: &Address) -> NodeResult<Option<PoolEntry>> {
        let pending = self
            .store
            .read(|db| async move { pool::pending_from(&db, address).await })
            .await?;
        Ok(pending.map(PoolEntry::Pending))
    }

    /// Number of mined transactions that touched `address`.
    pub async fn history_count(&self, address: &Address) -> NodeResult<u64> {
        Ok(self
            .store
            .read(|db| async move { tx_index::history_count(&db, address).await })
            .await?)
    }
}
