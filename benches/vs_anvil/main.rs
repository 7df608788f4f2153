//! Pocket Chain next to Foundry's Anvil, side by side in one run (not part of `cargo test`):
//! each row runs the matched operation on both servers, alternating repetitions, through the same
//! keep-alive HTTP client, and the table prints Pocket's figure, Anvil's and their ratio (below 1:
//! Pocket is faster). Anvil is installed from npm into `target/vs_anvil` when missing (or set
//! `ANVIL` to a binary). How operations are matched: README "Next to Anvil".
//!
//!     cargo bench --bench vs_anvil
//!     VS_ANVIL_REPS=50 cargo bench --bench vs_anvil     # fewer repetitions of the quick rows
//!     VS_ANVIL_ONLY=new,reads cargo bench --bench vs_anvil   # some sections only
//!     VS_ANVIL_ONLY=floors cargo bench --bench vs_anvil      # the floors under durable writes

mod floors;
mod ops;
mod servers;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::BoxFuture;
use ops::Client;
use servers::{Kind, Server};

/// A row's two figures.
enum Figure {
    /// Median time of one operation.
    Time(Duration, Duration),
    /// Operations per second.
    Rate(f64, f64),
    /// Resident memory, MiB.
    Memory(f64, f64),
}

struct Row {
    what: String,
    figure: Figure,
}

impl Row {
    fn print(&self) {
        let ms = |d: &Duration| format!("{:.2} ms", d.as_secs_f64() * 1e3);
        let (pocket, anvil, ratio) = match &self.figure {
            Figure::Time(p, a) => (ms(p), ms(a), p.as_secs_f64() / a.as_secs_f64()),
            Figure::Rate(p, a) => (format!("{p:.0} /s"), format!("{a:.0} /s"), a / p),
            Figure::Memory(p, a) => (format!("{p:.0} MiB"), format!("{a:.0} MiB"), p / a),
        };
        println!("| {} | {pocket} | {anvil} | {ratio:.2} |", self.what);
    }
}

