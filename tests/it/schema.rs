//! `schema.graphql` is exactly what `pocket schema` prints.

#[test]
fn committed_schema_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql exists");
    let printed = std::process::Command::new(env!("CARGO_BIN_EXE_pocket"))
        .arg("schema")
        .output()
        .expect("pocket schema runs");
    assert!(printed.status.success());
    assert_eq!(
        String::from_utf8(printed.stdout).unwrap(),
        committed,
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql`"
    );
}
