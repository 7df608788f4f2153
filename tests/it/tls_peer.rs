//! A peer behind TLS (an operator's reverse proxy in front of its node): an `https://` peer is
//! followed over HTTPS and `wss://`, trusting the system's roots — here a private CA given by
//! `SSL_CERT_FILE`, the way an operator adds one. A node that does not trust it refuses the peer.

use std::ffi::OsStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pocket_testkit::{Replica, graphql};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use serde_json::{Value, json};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{ServerConfig, crypto};

use crate::network::BITS;
use pocket_testkit::sqlite_databases;

/// Terminates TLS on a free loopback port and passes the bytes on to `target` (`host:port`).
async fn tls_proxy(
    target: String,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> u16 {
    let config = ServerConfig::builder_with_provider(Arc::new(crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (acceptor, target) = (acceptor.clone(), target.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let Ok(mut plain) = tokio::net::TcpStream::connect(&target).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    port
}

/// `{ peers { state lastError } chain { height } }` on `node`, once `done` holds for it.
async fn once(node: &Replica, done: impl Fn(&Value) -> bool) -> Value {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answer = graphql(
            &http,
            &format!("{}/graphql", node.base),
            "{ peers { state lastError } chain { height } }",
            json!({}),
        )
        .await;
        if done(&answer["data"]) {
            return answer["data"].clone();
        }
        assert!(Instant::now() < deadline, "{answer}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_behind_tls_is_followed_over_https_and_wss() {
    // A private CA, and a certificate it issued for localhost.
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();

    let bin = env!("CARGO_BIN_EXE_pocket");
    let [db_a, db_b, db_c] = sqlite_databases().await;
    let a = Replica::start(bin, &db_a.url, &["--difficulty", BITS]).await;
    let mine = async |count: u32| {
        graphql(
            &reqwest::Client::new(),
            &format!("{}/graphql", a.base),
            "mutation($n: Int!) { mineBlocks(count: $n, address: \"1BoatSLRHtKNngkdXEeobR76b53LETtpyT\") { height } }",
            json!({ "n": count }),
        )
        .await
    };
    mine(5).await;
    let port = tls_proxy(
        a.base.trim_start_matches("http://").to_owned(),
        vec![leaf.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
    .await;
    let peer = format!("https://localhost:{port}");

    // B trusts the CA: it catches up over HTTPS, then follows A's announcements over wss://
    // (FOLLOWING means that subscription is open), and a new block reaches it that way.
    let b = Replica::start_with_env(
        bin,
        &db_b.url,
        &["--difficulty", BITS, "--peer", &peer],
        &[("SSL_CERT_FILE", OsStr::new(&ca_file))],
    )
    .await;
    once(&b, |d| {
        d["peers"][0]["state"] == "FOLLOWING" && d["chain"]["height"] == 4
    })
    .await;
    mine(1).await;
    let followed = once(&b, |d| d["chain"]["height"] == 5).await;
    assert_eq!(followed["peers"][0]["lastError"], Value::Null, "{followed}");

    // C does not: the peer is DOWN, with the certificate named.
    let c = Replica::start(bin, &db_c.url, &["--difficulty", BITS, "--peer", &peer]).await;
    let refused = once(&c, |d| d["peers"][0]["state"] == "DOWN").await;
    let error = refused["peers"][0]["lastError"].as_str().unwrap();
    assert!(error.contains("certificate"), "{error}");
    assert_eq!(refused["chain"]["height"], Value::Null);
    drop((a, b, c));
}
