//! Load test (not part of `cargo test`): for LOAD_SECONDS (default 60), LOAD_SUBSCRIBERS (default
//! 300) WebSocket subscribers plus query and mutation workers against `pocket serve` processes on
//! one PostgreSQL — first one replica, then LOAD_REPLICAS (default 3) — then one replica on a
//! primary with a streaming standby, without and with `--read-database-url` (the share of reads
//! the standby served is shown), and prints throughput, p50/p99 latency, block delivery latency
//! and memory as a Markdown table.
//!
//!     cargo bench --bench load
//!     LOAD_SECONDS=20 LOAD_SUBSCRIBERS=100 cargo bench --bench load

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use pocket_testkit::{Backend, Replica, StandbyPair, TestDb};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p) as usize] as f64 / 1000.0
}

struct Outcome {
    setup: String,
    standby_share: Option<f64>,
    requests: u64,
    errors: u64,
    seconds: f64,
    latencies_us: Vec<u64>,
    delivery_us: Vec<u64>,
    blocks: u64,
    rss_mib: f64,
}

/// Where the servers run: `replicas` processes on the database at `url`, each with `extra`.
struct Setup<'a> {
    label: String,
    url: &'a str,
    replicas: usize,
    extra: &'a [&'a str],
}

async fn run(setup: Setup<'_>, seconds: u64, subscribers: u64) -> Outcome {
    let mut servers = Vec::new();
    for _ in 0..setup.replicas {
        servers.push(Replica::start(env!("CARGO_BIN_EXE_pocket"), setup.url, setup.extra).await);
    }
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let http = reqwest::Client::new();
    let reset = pocket_testkit::graphql(
        &http,
        &format!("{}/graphql", bases[0]),
        "mutation { resetSystem { address } }",
        json!({}),
    )
    .await;
    let wallets: Vec<String> = reset["data"]["resetSystem"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["address"].as_str().unwrap().to_owned())
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;

    // When each block was acknowledged to its miner, and when subscribers received it.
    let acked: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
    let received: Arc<Mutex<Vec<(u64, Instant)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    for i in 0..subscribers {
        let base = &bases[i as usize % bases.len()];
        let mut ws = pocket_testkit::subscribe(
            base,
            "graphql-transport-ws",
            "subscription { blockMined { height } }",
        )
        .await;
        let received = received.clone();
        tokio::spawn(async move {
            while let Some(Ok(message)) = ws.next().await {
                if let Message::Text(text) = message {
                    let value: Value = serde_json::from_str(&text).unwrap_or_default();
                    if let Some(height) = value["payload"]["data"]["blockMined"]["height"].as_u64()
                    {
                        received.lock().unwrap().push((height, Instant::now()));
                    }
                }
            }
        });
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let requests = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let latencies: Arc<Mutex<Vec<u64>>> = Arc::default();
    let started = Instant::now();
    let mut workers = Vec::new();
    let queries = [
        "{ chain { height poolSize totalSupply } }",
        "{ wallets(first: 10) { nodes { address balance pending { txId } } } }",
        "{ blocks(first: 5) { nodes { height hash txCount transactions { id outputs { value spent } } } } }",
        "{ pool(includeRejected: true, first: 20) { nodes { id status } } }",
    ];
    for w in 0..12usize {
        let (http, bases, wallets, stop, requests, errors, latencies, acked) = (
            http.clone(),
            bases.clone(),
            wallets.clone(),
            stop.clone(),
            requests.clone(),
            errors.clone(),
            latencies.clone(),
            acked.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let base = &bases[(w + n) % bases.len()];
                // Workers 0-3 write (a send, then a block every few rounds); the rest read.
                let (query, variables) = if w < 4 && n.is_multiple_of(3) {
                    ("mutation($a: String!) { mineBlock(address: $a, txCount: 5) { height } }".to_owned(), json!({ "a": wallets[w] }))
                } else if w < 4 {
                    ("mutation($f: String!, $t: String!) { send(from: $f, to: $t, amount: 1) { id } }".to_owned(), json!({ "f": wallets[w], "t": wallets[w + 4] }))
                } else {
                    (queries[n % queries.len()].to_owned(), json!({}))
                };
                let sent = Instant::now();
                let result = http.post(format!("{base}/graphql")).json(&json!({ "query": query, "variables": variables })).send().await;
                let body: Option<Value> = match result {
                    Ok(response) => response.json().await.ok(),
                    Err(_) => None,
                };
                let elapsed = sent.elapsed();
                requests.fetch_add(1, Ordering::Relaxed);
                latencies.lock().unwrap().push(elapsed.as_micros() as u64);
                let coded = body.as_ref().and_then(|b| b["errors"][0]["extensions"]["code"].as_str().map(str::to_owned));
                // Locked or unfunded senders are the expected refusals of this workload.
                match (&body, coded.as_deref()) {
                    (None, _) => errors.fetch_add(1, Ordering::Relaxed),
                    (Some(_), Some("WALLET_LOCKED" | "INSUFFICIENT_FUNDS") | None) => 0,
                    (Some(_), Some(_)) => errors.fetch_add(1, Ordering::Relaxed),
                };
                if let Some(height) = body.as_ref().and_then(|b| b["data"]["mineBlock"]["height"].as_u64()) {
                    acked.lock().unwrap().insert(height, Instant::now());
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        let _ = worker.await;
    }
    let seconds = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_mib = servers.iter().map(Replica::rss_mib).sum();
    let standby_share = standby_share(&http, &bases[0]).await;

    let acked = acked.lock().unwrap().clone();
    let mut delivery_us: Vec<u64> = received
        .lock()
        .unwrap()
        .iter()
        .filter_map(|(height, at)| {
            acked
                .get(height)
                .map(|ack| at.saturating_duration_since(*ack).as_micros() as u64)
        })
        .collect();
    delivery_us.sort_unstable();
    let mut latencies_us = latencies.lock().unwrap().clone();
    latencies_us.sort_unstable();
    drop(servers);
    Outcome {
        setup: setup.label,
        standby_share,
        requests: requests.load(Ordering::Relaxed),
        errors: errors.load(Ordering::Relaxed),
        seconds,
        latencies_us,
        delivery_us,
        blocks: acked.len() as u64,
        rss_mib,
    }
}

/// The share of node reads a standby served, from `/metrics` (none without standbys).
async fn standby_share(http: &reqwest::Client, base: &str) -> Option<f64> {
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let (mut primary, mut standbys) = (0.0, 0.0);
    for line in text
        .lines()
        .filter(|l| l.starts_with("pocket_reads_served{"))
    {
        let value: f64 = line.rsplit(' ').next()?.parse().ok()?;
        if line.contains("source=\"primary\"") {
            primary += value;
        } else {
            standbys += value;
        }
    }
    (primary + standbys > 0.0).then(|| standbys / (primary + standbys))
}

fn main() {
    // `cargo bench` passes --bench; nothing to filter here.
    let seconds = setting("LOAD_SECONDS", 60);
    let subscribers = setting("LOAD_SUBSCRIBERS", 300);
    let replicas = setting("LOAD_REPLICAS", 3) as usize;
    pocket_testkit::DURABLE_PG.store(true, Ordering::Relaxed);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let outcomes: Vec<Outcome> = rt.block_on(async {
        let mut outcomes = Vec::new();
        let db = TestDb::new(Backend::Postgres).await;
        for n in [1, replicas] {
            let label = format!("{n} replica{}", if n == 1 { "" } else { "s" });
            let setup = Setup {
                label,
                url: &db.url,
                replicas: n,
                extra: &[],
            };
            outcomes.push(run(setup, seconds, subscribers).await);
        }
        let pair = StandbyPair::start().await;
        let reads = ["--read-database-url", pair.standby_url.as_str()];
        for (label, extra) in [
            ("1 replica, primary of a standby", &[][..]),
            ("1 replica reading from the standby", &reads[..]),
        ] {
            let setup = Setup {
                label: label.to_owned(),
                url: &pair.primary_url,
                replicas: 1,
                extra,
            };
            outcomes.push(run(setup, seconds, subscribers).await);
        }
        outcomes
    });
    println!(
        "\n{seconds} s, {subscribers} WebSocket subscribers, 4 writers + 8 readers, PostgreSQL\n"
    );
    println!(
        "| setup | requests/s | p50 | p99 | refused or failed | blocks | delivery p50 | delivery p99 | memory (all replicas) | reads on the standby |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for o in &outcomes {
        println!(
            "| {} | {:.0} | {:.1} ms | {:.1} ms | {} | {} | {:.1} ms | {:.1} ms | {:.0} MiB | {} |",
            o.setup,
            o.requests as f64 / o.seconds,
            percentile(&o.latencies_us, 0.50),
            percentile(&o.latencies_us, 0.99),
            o.errors,
            o.blocks,
            percentile(&o.delivery_us, 0.50),
            percentile(&o.delivery_us, 0.99),
            o.rss_mib,
            o.standby_share
                .map_or("–".to_owned(), |share| format!("{:.0}%", share * 100.0))
        );
    }
}
