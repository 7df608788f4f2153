//! Each operation of the comparison, as each server spells it. The same HTTP client (reqwest,
//! keep-alive) sends both; every answer is read whole and checked for errors.

use serde_json::{Value, json};

use crate::servers::{Kind, Server};

/// A client of one server, with its funded accounts.
#[derive(Clone)]
pub struct Client {
    pub kind: Kind,
    http: reqwest::Client,
    url: String,
    pub accounts: Vec<String>,
}

impl Client {
    pub async fn new(server: &Server, http: &reqwest::Client) -> Self {
        let mut client = Self {
            kind: server.kind,
            http: http.clone(),
            url: server.url.clone(),
            accounts: Vec::new(),
        };
        client.accounts = match client.kind {
            Kind::Pocket => client
                .graphql("{ devAccounts { address } }", json!({}))
                .await["devAccounts"]
                .as_array()
                .expect("dev accounts")
                .iter()
                .map(|a| a["address"].as_str().expect("an address").to_owned())
                .collect(),
            Kind::Anvil => client
                .rpc("eth_accounts", json!([]))
                .await
                .as_array()
                .expect("accounts")
                .iter()
                .map(|a| a.as_str().expect("an address").to_owned())
                .collect(),
        };
        client
    }

    async fn post(&self, body: &Value) -> Value {
        let answer: Value = self
            .http
            .post(&self.url)
            .json(body)
            .send()
            .await
            .expect("answered")
            .json()
            .await
            .expect("a JSON answer");
        assert!(
            answer.get("errors").is_none() && answer.get("error").is_none(),
            "{body} was refused: {answer}"
        );
        answer
    }

    async fn graphql(&self, query: &str, variables: Value) -> Value {
        self.post(&json!({ "query": query, "variables": variables }))
            .await["data"]
            .take()
    }

    async fn rpc(&self, method: &str, params: Value) -> Value {
        self.post(&json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }))
            .await["result"]
            .take()
    }

    /// Switches between mining every transaction at once and mining only when asked.
    pub async fn set_auto(&self, auto: bool) {
        match self.kind {
            Kind::Pocket => {
                let mode = if auto { "AUTO" } else { "MANUAL" };
                self.graphql(
                    "mutation($m: MiningMode!, $a: String) { setMining(mode: $m, address: $a) { mode } }",
                    json!({ "m": mode, "a": self.accounts[0] }),
                )
                .await;
            }
            Kind::Anvil => {
                self.rpc("evm_setAutomine", json!([auto])).await;
            }
        }
    }

    /// Pays 1 unit from account `from` to account `to` (pending unless mining is automatic).
    pub async fn transfer(&self, from: usize, to: usize) -> Value {
        let (from, to) = (&self.accounts[from], &self.accounts[to]);
        match self.kind {
            Kind::Pocket => {
                self.graphql(
                    "mutation($f: String!, $t: String!) { send(from: $f, to: $t, amount: 1) { txId status } }",
                    json!({ "f": from, "t": to }),
                )
                .await["send"]
                    .take()
            }
            Kind::Anvil => {
                self.rpc(
                    "eth_sendTransaction",
                    json!([{ "from": from, "to": to, "value": "0x1" }]),
                )
                .await
            }
        }
    }

    /// A transfer under automatic mining, answered once it is in a block: Pocket's `send`
    /// answers with the block; Anvil's is followed by `eth_getTransactionReceipt`.
    pub async fn transfer_mined(&self, from: usize, to: usize) {
        let sent = self.transfer(from, to).await;
        match self.kind {
            Kind::Pocket => assert_eq!(sent["status"], "MINED", "{sent}"),
            // Anvil mines just after answering the send; a client asks until the receipt is there.
            Kind::Anvil => loop {
                let receipt = self.rpc("eth_getTransactionReceipt", json!([sent])).await;
                if receipt["blockNumber"].is_string() {
                    break;
                }
            },
        }
    }

    /// Mines one block with what is pending.
    pub async fn mine(&self) {
        match self.kind {
            Kind::Pocket => {
                self.graphql(
                    "mutation($a: String!) { mineBlock(address: $a) { height } }",
                    json!({ "a": self.accounts[0] }),
                )
                .await;
            }
            Kind::Anvil => {
                self.rpc("evm_mine", json!([])).await;
            }
        }
    }

    /// Mines `count` blocks in one call.
    pub async fn mine_many(&self, count: u32) {
        match self.kind {
            Kind::Pocket => {
                let mined = self
                    .graphql(
                        "mutation($a: String!, $n: Int!) { mineBlocks(address: $a, count: $n, txCount: 0) { height } }",
                        json!({ "a": self.accounts[0], "n": count }),
                    )
                    .await;
                assert_eq!(
                    mined["mineBlocks"].as_array().map(Vec::len),
                    Some(count as usize)
                );
            }
            Kind::Anvil => {
                self.rpc("anvil_mine", json!([format!("{count:#x}")])).await;
            }
        }
    }

    /// Takes a snapshot and returns its id.
    pub async fn snapshot(&self) -> String {
        match self.kind {
            Kind::Pocket => self
                .graphql("mutation { snapshot { id } }", json!({}))
                .await["snapshot"]["id"]
                .as_str()
                .expect("an id")
                .to_owned(),
            Kind::Anvil => self
                .rpc("evm_snapshot", json!([]))
                .await
                .as_str()
                .expect("an id")
                .to_owned(),
        }
    }

    /// Reverts to snapshot `id`.
    pub async fn revert(&self, id: &str) {
        match self.kind {
            Kind::Pocket => {
                self.graphql(
                    "mutation($id: ID!) { revert(id: $id) { height } }",
                    json!({ "id": id }),
                )
                .await;
            }
            Kind::Anvil => {
                let reverted = self.rpc("evm_revert", json!([id])).await;
                assert_eq!(reverted, true);
            }
        }
    }

    /// The cheapest request each answers, reading nothing: the floor under every read.
    pub async fn nothing(&self) {
        let answer = match self.kind {
            Kind::Pocket => self.graphql("{ __typename }", json!({})).await["__typename"].take(),
            Kind::Anvil => self.rpc("eth_chainId", json!([])).await,
        };
        assert!(!answer.is_null());
    }

    /// The balance of account `index`.
    pub async fn balance(&self, index: usize) {
        let address = &self.accounts[index];
        let answer = match self.kind {
            Kind::Pocket => self
                .graphql(
                    "query($a: String!) { address(address: $a) { balance } }",
                    json!({ "a": address }),
                )
                .await["address"]["balance"]
                .take(),
            Kind::Anvil => self.rpc("eth_getBalance", json!([address, "latest"])).await,
        };
        assert!(!answer.is_null());
    }

    /// The block at `height` with its transactions in full.
    pub async fn block_with_transactions(&self, height: u64) {
        let count = match self.kind {
            Kind::Pocket => self
                .graphql(
                    "query($h: Int!) { block(height: $h) { hash height timestamp transactions { id inputs { txId vout address value } outputs { address value spent } } } }",
                    json!({ "h": height }),
                )
                .await["block"]["transactions"]
                .as_array()
                .map(Vec::len),
            Kind::Anvil => self
                .rpc("eth_getBlockByNumber", json!([format!("{height:#x}"), true]))
                .await["transactions"]
                .as_array()
                .map(Vec::len),
        };
        assert!(
            count.is_some_and(|n| n > 0),
            "block {height} has transactions"
        );
    }
}
