//! A peer's GraphQL API over HTTP, as this node uses it: a few queries, each answer bounded in
//! size and charged to the peer's budget, each failure typed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::budget::Budget;
use super::error::PeerError;
use crate::chain::archive::unframe_blocks;
use crate::chain::{Block, BlockHash, BlockHeader, Txid, decode_headers};

/// Largest answer read from a peer: a batch of blocks at the API's 8 MiB of hex, plus JSON.
pub const MAX_ANSWER_BYTES: usize = 9 * 1024 * 1024;

/// Blocks asked for per request.
pub const BLOCK_BATCH: u32 = 100;
/// Blocks asked for at once from `GET /blocks` (its most; it stops at 8 MiB): fewer, larger
/// batches, each written in one transaction.
pub const FRAMED_BATCH: u32 = 500;

/// A request that takes longer than this fails (the peer is then DOWN and retried).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What a peer says about its chain.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerChain {
    /// Its tip's height.
    pub height: Option<u64>,
    /// Its tip's hash.
    pub tip_hash: Option<String>,
    /// Its first block.
    pub genesis_hash: Option<String>,
    /// Its difficulty.
    pub difficulty_bits: u32,
    /// Its block reward.
    pub reward: u64,
    /// Its block size limit.
    pub max_block_txs: usize,
}

/// A peer's API.
#[derive(Debug, Clone)]
pub struct PeerClient {
    http: reqwest::Client,
    endpoint: String,
    /// The block route, which takes bodies as large as a block (`submitBlock` and
    /// `submitBlocks` only).
    pub(super) blocks_endpoint: String,
    /// `GET /blocks`: batches of blocks as framed bytes.
    batches_endpoint: String,
    /// Whether the peer answers at `GET /blocks` (until it says 404).
    framed: Arc<AtomicBool>,
    /// Whether the peer takes `submitBlocks` (until its schema says it has no such field).
    pub(super) batched_push: Arc<AtomicBool>,
    budget: Budget,
    /// Bearer token for the peer's mutations (announcing blocks and transactions to it).
    token: Option<String>,
}

#[derive(Deserialize)]
struct Answer<T> {
    data: Option<T>,
    #[serde(default)]
    errors: Vec<AnswerError>,
}

