//! A long run of blocks (a peer's batch) is written while its signatures are verified: a bad
//! signature deep in it still leaves exactly the blocks before it connected, as connecting the
//! blocks one by one would.

use pocket_chain::chain::Witness;
use pocket_chain::node::NodeError;

use pocket_testkit::on_both_backends;
use pocket_testkit::{Backend, TestDb, built_chain, built_chain_node, dump};

on_both_backends!(a_bad_signature_deep_in_a_batch_keeps_the_blocks_before_it);

async fn a_bad_signature_deep_in_a_batch_keeps_the_blocks_before_it(backend: Backend) {
    let (archive, _) = built_chain(40);
    let mut blocks = archive.blocks.clone();
    let bad = 30;
    let Witness::Signed { signature, .. } = &mut blocks[bad].transactions[1].inputs[0].witness
    else {
        panic!("block {bad} spends with a signature");
    };
    signature[10] ^= 1;
    let bad_hash = blocks[bad].hash();

    let db = TestDb::new(backend).await;
    let node = built_chain_node(&db).await;
    match node.accept_blocks(blocks).await {
        Err(NodeError::InvalidBlock { hash, .. }) => assert_eq!(hash, bad_hash),
        other => panic!("the bad signature is refused, not {other:?}"),
    }
    assert_eq!(
        node.chain_info().await.unwrap().height,
        Some(bad as u64 - 1)
    );

    // The same as accepting the good blocks alone.
    let reference_db = TestDb::new(backend).await;
    let reference = built_chain_node(&reference_db).await;
    reference
        .accept_blocks(archive.blocks[..bad].to_vec())
        .await
        .unwrap();
    assert_eq!(
        dump(db.store().await.db()).await,
        dump(reference_db.store().await.db()).await
    );

    // The rest, good this time, connects on top.
    node.accept_blocks(archive.blocks[bad..].to_vec())
        .await
        .unwrap();
    assert_eq!(node.chain_info().await.unwrap().height, Some(39));
}
