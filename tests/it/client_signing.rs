//! Keys in the user's hands, on both backends: `buildTransaction` writes nothing and gives what a
//! signer needs, `submitTransaction` pools what verifies and refuses each broken rule with its
//! code and check, changing nothing but the refusal log; the `pocket key` / `pocket sign` CLI
//! signs offline for the real binary.

use std::process::{Command, Stdio};

use pocket_chain::chain::{
    OutPoint, PubkeyHash, SecretKey, SigningRequest, Transaction, TxOut, Txid, Witness,
};
use serde_json::{Value, json};

use crate::app::{TestApp, code, spawn_app};
use pocket_testkit::{Backend, PoolRows, Replica, TestDb, dump_tables, on_both_backends};

on_both_backends!(
    a_payment_built_here_and_signed_elsewhere_moves_the_balances,
    each_refusal_is_typed_logged_and_changes_nothing,
    concurrent_spends_of_one_coin_pool_exactly_one,
    a_payment_needing_more_coins_than_a_transaction_holds_is_refused,
    the_offline_cli_signs_for_the_real_binary,
    a_relayed_refusal_stays_out_of_the_refusal_log,
);

const BUILD: &str = "query($f: String!, $t: String!, $a: Int!) { buildTransaction(from: $f, to: $t, amount: $a) { txId rawHex signingRequest fee inputs { index txId vout value address sighash } outputs { index value address } } }";
const SUBMIT: &str = "mutation($raw: String!) { submitTransaction(rawHex: $raw) { id txId from to amount status block { height } } }";
const REFUSALS: &str = "{ pool(includeRejected: true, first: 100) { nodes { status error } } }";

fn key(n: u8) -> SecretKey {
    SecretKey::from_bytes(&[n; 32]).unwrap()
}

fn address(key: &SecretKey) -> String {
    key.public_key().address().to_string()
}

/// Mines `blocks` blocks paying `to`: that many coins of 10.
async fn fund(app: &TestApp, to: &str, blocks: usize) {
    for _ in 0..blocks {
        let mined = app.mine(to, Some(0)).await;
        assert!(mined.get("errors").is_none(), "{mined}");
    }
}

async fn build(app: &TestApp, from: &str, to: &str, amount: i64) -> Value {
    app.gql(BUILD, json!({ "f": from, "t": to, "a": amount }))
        .await
}

/// `buildTransaction`'s request, signed by `key`, as submit-ready hex.
fn signed(built: &Value, key: &SecretKey) -> String {
    let hex_text = built["data"]["buildTransaction"]["signingRequest"]
        .as_str()
        .unwrap_or_else(|| panic!("no signing request in {built}"));
    let mut request = SigningRequest::decode(&hex::decode(hex_text).unwrap()).unwrap();
    request.sign_with(key).unwrap();
    assert!(request.is_complete());
    hex::encode(request.tx.encode())
}

async fn submit(app: &TestApp, raw: &str) -> Value {
    app.gql(SUBMIT, json!({ "raw": raw })).await
}

async fn balance(app: &TestApp, address: &str) -> u64 {
    app.data(
        "query($a: String!) { address(address: $a) { balance } }",
        json!({ "a": address }),
    )
    .await["address"]["balance"]
        .as_u64()
        .unwrap()
}

