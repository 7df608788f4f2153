//! Client-signed payments through a real server on loopback, on both backends, in one run:
//! `submitTransaction` of a 2-input transaction from 32 concurrent clients, next to `send` from
//! 32 concurrent clients (the server signs those) and the store's own durable single-row commit.
//!
//! Each round's transactions are signed before the clock starts (the client's work, not the
//! server's) and mined after it stops, so every client has two coins again for the next round:
//! client `i` pays 10 to client `i + 1` and 10 back to itself.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pocket_chain::chain::{OutPoint, SecretKey, Transaction, TxOut};
use pocket_chain::node::Node;
use pocket_chain::server::{self, ServerConfig};
use pocket_testkit::{Backend, CommitProbe, TestDb, addr};
use serde_json::json;

const CLIENTS: usize = 32;

/// One client: its key and the two coins it spends next.
struct Client {
    key: SecretKey,
    coins: [OutPoint; 2],
}

struct Setup {
    url: String,
    http: reqwest::Client,
    node: std::sync::Arc<Node>,
    clients: Vec<Client>,
    /// Keystore wallets for the `send` side.
    senders: Vec<String>,
    db: TestDb,
}

async fn setup(backend: Backend) -> Setup {
    let db = TestDb::new(backend).await;
    let node = db.node().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/graphql", listener.local_addr().unwrap());
    let served = node.clone();
    tokio::spawn(async move {
        server::run(
            listener,
            served,
            ServerConfig::default(),
            std::future::pending(),
        )
        .await
    });
    let mut clients = Vec::new();
    for i in 0..CLIENTS {
        let key = SecretKey::from_bytes(&[i as u8 + 1; 32]).unwrap();
        let address = key.public_key().address();
        let mut coins = Vec::new();
        for _ in 0..2 {
            let block = node.mine_block(&address, Some(0)).await.unwrap();
            coins.push(OutPoint {
                txid: block.block.transactions[0].txid(),
                vout: 0,
            });
        }
        clients.push(Client {
            key,
            coins: [coins[0], coins[1]],
        });
    }
    let mut senders = Vec::new();
    for _ in 0..CLIENTS {
        let address = node.new_wallet().await.unwrap().address;
        node.mine_block(&address, Some(0)).await.unwrap();
        senders.push(address.to_string());
    }
    Setup {
        url,
        http: reqwest::Client::new(),
        node,
        clients,
        senders,
        db,
    }
}

/// This round's signed transactions (hex); afterwards each client's coins are the outputs they
/// create: its change, and its neighbour's payment.
fn next_round(clients: &mut [Client]) -> Vec<String> {
    let n = clients.len();
    let payees: Vec<_> = (0..n)
        .map(|i| clients[(i + 1) % n].key.public_key().pubkey_hash())
        .collect();
    let mut signed = Vec::with_capacity(n);
    let mut txids = Vec::with_capacity(n);
    for (client, payee) in clients.iter().zip(&payees) {
        let own = client.key.public_key().pubkey_hash();
        let mut tx = Transaction::new_unsigned(
            &client.coins,
            vec![
                TxOut {
                    value: 10,
                    pubkey_hash: *payee,
                },
                TxOut {
                    value: 10,
                    pubkey_hash: own,
                },
            ],
        );
        let spent = TxOut {
            value: 10,
            pubkey_hash: own,
        };
        tx.sign(&client.key, &[spent, spent]).unwrap();
        txids.push(tx.txid());
        signed.push(hex::encode(tx.encode()));
    }
    for i in 0..n {
        clients[i].coins = [
            OutPoint {
                txid: txids[i],
                vout: 1,
            },
            OutPoint {
                txid: txids[(i + n - 1) % n],
                vout: 0,
            },
        ];
    }
    signed
}

async fn post(setup: &Setup, query: &str, variables: serde_json::Value) {
    let body = pocket_testkit::graphql(&setup.http, &setup.url, query, variables).await;
    assert!(body.get("errors").is_none(), "{body}");
}

fn submit_vs_send(c: &mut Criterion) {
    pocket_testkit::DURABLE_PG.store(true, Ordering::Relaxed);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("client_signing");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    for (backend, name) in [(Backend::Sqlite, "sqlite"), (Backend::Postgres, "postgres")] {
        let mut setup = rt.block_on(setup(backend));

        group.throughput(Throughput::Elements(1));
        let mut probe = rt.block_on(CommitProbe::new(&setup.db));
        group.bench_function(format!("{name}/durable_single_row_commit"), |b| {
            b.iter(|| rt.block_on(probe.commit_one()))
        });

        group.throughput(Throughput::Elements(CLIENTS as u64));
        group.bench_function(format!("{name}/{CLIENTS}_concurrent_sends_api"), |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut timed = Duration::ZERO;
                    for _ in 0..iters {
                        let start = Instant::now();
                        futures::future::join_all((0..CLIENTS).map(|i| {
                            post(
                                &setup,
                                "mutation($f: String!, $t: String!) { send(from: $f, to: $t, amount: 1) { id } }",
                                json!({ "f": setup.senders[i], "t": setup.senders[(i + 1) % CLIENTS] }),
                            )
                        }))
                        .await;
                        timed += start.elapsed();
                        let miner = addr(&setup.senders[0]);
                        setup.node.mine_block(&miner, Some(CLIENTS as i64)).await.unwrap();
                    }
                    timed
                })
            })
        });

        group.bench_function(
            format!("{name}/{CLIENTS}_concurrent_submits_2_inputs_api"),
            |b| {
                b.iter_custom(|iters| {
                    let mut timed = Duration::ZERO;
                    for _ in 0..iters {
                        let signed = next_round(&mut setup.clients);
                        rt.block_on(async {
                            let start = Instant::now();
                            futures::future::join_all(signed.iter().map(|raw| {
                                post(
                                    &setup,
                                    "mutation($r: String!) { submitTransaction(rawHex: $r) { id } }",
                                    json!({ "r": raw }),
                                )
                            }))
                            .await;
                            timed += start.elapsed();
                            let miner = addr(&setup.senders[0]);
                            let block = setup
                                .node
                                .mine_block(&miner, Some(CLIENTS as i64))
                                .await
                                .unwrap();
                            assert_eq!(block.block.transactions.len(), CLIENTS + 1);
                        });
                    }
                    timed
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, submit_vs_send);
criterion_main!(benches);
