//! Requests per second through a real `pocket` server on loopback, at chain length 1,000:
//! `wallets(first: 100) { nodes { balance } }`, a nested `blocks(first: 50)` page and an explorer's
//! `address(...)` page with 50 history entries, each beside
//! a bare `{ __typename }` on the same server in the same run; and `resetSystem` end to end.
//! The pages are measured twice: answered from the response cache (the default; each request
//! still reads the state version) and run every time (a server with the cache off). The client
//! reads every answer whole but does not parse it into a JSON tree while measuring. Beside them,
//! the rate at which the 199 KB field-duplication flood is refused. `API_ONLY=sqlite` (or
//! `postgres`) measures that backend alone.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures::StreamExt;
use pocket_chain::server::{self, ServerConfig};
use pocket_testkit::{Backend, TestDb, addr};
use serde_json::{Value, json};

/// The allocator the `pocket` binary uses, so that the server measured here allocates as it does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Requests per measured iteration, and how many are in flight at once.
const REQUESTS: usize = 64;
const IN_FLIGHT: usize = 16;

const TYPENAME: &str = "{ __typename }";
const WALLETS: &str = "{ wallets(first: 100) { nodes { balance } } }";
const BLOCKS: &str = "{ blocks(first: 50) { nodes { hash height txCount transactions { id inputs { address value } outputs { address value spent } } } } }";

/// The field-duplication flood of issue 9 (199 KB, under the body limit): refused by counting.
fn flood() -> String {
    format!("{{ {} }}", "chain { height } ".repeat(12_000))
}

/// The largest document the default limits accept of the kind validation finds costliest:
/// 1,000 selections of one field, every pair of which is checked for overlap.
fn at_the_limit() -> String {
    format!("{{ {} }}", "__typename ".repeat(1_000))
}

struct Bench {
    /// The default server, with its response cache.
    cached: String,
    /// A server on the same node with the cache off.
    uncached: String,
    client: reqwest::Client,
    /// An explorer's address page: totals and 50 history entries with their net amounts.
    address_page: String,
    _db: TestDb,
}

impl Bench {
    async fn post(&self, url: &str, query: &str) -> Value {
        let body = pocket_testkit::graphql(&self.client, url, query, json!({})).await;
        assert!(body.get("errors").is_none(), "{body}");
        body
    }

    /// One measured request: the whole answer is read and checked for errors (or, for a
    /// document the limits refuse, for the refusal), without building a JSON tree (as a load
    /// generator would; each query is parsed and checked once before).
    async fn hit(&self, url: &str, query: &str, refused: bool) {
        let response = self
            .client
            .post(url)
            .json(&json!({ "query": query }))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
        let body = response.bytes().await.expect("body");
        if refused {
            assert!(memchr::memmem::find(&body, b"\"BAD_REQUEST\"").is_some());
            return;
        }
        assert!(
            body.starts_with(b"{\"data\":{")
                && memchr::memmem::find(&body, b"\"errors\"").is_none(),
            "{}",
            String::from_utf8_lossy(&body)
        );
    }
}

/// A server over a chain of 1,000 blocks (with payments in them) and 100 wallets.
async fn start(backend: Backend) -> Bench {
    let db = TestDb::new(backend).await;
    let node = db.node().await;
    let mut urls = Vec::new();
    for response_cache in [ServerConfig::default().response_cache, 0] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        urls.push(format!("http://{}/graphql", listener.local_addr().unwrap()));
        let served = node.clone();
        let config = ServerConfig {
            response_cache,
            ..ServerConfig::default()
        };
        tokio::spawn(
            async move { server::run(listener, served, config, std::future::pending()).await },
        );
    }
    let a = pocket_testkit::reset(&node).await;
    for _ in 0..92 {
        node.new_wallet().await.unwrap();
    }
    for round in 0..990 {
        if round % 3 == 0 {
            node.send(&a[0], &a[1 + round % 7], 1).await.unwrap();
        }
        node.mine_block(&addr(&a[0]), None).await.unwrap();
    }
    // PostgreSQL's autovacuum would analyze the fast-grown tables soon; do it now. SQLite is
    // left as the server leaves it in use (never analyzed: with statistics, SQLite re-plans
    // parameterized statements on every run).
    if backend == Backend::Postgres {
        db.execute("ANALYZE").await;
    }
    Bench {
        cached: urls[0].clone(),
        uncached: urls[1].clone(),
        // The server closes a connection that sends no request for its header timeout (10 s):
        // the client lets idle ones go first, so a request never races that close.
        client: reqwest::Client::builder()
            .pool_idle_timeout(Duration::from_secs(5))
            .build()
            .unwrap(),
        // The second wallet: paid by a third of the blocks, and miner of two.
        address_page: format!(
            "{{ address(address: \"{}\") {{ balance received sent txCount transactions(first: 50) {{ nodes {{ netAmount transaction {{ id block {{ height }} }} }} }} }} }}",
            a[1]
        ),
        _db: db,
    }
}

fn api(c: &mut Criterion) {
    pocket_testkit::DURABLE_PG.store(true, Ordering::Relaxed);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    for (backend, name) in [(Backend::Sqlite, "sqlite"), (Backend::Postgres, "postgres")] {
        if std::env::var("API_ONLY").is_ok_and(|only| only != name) {
            continue;
        }
        let bench = Arc::new(rt.block_on(start(backend)));
        let mut group = c.benchmark_group(format!("api_{name}"));
        group
            .sample_size(20)
            .measurement_time(Duration::from_secs(6))
            .throughput(Throughput::Elements(REQUESTS as u64));
        let (flood, at_the_limit) = (flood(), at_the_limit());
        let address_page = bench.address_page.clone();
        for (label, uncached, query) in [
            ("typename", true, TYPENAME),
            ("wallets_100_balance", false, WALLETS),
            ("blocks_50_nested", false, BLOCKS),
            ("wallets_100_balance_uncached", true, WALLETS),
            ("blocks_50_nested_uncached", true, BLOCKS),
            ("address_50_history_uncached", true, address_page.as_str()),
            ("flood_12000_fields_refused", false, flood.as_str()),
            ("typename_1000_times_uncached", true, at_the_limit.as_str()),
        ] {
            let url = if uncached {
                &bench.uncached
            } else {
                &bench.cached
            };
            let refused = query == flood;
            if !refused {
                rt.block_on(bench.post(url, query));
            }
            group.bench_function(label, |b| {
                b.iter_custom(|iters| {
                    rt.block_on(async {
                        let start = Instant::now();
                        for _ in 0..iters {
                            futures::stream::iter(0..REQUESTS)
                                .map(|_| {
                                    let bench = bench.clone();
                                    async move { bench.hit(url, query, refused).await }
                                })
                                .buffer_unordered(IN_FLIGHT)
                                .for_each(|_| async {})
                                .await;
                        }
                        start.elapsed()
                    })
                })
            });
        }
        group.throughput(Throughput::Elements(1)).sample_size(10);
        group.bench_function("reset_system", |b| {
            b.iter(|| {
                rt.block_on(bench.post(
                    &bench.cached,
                    "mutation { resetSystem { address balance } }",
                ))
            })
        });
        group.finish();
    }
}

criterion_group!(benches, api);
criterion_main!(benches);