async fn a_payment_built_here_and_signed_elsewhere_moves_the_balances(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, bob) = (key(1), key(2));
    let (a, b) = (address(&alice), address(&bob));
    fund(&app, &a, 2).await;
    let store = app.db.store().await;
    let before = dump_tables(store.db(), PoolRows::All).await;

    let built = build(&app, &a, &b, 15).await;
    let unsigned = &built["data"]["buildTransaction"];
    assert_eq!(
        dump_tables(store.db(), PoolRows::All).await,
        before,
        "building writes nothing"
    );
    // Every field agrees with the protocol as this test computes it from the bytes.
    let tx =
        Transaction::decode(&hex::decode(unsigned["rawHex"].as_str().unwrap()).unwrap()).unwrap();
    assert!(
        tx.inputs
            .iter()
            .all(|i| matches!(i.witness, Witness::Unsigned))
    );
    assert_eq!(unsigned["txId"], tx.txid().to_string());
    assert_eq!(unsigned["fee"], 0);
    let inputs = unsigned["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 2, "two coins of 10 pay 15");
    for (index, (input, json)) in tx.inputs.iter().zip(inputs).enumerate() {
        assert_eq!(json["txId"], input.previous_output.txid.to_string());
        assert_eq!(json["vout"], input.previous_output.vout);
        assert_eq!(json["value"], 10);
        assert_eq!(json["address"], a);
        let spent = TxOut {
            value: 10,
            pubkey_hash: alice.public_key().pubkey_hash(),
        };
        let digest = Transaction::signature_digest(&tx.txid(), index as u32, &spent);
        assert_eq!(json["sighash"], hex::encode(digest));
    }
    assert_eq!(
        unsigned["outputs"],
        json!([{ "index": 0, "value": 15, "address": b }, { "index": 1, "value": 5, "address": a }])
    );

    let raw = signed(&built, &alice);
    let pooled = submit(&app, &raw).await;
    let entry = &pooled["data"]["submitTransaction"];
    assert_eq!(entry["status"], "PENDING", "{pooled}");
    assert_eq!(entry["txId"], unsigned["txId"]);
    assert_eq!(
        (&entry["from"], &entry["to"], &entry["amount"]),
        (&json!(a), &json!(b), &json!(15))
    );
    // Submitting it again answers the same entry and adds nothing.
    let again = submit(&app, &raw).await;
    assert_eq!(again["data"]["submitTransaction"]["id"], entry["id"]);
    let pool = app.data("{ pool { totalCount } }", json!({})).await;
    assert_eq!(pool["pool"]["totalCount"], 1);
    // The coins it spends are no longer offered; a client key is bound only by its coins.
    let refused = build(&app, &a, &b, 1).await;
    assert_eq!(code(&refused), "INSUFFICIENT_FUNDS");
    assert_eq!(refused["errors"][0]["extensions"]["available"], 0);
    let status = app
        .data(
            "query($id: String!) { transactionStatus(txId: $id) { state poolPosition } }",
            json!({ "id": entry["txId"] }),
        )
        .await;
    assert_eq!(status["transactionStatus"]["state"], "PENDING");

    let mined = app.mine(&address(&key(3)), None).await;
    assert_eq!(mined["data"]["mineBlock"]["txCount"], 2, "{mined}");
    assert_eq!(balance(&app, &a).await, 5);
    assert_eq!(balance(&app, &b).await, 15);
    let stale = submit(&app, &raw).await;
    assert_eq!(code(&stale), "INVALID_TRANSACTION");
    assert_eq!(stale["errors"][0]["extensions"]["check"], "ALREADY_MINED");
    app.node.verify_chain(&|_, _| {}).await.unwrap();

    // In AUTO mode a submission is mined in its own commit: the answer names its block.
    let set = "mutation($a: String!) { setMining(mode: AUTO, address: $a) { mode } }";
    app.data(set, json!({ "a": address(&key(3)) })).await;
    let built = build(&app, &b, &a, 4).await;
    let mined = submit(&app, &signed(&built, &bob)).await;
    let entry = &mined["data"]["submitTransaction"];
    assert_eq!(entry["status"], "MINED", "{mined}");
    assert_eq!(entry["block"]["height"], 3);
    assert_eq!(balance(&app, &a).await, 9);
    app.data("mutation { setMining(mode: MANUAL) { mode } }", json!({}))
        .await;

    // A keystore wallet's address builds too (any address holding coins).
    let wallets = app.reset().await;
    let built = build(&app, &wallets[0], &b, 1).await;
    assert!(built.get("errors").is_none(), "{built}");
}

/// What a test submits, and the check it must fail.
struct Refusal {
    name: &'static str,
    raw: String,
    code: &'static str,
    check: Option<&'static str>,
}