fn reps() -> usize {
    std::env::var("VS_ANVIL_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

/// Whether section `name` runs: all do unless `VS_ANVIL_ONLY` lists some (spawn, new, reads, long,
/// floors).
fn wanted(name: &str) -> bool {
    std::env::var("VS_ANVIL_ONLY").map_or(true, |only| only.split(',').any(|s| s.trim() == name))
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Runs `op` `reps` times on each client, alternating, and returns the median time of each as
/// measured by `op` itself (so it can leave its set-up out).
async fn alternate(
    clients: [&Client; 2],
    reps: usize,
    op: impl AsyncFn(&Client, usize) -> Duration,
) -> Figure {
    let mut samples = [Vec::new(), Vec::new()];
    for rep in 0..reps {
        for (side, client) in clients.iter().enumerate() {
            samples[side].push(op(client, rep).await);
        }
    }
    let [pocket, anvil] = samples;
    Figure::Time(median(pocket), median(anvil))
}

/// Times `work`.
async fn timed(work: impl Future<Output = ()>) -> Duration {
    let started = Instant::now();
    work.await;
    started.elapsed()
}

/// The rate of `op` from `tasks` concurrent clients, measured on each server in turn in two
/// alternating rounds of `seconds`.
async fn rate(
    clients: [&Client; 2],
    tasks: usize,
    seconds: f64,
    op: impl Fn(Client, usize, u64) -> BoxFuture<'static, ()> + Clone + Send + 'static,
) -> Figure {
    let mut rates = [0.0; 2];
    for _ in 0..2 {
        for (side, client) in clients.iter().enumerate() {
            let done = Arc::new(AtomicU64::new(0));
            let started = Instant::now();
            let deadline = started + Duration::from_secs_f64(seconds);
            let mut workers = Vec::new();
            for task in 0..tasks {
                let (client, done, op) = ((*client).clone(), done.clone(), op.clone());
                workers.push(tokio::spawn(async move {
                    let mut n = 0;
                    while Instant::now() < deadline {
                        op(client.clone(), task, n).await;
                        n += 1;
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }));
            }
            for worker in workers {
                worker.await.expect("a worker finished");
            }
            rates[side] +=
                done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64() / 2.0;
        }
    }
    Figure::Rate(rates[0], rates[1])
}

async fn pair(
    http: &reqwest::Client,
    pocket_args: &[&str],
    anvil_args: &[&str],
) -> (Server, Server, Client, Client) {
    let (pocket, _) = Server::start(Kind::Pocket, http, pocket_args).await;
    let (anvil, _) = Server::start(Kind::Anvil, http, anvil_args).await;
    let (p, a) = (
        Client::new(&pocket, http).await,
        Client::new(&anvil, http).await,
    );
    (pocket, anvil, p, a)
}

#[tokio::main]
async fn main() {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        // Pocket closes a connection idle for 10 s; the client lets go first.
        .pool_idle_timeout(Duration::from_secs(5))
        .build()
        .expect("an HTTP client");
    servers::anvil();
    let reps = reps();
    let mut rows = Vec::new();
    let mut row = |what: &str, figure: Figure| {
        let row = Row {
            what: what.to_owned(),
            figure,
        };
        row.print();
        rows.push(row);
    };
    println!("| operation | Pocket | Anvil | ratio |\n|---|---|---|---|");
    let transfer_and_mine = async |c: &Client, _| {
        timed(async {
            c.transfer(0, 1).await;
            c.mine().await;
        })
        .await
    };

    if wanted("spawn") {
        let mut spawns = [Vec::new(), Vec::new()];
        for _ in 0..10 {
            for (side, kind) in [Kind::Pocket, Kind::Anvil].into_iter().enumerate() {
                spawns[side].push(Server::start(kind, &http, &[]).await.1);
            }
        }
        let [p, a] = spawns;
        row(
            "spawn to first answered request",
            Figure::Time(median(p), median(a)),
        );
    }

    if wanted("new") {
        // A new chain: the write loop of a test suite. 32 accounts, one per client of the
        // concurrent row (an Ethereum account's transactions are ordered by nonce).
        let (_pocket, _anvil, p, a) =
            pair(&http, &["--accounts", "32"], &["--accounts", "32"]).await;
        for client in [&p, &a] {
            client.set_auto(false).await;
        }
        row(
            "transfer + mine one block, new chain (`send` + `mineBlock` vs `eth_sendTransaction` + `evm_mine`)",
            alternate([&p, &a], reps, transfer_and_mine).await,
        );
        for client in [&p, &a] {
            client.set_auto(true).await;
        }
        row(
            "the same in AUTO mode vs automine + receipt",
            alternate([&p, &a], reps, async |c, _| {
                timed(c.transfer_mined(0, 1)).await
            })
            .await,
        );
        row(
            "32 clients, transfers mined per second (AUTO vs automine + receipt)",
            rate([&p, &a], 32, 3.0, |c: Client, task, _| {
                async move { c.transfer_mined(task, (task + 1) % 32).await }.boxed()
            })
            .await,
        );
        row(
            "balance of an address, 8 clients, response cache on",
            rate([&p, &a], 8, 2.0, |c: Client, task, _| {
                async move { c.balance(task % 10).await }.boxed()
            })
            .await,
        );
        drop((_pocket, _anvil));
    }

    if wanted("reads") {
        // Reads with Pocket's response cache off, over 100 blocks of 10 transfers.
        let (_pocket, _anvil, p, a) = pair(&http, &["--response-cache", "0"], &[]).await;
        for client in [&p, &a] {
            client.set_auto(false).await;
            for _ in 0..100 {
                for t in 0..10 {
                    client.transfer(t, (t + 1) % 10).await;
                }
                client.mine().await;
            }
        }
        row(
            "the same, cache off",
            rate([&p, &a], 8, 2.0, |c: Client, task, _| {
                async move { c.balance(task % 10).await }.boxed()
            })
            .await,
        );
        row(
            "the floor under both: a request that reads nothing (`{ __typename }` vs `eth_chainId`), 8 clients",
            rate([&p, &a], 8, 2.0, |c: Client, _, _| {
                async move { c.nothing().await }.boxed()
            })
            .await,
        );
        row(
            "a block with its 10 transactions, cache off, 8 clients",
            rate([&p, &a], 8, 2.0, |c: Client, task, n| {
                async move {
                    c.block_with_transactions(1 + (task as u64 * 13 + n) % 100)
                        .await
                }
                .boxed()
            })
            .await,
        );
        drop((_pocket, _anvil));
    }

    if wanted("long") {
        // Many blocks, snapshots and reverts, then a long chain.
        let mut first_call = [Vec::new(), Vec::new()];
        let mut last = None;
        for _ in 0..3 {
            let (pocket, anvil, p, a) = pair(&http, &[], &[]).await;
            for (side, client) in [&p, &a].into_iter().enumerate() {
                first_call[side].push(timed(client.mine_many(1000)).await);
            }
            last = Some((pocket, anvil, p, a));
        }
        let [fp, fa] = first_call;
        row(
            "mine 1,000 blocks in one call, new chain",
            Figure::Time(median(fp), median(fa)),
        );
        let (_pocket, _anvil, p, a) = last.expect("a pair");
        row(
            "snapshot (1,000-block chain)",
            alternate([&p, &a], reps / 4, async |c, _| {
                timed(async {
                    c.snapshot().await;
                })
                .await
            })
            .await,
        );
        row(
            "revert 100 empty blocks",
            alternate([&p, &a], reps / 10, async |c, _| {
                let id = c.snapshot().await;
                c.mine_many(100).await;
                timed(c.revert(&id)).await
            })
            .await,
        );
        for client in [&p, &a] {
            client.set_auto(false).await;
        }
        row(
            "revert 100 blocks of one transfer each",
            alternate([&p, &a], reps / 40, async |c, _| {
                let id = c.snapshot().await;
                for _ in 0..100 {
                    c.transfer(0, 1).await;
                    c.mine().await;
                }
                timed(c.revert(&id)).await
            })
            .await,
        );
        let mut tenth = [Duration::ZERO; 2];
        for call in 2..=10 {
            for (side, client) in [&p, &a].into_iter().enumerate() {
                let took = timed(client.mine_many(1000)).await;
                if call == 10 {
                    tenth[side] = took;
                }
            }
        }
        row(
            "the 10th successive 1,000-block call",
            Figure::Time(tenth[0], tenth[1]),
        );
        row(
            "transfer + mine one block at ~10,000 blocks",
            alternate([&p, &a], reps, transfer_and_mine).await,
        );
        for client in [&p, &a] {
            for _ in 0..500 {
                for t in 0..10 {
                    client.transfer(t, (t + 1) % 10).await;
                }
                client.mine().await;
            }
        }
        row(
            "resident memory after 10,000 blocks + 5,000 transfers",
            Figure::Memory(_pocket.rss_mib(), _anvil.rss_mib()),
        );
    }

    if wanted("floors") {
        let (pocket, _) = Server::start(Kind::Pocket, &http, &[]).await;
        let (anvil, _) = Server::start(Kind::Anvil, &http, &[]).await;
        let p = Client::new(&pocket, &http).await;
        let a = Client::new(&anvil, &http).await;
        for (what, figure) in floors::rows(&p, &a, reps).await {
            row(what, figure);
        }
    }

    println!(
        "\n{} rows; Pocket on SQLite with default settings, Anvil {}.",
        rows.len(),
        servers::ANVIL_VERSION
    );
}