#[derive(Deserialize)]
struct AnswerError {
    message: String,
    #[serde(default)]
    extensions: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Located {
    common_block: Option<Common>,
}

#[derive(Deserialize)]
struct Common {
    height: u64,
    hash: String,
}

impl PeerClient {
    /// A client of the API at `base` (`http://host:port`), announcing with `token` if given.
    pub fn new(base: &str, budget: Budget, token: Option<String>) -> Result<Self, PeerError> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| PeerError::Unreachable(e.to_string()))?;
        Ok(Self {
            http,
            endpoint: format!("{base}/graphql"),
            blocks_endpoint: format!("{base}/graphql/blocks"),
            batches_endpoint: format!("{base}/blocks"),
            framed: Arc::new(AtomicBool::new(true)),
            batched_push: Arc::new(AtomicBool::new(true)),
            budget,
            token,
        })
    }

    pub(super) async fn query<T: DeserializeOwned>(
        &self,
        query: &str,
        variables: Value,
    ) -> Result<T, PeerError> {
        self.query_at(&self.endpoint, query, variables).await
    }

    pub(super) async fn query_at<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        query: &str,
        variables: Value,
    ) -> Result<T, PeerError> {
        let mut request = self.http.post(endpoint);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let mut answer = request
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .map_err(|e| PeerError::Unreachable(e.to_string()))?;
        let body = self.read_body(&mut answer).await?;
        let answer: Answer<T> = serde_json::from_slice(&body)
            .map_err(|e| PeerError::Misbehaved(format!("an answer that is not GraphQL: {e}")))?;
        if let Some(error) = answer.errors.into_iter().next() {
            let code = error
                .extensions
                .as_ref()
                .and_then(|e| e.get("code"))
                .and_then(Value::as_str)
                .unwrap_or("UNKNOWN")
                .to_owned();
            return Err(PeerError::Refused {
                code,
                message: error.message,
            });
        }
        answer
            .data
            .ok_or_else(|| PeerError::Misbehaved("an answer without data".into()))
    }

    /// An answer's body, at most [`MAX_ANSWER_BYTES`], drawn from the peer's byte budget.
    async fn read_body(&self, answer: &mut reqwest::Response) -> Result<Vec<u8>, PeerError> {
        let mut body = Vec::new();
        while let Some(chunk) = answer
            .chunk()
            .await
            .map_err(|e| PeerError::Unreachable(e.to_string()))?
        {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(PeerError::Misbehaved(format!(
                    "an answer of more than {MAX_ANSWER_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        self.budget.spend(body.len()).await;
        Ok(body)
    }

    /// Up to [`FRAMED_BATCH`] of the peer's main-chain blocks from height `from`, decoded, with
    /// their encoded size: as framed bytes from its `GET /blocks`, or, from a peer without that
    /// route, as hex from `rawBlocks`.
    pub async fn blocks(&self, from: u64) -> Result<(Vec<Block>, usize), PeerError> {
        if self.framed.load(Ordering::Relaxed) {
            let mut answer = self
                .http
                .get(&self.batches_endpoint)
                .query(&[("from", from), ("count", u64::from(FRAMED_BATCH))])
                .send()
                .await
                .map_err(|e| PeerError::Unreachable(e.to_string()))?;
            match answer.status() {
                status if status.is_success() => {
                    let body = self.read_body(&mut answer).await?;
                    let blocks =
                        unframe_blocks(&body, from, FRAMED_BATCH as usize).map_err(|e| {
                            PeerError::Misbehaved(format!("sent blocks that do not decode: {e}"))
                        })?;
                    return Ok((blocks, body.len()));
                }
                reqwest::StatusCode::NOT_FOUND => self.framed.store(false, Ordering::Relaxed),
                status => {
                    return Err(PeerError::Unreachable(format!(
                        "GET /blocks answered {status}"
                    )));
                }
            }
        }
        let raw = self.raw_blocks(from).await?;
        let blocks = raw
            .iter()
            .map(|hex| {
                Block::decode_hex(hex).map_err(|e| {
                    PeerError::Misbehaved(format!("sent a block that does not decode: {e}"))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok((blocks, raw.iter().map(|hex| hex.len() / 2).sum()))
    }

    /// The peer's chain parameters and tip.
    pub async fn chain(&self) -> Result<PeerChain, PeerError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            chain: PeerChain,
        }
        let data: Data = self
            .query(
                "{ chain { height tipHash genesisHash difficultyBits reward maxBlockTxs } }",
                json!({}),
            )
            .await?;
        Ok(data.chain)
    }

    /// The first block of `locator` on the peer's main chain, as the peer names it: one of the
    /// locator's hashes (anything else is misbehaviour), with the height the peer gives it.
    pub async fn common_block(
        &self,
        locator: &[BlockHash],
    ) -> Result<Option<(u64, BlockHash)>, PeerError> {
        let texts: Vec<String> = locator.iter().map(ToString::to_string).collect();
        let data: Located = self
            .query(
                "query($l: [String!]!) { commonBlock(locator: $l) { height hash } }",
                json!({ "l": texts }),
            )
            .await?;
        let Some(common) = data.common_block else {
            return Ok(None);
        };
        Ok(Some((common.height, shared_block(locator, &common.hash)?)))
    }

    /// Up to `count` headers of the peer's main chain after the first block of `locator` on
    /// it, with that block as the peer names it (one of the locator's hashes, with the height
    /// the peer gives it; `None` when it names none and the headers start at its genesis).
    /// More headers than asked for, or bytes that are not headers, are misbehaviour.
    pub async fn headers(
        &self,
        locator: &[BlockHash],
        count: u32,
    ) -> Result<(Option<(u64, BlockHash)>, Vec<BlockHeader>), PeerError> {
        #[derive(Deserialize)]
        struct Data {
            headers: Run,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Run {
            common_hash: Option<String>,
            common_height: Option<u64>,
            raw_headers: String,
        }
        let texts: Vec<String> = locator.iter().map(ToString::to_string).collect();
        let data: Data = self
            .query(
                "query($l: [String!]!, $c: Int!) { headers(locator: $l, count: $c) { commonHash commonHeight rawHeaders } }",
                json!({ "l": texts, "c": count }),
            )
            .await?;
        let run = data.headers;
        let bad = |what: String| PeerError::Misbehaved(format!("headers with {what}"));
        let common = match (run.common_hash, run.common_height) {
            (None, None) => None,
            (Some(hash), Some(height)) => Some((height, shared_block(locator, &hash)?)),
            _ => return Err(bad("a common block without its hash or height".into())),
        };
        let bytes = hex::decode(&run.raw_headers).map_err(|e| bad(format!("bad hex: {e}")))?;
        let headers = decode_headers(&bytes).map_err(|e| bad(e.to_string()))?;
        if headers.len() > count as usize {
            return Err(bad(format!(
                "{} headers for a request of {count}",
                headers.len()
            )));
        }
        Ok((common, headers))
    }

    /// Up to [`BLOCK_BATCH`] of the peer's main-chain blocks from height `from`, as hex.
    pub async fn raw_blocks(&self, from: u64) -> Result<Vec<String>, PeerError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            raw_blocks: Vec<String>,
        }
        let from = i32::try_from(from)
            .map_err(|_| PeerError::Misbehaved(format!("a height {from} past the API's range")))?;
        let data: Data = self
            .query(
                "query($f: Int!, $c: Int!) { rawBlocks(fromHeight: $f, count: $c) }",
                json!({ "f": from, "c": BLOCK_BATCH }),
            )
            .await?;
        if data.raw_blocks.len() > BLOCK_BATCH as usize {
            return Err(PeerError::Misbehaved(format!(
                "{} blocks for a request of {BLOCK_BATCH}",
                data.raw_blocks.len()
            )));
        }
        Ok(data.raw_blocks)
    }

    /// A transaction the peer holds (pending or mined), as hex.
    pub async fn raw_transaction(&self, txid: &Txid) -> Result<Option<String>, PeerError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            raw_transaction: Option<String>,
        }
        let data: Data = self
            .query(
                "query($t: String!) { rawTransaction(txId: $t) }",
                json!({ "t": txid.to_string() }),
            )
            .await?;
        Ok(data.raw_transaction)
    }
}

/// The block a peer names as shared: a hash, and one of the locator's (anything else is
/// misbehaviour).
fn shared_block(locator: &[BlockHash], text: &str) -> Result<BlockHash, PeerError> {
    let hash: BlockHash = text
        .parse()
        .map_err(|_| PeerError::Misbehaved("a common block whose hash is not a hash".into()))?;
    if !locator.contains(&hash) {
        return Err(PeerError::Misbehaved(
            "a common block that is not in the locator it was sent".into(),
        ));
    }
    Ok(hash)
}