async fn each_refusal_is_typed_logged_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, bob) = (key(1), key(2));
    let (a, b) = (address(&alice), address(&bob));
    fund(&app, &a, 3).await;
    // One pending payment of alice's: its coin is taken.
    let first = build(&app, &a, &b, 10).await;
    let pending = submit(&app, &signed(&first, &alice)).await;
    assert_eq!(pending["data"]["submitTransaction"]["status"], "PENDING");
    let pending_txid = pending["data"]["submitTransaction"]["txId"].clone();
    let taken: SigningRequest = request_of(&first);
    let fresh: SigningRequest = request_of(&build(&app, &a, &b, 10).await);
    for case in refusals(&fresh, &taken, &alice, &bob) {
        each_is_typed_logged_and_changes_nothing(&app, case, &pending_txid).await;
    }
    // The pending payment is untouched. A client key is bound only by its coins: a second
    // payment of alice's, spending another coin, pools beside the first.
    let second = submit(&app, &with_change(&alice, fresh.clone(), &|_| {})).await;
    assert_eq!(
        second["data"]["submitTransaction"]["status"], "PENDING",
        "{second}"
    );
    let mined = app.mine(&b, None).await;
    assert_eq!(mined["data"]["mineBlock"]["txCount"], 3, "{mined}");
    assert_eq!(balance(&app, &a).await, 10);
    // Now mined, the first payment's coin is spent: another transaction spending it is refused.
    let spent = submit(
        &app,
        &with_change(&alice, taken, &|r| {
            r.tx.outputs[0].pubkey_hash = PubkeyHash([8; 20])
        }),
    )
    .await;
    assert_eq!(code(&spent), "INVALID_TRANSACTION");
    assert_eq!(
        spent["errors"][0]["extensions"]["check"], "INPUT_NOT_UNSPENT",
        "{spent}"
    );
}

/// `request` changed by `change`, signed by `key`, as hex.
fn with_change(
    key: &SecretKey,
    mut request: SigningRequest,
    change: &dyn Fn(&mut SigningRequest),
) -> String {
    change(&mut request);
    request.sign_with(key).unwrap();
    hex::encode(request.tx.encode())
}

/// Every way a submitted transaction is refused: `fresh` spends a free coin of `alice`'s, `taken`
/// one a pending payment spends.
fn refusals(
    fresh: &SigningRequest,
    taken: &SigningRequest,
    alice: &SecretKey,
    bob: &SecretKey,
) -> Vec<Refusal> {
    let mut bad_signature = fresh.clone();
    bad_signature.sign_with(alice).unwrap();
    if let Witness::Signed { signature, .. } = &mut bad_signature.tx.inputs[0].witness {
        signature[10] ^= 1;
    }
    let mut wrong_key = fresh.clone();
    wrong_key.tx.sign(bob, &wrong_key.spent.clone()).unwrap();
    vec![
        Refusal {
            name: "bad signature",
            raw: hex::encode(bad_signature.tx.encode()),
            code: "INVALID_TRANSACTION",
            check: Some("BAD_SIGNATURE"),
        },
        Refusal {
            name: "signed by a key that does not own the coin",
            raw: hex::encode(wrong_key.tx.encode()),
            code: "INVALID_TRANSACTION",
            check: Some("WRONG_KEY"),
        },
        Refusal {
            name: "unsigned",
            raw: hex::encode(fresh.tx.encode()),
            code: "INVALID_TRANSACTION",
            check: Some("UNSIGNED"),
        },
        Refusal {
            name: "an input spent by a pending transaction",
            raw: with_change(alice, taken.clone(), &|r| {
                r.tx.outputs[0].pubkey_hash = PubkeyHash([7; 20])
            }),
            code: "DOUBLE_SPEND",
            check: None,
        },
        Refusal {
            name: "an output that does not exist",
            raw: with_change(alice, fresh.clone(), &|r| {
                r.tx.inputs[0].previous_output = OutPoint {
                    txid: Txid([9; 32]),
                    vout: 0,
                }
            }),
            code: "INVALID_TRANSACTION",
            check: Some("INPUT_NOT_UNSPENT"),
        },
        Refusal {
            name: "inflation",
            raw: with_change(alice, fresh.clone(), &|r| r.tx.outputs[0].value = 11),
            code: "INVALID_TRANSACTION",
            check: Some("VALUE_NOT_CONSERVED"),
        },
        Refusal {
            name: "one coin spent twice",
            raw: with_change(alice, fresh.clone(), &|r| {
                r.tx.inputs.push(r.tx.inputs[0]);
                r.spent.push(r.spent[0]);
            }),
            code: "INVALID_TRANSACTION",
            check: Some("DUPLICATE_INPUT"),
        },
        Refusal {
            name: "a coinbase",
            raw: hex::encode(
                Transaction::coinbase(4, 10, alice.public_key().pubkey_hash()).encode(),
            ),
            code: "INVALID_TRANSACTION",
            check: Some("COINBASE"),
        },
        Refusal {
            name: "not hex",
            raw: "zz".into(),
            code: "INVALID_TRANSACTION",
            check: Some("DECODE"),
        },
        Refusal {
            name: "truncated",
            raw: hex::encode(fresh.tx.encode())[..60].to_owned(),
            code: "INVALID_TRANSACTION",
            check: Some("DECODE"),
        },
        Refusal {
            name: "a count no bytes could hold",
            raw: "01000000ffffffff".into(),
            code: "INVALID_TRANSACTION",
            check: Some("DECODE"),
        },
        Refusal {
            name: "trailing bytes",
            raw: format!("{}00", with_change(alice, fresh.clone(), &|_| {})),
            code: "INVALID_TRANSACTION",
            check: Some("DECODE"),
        },
        Refusal {
            name: "larger than a transaction may be",
            raw: "00".repeat(100_001),
            code: "INVALID_TRANSACTION",
            check: Some("TOO_LARGE"),
        },
    ]
}

/// Submits one refused transaction: typed by its code (and check), logged as a refusal, and
/// nothing else changes.
async fn each_is_typed_logged_and_changes_nothing(
    app: &TestApp,
    case: Refusal,
    pending_txid: &Value,
) {
    let store = app.db.store().await;
    let logged = |body: Value| body["pool"]["nodes"].as_array().unwrap().len();
    let before = dump_tables(store.db(), PoolRows::Pending).await;
    let refusals_before = logged(app.data(REFUSALS, json!({})).await);
    let body = submit(app, &case.raw).await;
    assert_eq!(code(&body), case.code, "{}: {body}", case.name);
    let extensions = &body["errors"][0]["extensions"];
    match case.check {
        Some(check) => assert_eq!(extensions["check"], check, "{}: {body}", case.name),
        None => {
            assert_eq!(&extensions["pendingTxId"], pending_txid, "{body}");
            assert_eq!(extensions["input"], 0);
        }
    }
    assert_eq!(
        dump_tables(store.db(), PoolRows::Pending).await,
        before,
        "{}: only the refusal log changes",
        case.name
    );
    let log = app.data(REFUSALS, json!({})).await;
    assert_eq!(logged(log.clone()), refusals_before + 1, "{}", case.name);
    let last = log["pool"]["nodes"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["status"], "REJECTED");
    assert_eq!(last["error"], body["errors"][0]["message"], "{}", case.name);
}

fn request_of(built: &Value) -> SigningRequest {
    let text = built["data"]["buildTransaction"]["signingRequest"]
        .as_str()
        .unwrap_or_else(|| panic!("no signing request in {built}"));
    SigningRequest::decode(&hex::decode(text).unwrap()).unwrap()
}

async fn concurrent_spends_of_one_coin_pool_exactly_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = key(1);
    let a = address(&alice);
    fund(&app, &a, 1).await;
    let request = request_of(&build(&app, &a, &address(&key(2)), 10).await);
    // Sixteen different transactions spending the same coin, submitted at once: they share
    // group commits, and the pool takes exactly one.
    let raws: Vec<String> = (0..16u8)
        .map(|n| {
            let mut request = request.clone();
            request.tx.outputs[0].pubkey_hash = PubkeyHash([n + 1; 20]);
            request.sign_with(&alice).unwrap();
            hex::encode(request.tx.encode())
        })
        .collect();
    let answers = futures::future::join_all(raws.iter().map(|raw| submit(&app, raw))).await;
    let pooled = answers
        .iter()
        .filter(|a| a["data"]["submitTransaction"]["status"] == "PENDING")
        .count();
    let doubles = answers
        .iter()
        .filter(|a| a.get("errors").is_some() && code(a) == "DOUBLE_SPEND")
        .count();
    assert_eq!((pooled, doubles), (1, 15), "{answers:?}");
    let mined = app.mine(&a, None).await;
    assert_eq!(mined["data"]["mineBlock"]["txCount"], 2, "{mined}");
    app.node.verify_chain(&|_, _| {}).await.unwrap();
}

async fn a_payment_needing_more_coins_than_a_transaction_holds_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = address(&key(1));
    let max = pocket_chain::node::MAX_BUILT_INPUTS;
    app.node
        .mine_blocks(&a.parse().unwrap(), max as i64 + 1, Some(0), |_| {})
        .await
        .unwrap();
    let b = address(&key(2));
    // All the coins but one fit; one more coin's worth does not.
    let fits = build(&app, &a, &b, 10 * max as i64).await;
    let inputs = fits["data"]["buildTransaction"]["inputs"]
        .as_array()
        .unwrap();
    assert_eq!(inputs.len(), max);
    let signed_hex = signed(&fits, &key(1));
    assert!(signed_hex.len() / 2 <= pocket_chain::node::MAX_TX_BYTES);
    let refused = build(&app, &a, &b, 10 * max as i64 + 1).await;
    assert_eq!(code(&refused), "BAD_REQUEST", "{refused}");
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("{} coins", max + 1)),
        "{refused}"
    );
    // The largest transaction built is accepted whole.
    let pooled = submit(&app, &signed_hex).await;
    assert_eq!(
        pooled["data"]["submitTransaction"]["status"], "PENDING",
        "{pooled}"
    );
}

/// Runs the `pocket` binary with no database, `stdin` piped in; its standard output.
fn pocket(args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_pocket"))
        .env("POCKET_ACCOUNTS", "0")
        .args(args)
        // Offline commands must not touch a database: point them at one that cannot open.
        .env("POCKET_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "pocket {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

async fn the_offline_cli_signs_for_the_real_binary(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("me.key");
    let key_path = key_file.to_str().unwrap();
    let printed = pocket(&["key", "new", "--out", key_path], "");
    let me = printed.trim().to_owned();
    assert_eq!(pocket(&["key", "address", key_path], "").trim(), me);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "owner-only key file");
    }
    // A second `key new` never replaces the file.
    let again = Command::new(env!("CARGO_BIN_EXE_pocket"))
        .env("POCKET_ACCOUNTS", "0")
        .args(["key", "new", "--out", key_path])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert_eq!(pocket(&["key", "address", key_path], "").trim(), me);

    let db = TestDb::new(backend).await;
    let node = Replica::start(
        env!("CARGO_BIN_EXE_pocket"),
        &db.url,
        &["--difficulty", "8"],
    )
    .await;
    let http = reqwest::Client::new();
    let url = format!("{}/graphql", node.base);
    let gql = |query: &'static str, variables: Value| {
        let http = http.clone();
        let url = url.clone();
        async move { pocket_testkit::graphql(&http, &url, query, variables).await }
    };
    for _ in 0..2 {
        gql(
            "mutation($a: String!) { mineBlock(address: $a) { height } }",
            json!({ "a": me }),
        )
        .await;
    }
    let friend = address(&key(5));
    let built = gql(BUILD, json!({ "f": me, "t": friend, "a": 12 })).await;
    // The whole JSON answer on standard input, as `curl … | pocket sign --key me.key -` gives it.
    let raw = pocket(&["sign", "--key", key_path, "-"], &built.to_string());
    // The hex argument form signs to the same bytes (RFC 6979 signatures are deterministic).
    let request = built["data"]["buildTransaction"]["signingRequest"]
        .as_str()
        .unwrap();
    assert_eq!(pocket(&["sign", "--key", key_path, request], ""), raw);
    let pooled = gql(SUBMIT, json!({ "raw": raw.trim() })).await;
    assert_eq!(
        pooled["data"]["submitTransaction"]["status"], "PENDING",
        "{pooled}"
    );
    gql(
        "mutation($a: String!) { mineBlock(address: $a) { height } }",
        json!({ "a": friend }),
    )
    .await;
    let balances = gql(
        "query($a: String!, $b: String!) { a: address(address: $a) { balance } b: address(address: $b) { balance } }",
        json!({ "a": me, "b": friend }),
    )
    .await;
    assert_eq!(
        balances["data"],
        json!({ "a": { "balance": 8 }, "b": { "balance": 22 } })
    );
}

/// A transaction a peer relays (`relayed: true`) is refused with the same code, but its refusal
/// is not the user's: it stays out of the pool's refusal log, where the same refusal of a
/// client's submission goes.
async fn a_relayed_refusal_stays_out_of_the_refusal_log(backend: Backend) {
    let app = spawn_app(backend).await;
    let bytes = "00".repeat(12);
    let relayed = app
        .gql(
            "mutation($raw: String!) { submitTransaction(rawHex: $raw, relayed: true) { id } }",
            json!({ "raw": bytes }),
        )
        .await;
    assert_eq!(code(&relayed), "INVALID_TRANSACTION", "{relayed}");
    let log = app.gql(REFUSALS, json!({})).await;
    assert_eq!(log["data"]["pool"]["nodes"], json!([]), "{log}");
    let own = app.gql(SUBMIT, json!({ "raw": bytes })).await;
    assert_eq!(code(&own), "INVALID_TRANSACTION", "{own}");
    let log = app.gql(REFUSALS, json!({})).await;
    assert_eq!(
        log["data"]["pool"]["nodes"][0]["status"], "REJECTED",
        "{log}"
    );
}
