//! What a document may cost, checked before async-graphql validates it: validation itself is
//! quadratic in repeated fields, so a flood must be refused by counting, not by validating.
//!
//! Every transport calls [`admit`] on each request: it counts tokens before parsing, parses once
//! (the parsed document is handed to the schema, which does not parse again), then walks the
//! document once, expanding fragments, for fields, aliases, directives, depth, root mutation
//! fields and the spec's one-root-field rule for subscriptions. Every refusal is a
//! `BAD_REQUEST` naming the limit and its flag.

use std::collections::HashSet;

use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{Name, Pos, Positioned, Request, ServerError};

use super::error::code;
use super::tokens::count_tokens;

/// Limits a request must stay within. Each has a `--max-…` flag.
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    /// Deepest nesting of selections (introspection has its own rule, see [`admit`]).
    pub depth: usize,
    /// Largest total complexity (paged fields count `first` × their children).
    pub complexity: usize,
    /// Most lexical tokens in a document.
    pub tokens: usize,
    /// Most field selections, fragments counted where defined and again where spread.
    pub fields: usize,
    /// Most aliased fields.
    pub aliases: usize,
    /// Most directives in a document.
    pub directives: usize,
    /// Most root fields in one mutation: each runs a state change of its own.
    pub root_mutations: usize,
    /// Whether `__schema` and `__type` may be asked (`--introspection false` hides the schema
    /// from clients; `__typename` stays).
    pub introspection: bool,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            depth: 12,
            complexity: 50_000,
            tokens: 5_000,
            fields: 1_000,
            aliases: 50,
            directives: 50,
            root_mutations: 10,
            introspection: true,
        }
    }
}

/// Introspection's list fields: the standard introspection query nests one of them in another
/// once; three deep is a cycle through the type graph (graphql-js's MaxIntrospectionDepthRule).
const INTROSPECTION_LISTS: [&str; 4] = ["fields", "interfaces", "possibleTypes", "inputFields"];
const MAX_INTROSPECTION_LISTS: usize = 3;

/// What [`admit`] learned about an accepted document.
#[derive(Debug, Clone, Copy)]
pub struct Admitted {
    /// Every operation in the document is a query (so it may run over GET).
    pub only_queries: bool,
    /// Some operation in the document is a mutation.
    pub any_mutation: bool,
    /// Some operation in the document is a subscription.
    pub any_subscription: bool,
    /// Its answer depends only on the database, so the response cache may keep it: a query
    /// that selects none of [`VOLATILE_ROOT_FIELDS`].
    pub cacheable: bool,
    /// Every operation is a mutation selecting only `submitBlock` or `submitBlocks` (so it may
    /// be as large as a block: the server's block route).
    pub only_block_submissions: bool,
}

/// Root fields whose answers change without the database changing (the peers' states).
pub const VOLATILE_ROOT_FIELDS: [&str; 1] = ["peers"];

/// Checks `request` against `limits` and leaves the parsed document in it.
pub fn admit(limits: &QueryLimits, request: &mut Request) -> Result<Admitted, ServerError> {
    if count_tokens(&request.query, limits.tokens).is_none() {
        return Err(refusal(
            format!(
                "the document has more than {} tokens (--max-tokens)",
                limits.tokens
            ),
            None,
        ));
    }
    let document = async_graphql::parser::parse_query(&request.query).map_err(|e| {
        let mut error = ServerError::from(e);
        error.message = format!("syntax error: {}", error.message);
        coded(error)
    })?;
    let mut walk = Walk::new(&document, limits);
    walk.document()?;
    let only_queries = document
        .operations
        .iter()
        .all(|(_, op)| op.node.ty == OperationType::Query);
    let volatile = document.operations.iter().any(|(_, op)| {
        walk.root_fields(&op.node.selection_set)
            .iter()
            .any(|(_, name)| VOLATILE_ROOT_FIELDS.contains(name))
    });
    let cacheable = only_queries && !volatile;
    let any_mutation = document
        .operations
        .iter()
        .any(|(_, op)| op.node.ty == OperationType::Mutation);
    let only_block_submissions = document.operations.iter().all(|(_, op)| {
        let fields = walk.root_fields(&op.node.selection_set);
        op.node.ty == OperationType::Mutation
            && !fields.is_empty()
            && fields
                .iter()
                .all(|(_, name)| matches!(*name, "submitBlock" | "submitBlocks"))
    });
    let any_subscription = document
        .operations
        .iter()
        .any(|(_, op)| op.node.ty == OperationType::Subscription);
    request.set_parsed_query(document);
    Ok(Admitted {
        only_queries,
        any_mutation,
        any_subscription,
        cacheable,
        only_block_submissions,
    })
}

/// A `BAD_REQUEST` error at `pos`.
fn refusal(message: String, pos: Option<Pos>) -> ServerError {
    coded(ServerError::new(message, pos))
}

fn coded(error: ServerError) -> ServerError {
    coded_as(error, code::BAD_REQUEST)
}

fn coded_as(mut error: ServerError, code: &str) -> ServerError {
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    error
}

/// Where a selection sits: how deep, and inside introspection how many list fields above it.
#[derive(Clone, Copy)]
enum Place {
    Data { depth: usize },
    Introspection { lists: usize },
}

/// One pass over a document. Fragment spreads are expanded; a spread of a fragment already being
/// expanded is skipped (validation reports the cycle), so the walk always ends, and the field
/// count stops it long before an expansion can grow large.
struct Walk<'a> {
    document: &'a ExecutableDocument,
    limits: &'a QueryLimits,
    fields: usize,
    aliases: usize,
    directives: usize,
    expanding: Vec<&'a Name>,
}

impl<'a> Walk<'a> {
    fn new(document: &'a ExecutableDocument, limits: &'a QueryLimits) -> Self {
        Self {
            document,
            limits,
            fields: 0,
            aliases: 0,
            directives: 0,
            expanding: Vec::new(),
        }
    }

    fn document(&mut self) -> Result<(), ServerError> {
        for (name, operation) in self.document.operations.iter() {
            let operation = &operation.node;
            self.count_directives(operation.directives.len(), None)?;
            let root = &operation.selection_set;
            self.selection_set(root, Place::Data { depth: 0 }, true)?;
            match operation.ty {
                OperationType::Query => {}
                OperationType::Mutation => {
                    let fields = self.root_fields(root);
                    if fields.len() > self.limits.root_mutations {
                        return Err(refusal(
                            format!(
                                "a mutation may select at most {} root fields, this one selects {} \
                                 (--max-root-mutations)",
                                self.limits.root_mutations,
                                fields.len()
                            ),
                            Some(root.pos),
                        ));
                    }
                }
                OperationType::Subscription => {
                    let fields = self.root_fields(root);
                    let keys: HashSet<&Name> = fields.iter().map(|(key, _)| *key).collect();
                    let label = name.map_or("an anonymous subscription".to_owned(), |n| {
                        format!("subscription {n:?}")
                    });
                    if keys.len() != 1 {
                        return Err(refusal(
                            format!("{label} must select exactly one root field"),
                            Some(root.pos),
                        ));
                    }
                    if fields.iter().any(|(_, field)| field.starts_with("__")) {
                        return Err(refusal(
                            format!("{label} must not select an introspection root field"),
                            Some(root.pos),
                        ));
                    }
                }
            }
        }
        // Fragments are validated where they are defined, used or not: count them there too.
        // One on an introspection type (`__Type`, …) is introspection wherever it is spread.
        for fragment in self.document.fragments.values() {
            self.count_directives(fragment.node.directives.len(), Some(fragment.pos))?;
            let on = fragment.node.type_condition.node.on.node.as_str();
            let place = if on.starts_with("__") {
                Place::Introspection { lists: 0 }
            } else {
                Place::Data { depth: 0 }
            };
            self.selection_set(&fragment.node.selection_set, place, false)?;
        }
        Ok(())
    }

    /// Counts `set`'s fields (and, with `expand`, those of the fragments it spreads), checking
    /// every limit on the way.
    fn selection_set(
        &mut self,
        set: &'a Positioned<SelectionSet>,
        place: Place,
        expand: bool,
    ) -> Result<(), ServerError> {
        for selection in &set.node.items {
            match &selection.node {
                Selection::Field(field) => {
                    let pos = Some(field.pos);
                    let field = &field.node;
                    self.fields += 1;
                    if self.fields > self.limits.fields {
                        return Err(refusal(
                            format!(
                                "the document selects more than {} fields (--max-fields)",
                                self.limits.fields
                            ),
                            pos,
                        ));
                    }
                    if field.alias.is_some() {
                        self.aliases += 1;
                        if self.aliases > self.limits.aliases {
                            return Err(refusal(
                                format!(
                                    "the document has more than {} aliases (--max-aliases)",
                                    self.limits.aliases
                                ),
                                pos,
                            ));
                        }
                    }
                    self.count_directives(field.directives.len(), pos)?;
                    let place = self.enter(place, field.name.node.as_str(), pos)?;
                    self.selection_set(&field.selection_set, place, expand)?;
                }
                Selection::InlineFragment(fragment) => {
                    self.count_directives(fragment.node.directives.len(), Some(fragment.pos))?;
                    self.selection_set(&fragment.node.selection_set, place, expand)?;
                }
                Selection::FragmentSpread(spread) => {
                    self.count_directives(spread.node.directives.len(), Some(spread.pos))?;
                    let name = &spread.node.fragment_name.node;
                    if !expand || self.expanding.contains(&name) {
                        continue;
                    }
                    if let Some(fragment) = self.document.fragments.get(name) {
                        self.expanding.push(name);
                        self.selection_set(&fragment.node.selection_set, place, expand)?;
                        self.expanding.pop();
                    }
                }
            }
        }
        Ok(())
    }

    /// The place of a field named `name` selected at `place`, refused when too deep.
    fn enter(&self, place: Place, name: &str, pos: Option<Pos>) -> Result<Place, ServerError> {
        let place = match place {
            Place::Data { depth: 0 } if name == "__schema" || name == "__type" => {
                if !self.limits.introspection {
                    return Err(coded_as(
                        ServerError::new(
                            format!(
                                "introspection is turned off on this server (--introspection \
                                 false): `{name}` cannot be asked; queries still run"
                            ),
                            pos,
                        ),
                        code::INTROSPECTION_DISABLED,
                    ));
                }
                Place::Introspection { lists: 0 }
            }
            Place::Data { depth } => Place::Data { depth: depth + 1 },
            Place::Introspection { lists } => Place::Introspection {
                lists: lists + usize::from(INTROSPECTION_LISTS.contains(&name)),
            },
        };
        match place {
            Place::Data { depth } if depth > self.limits.depth => Err(refusal(
                format!(
                    "the query is nested deeper than {} levels (--max-depth)",
                    self.limits.depth
                ),
                pos,
            )),
            Place::Introspection { lists } if lists >= MAX_INTROSPECTION_LISTS => Err(refusal(
                format!(
                    "introspection nests {} of `fields`, `interfaces`, `possibleTypes` and \
                     `inputFields`; at most {} may be nested",
                    lists,
                    MAX_INTROSPECTION_LISTS - 1
                ),
                pos,
            )),
            place => Ok(place),
        }
    }

    fn count_directives(&mut self, n: usize, pos: Option<Pos>) -> Result<(), ServerError> {
        self.directives += n;
        if self.directives > self.limits.directives {
            return Err(refusal(
                format!(
                    "the document has more than {} directives (--max-directives)",
                    self.limits.directives
                ),
                pos,
            ));
        }
        Ok(())
    }

    /// The root fields an operation selects, as (response key, field name), fragments expanded.
    fn root_fields(&self, set: &'a Positioned<SelectionSet>) -> Vec<(&'a Name, &'a str)> {
        let mut fields = Vec::new();
        let mut expanding = Vec::new();
        self.collect_root(set, &mut fields, &mut expanding);
        fields
    }

    fn collect_root(
        &self,
        set: &'a Positioned<SelectionSet>,
        fields: &mut Vec<(&'a Name, &'a str)>,
        expanding: &mut Vec<&'a Name>,
    ) {
        for selection in &set.node.items {
            match &selection.node {
                Selection::Field(field) => fields.push((
                    &field.node.response_key().node,
                    field.node.name.node.as_str(),
                )),
                Selection::InlineFragment(fragment) => {
                    self.collect_root(&fragment.node.selection_set, fields, expanding)
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    if expanding.contains(&name) {
                        continue;
                    }
                    if let Some(fragment) = self.document.fragments.get(name) {
                        expanding.push(name);
                        self.collect_root(&fragment.node.selection_set, fields, expanding);
                        expanding.pop();
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(query: &str) -> Result<Admitted, String> {
        admit(&QueryLimits::default(), &mut Request::new(query)).map_err(|e| e.message)
    }

    fn refused(query: &str, needle: &str) {
        match check(query) {
            Ok(_) => panic!("admitted: {query}"),
            Err(message) => assert!(message.contains(needle), "{message}"),
        }
    }

    #[test]
    fn ordinary_documents_pass() {
        assert!(check("{ chain { height } }").unwrap().only_queries);
        assert!(check("{ chain { height } }").unwrap().cacheable);
        for volatile in ["{ peers { url } }", "{ ... on Query { peers { state } } }"] {
            let admitted = check(volatile).unwrap();
            assert!(admitted.only_queries && !admitted.cacheable, "{volatile}");
        }
        assert!(
            !check("mutation { newWallet { address } }")
                .unwrap()
                .only_queries
        );
        check(
            "subscription S { blockMined { height } ... on Subscription { blockMined { hash } } }",
        )
        .unwrap();
    }

    #[test]
    fn floods_are_counted_not_validated() {
        let flood = format!("{{ {} }}", "chain { height } ".repeat(12_000));
        refused(&flood, "--max-tokens");
        let fields = format!("{{ {} }}", "__typename ".repeat(1_100));
        refused(&fields, "--max-fields");
        let aliases: String = (0..60).map(|i| format!("a{i}: __typename ")).collect();
        refused(&format!("{{ {aliases} }}"), "--max-aliases");
        let directives = "__typename @skip(if: false) ".repeat(60);
        refused(&format!("{{ {directives} }}"), "--max-directives");
        let mines: String = (0..11)
            .map(|i| format!("m{i}: mineBlock(address: \"x\") {{ height }} "))
            .collect();
        refused(&format!("mutation {{ {mines} }}"), "--max-root-mutations");
    }

    #[test]
    fn fragments_count_where_spread_and_cycles_end() {
        let body = "__typename ".repeat(100);
        let spreads = "...F ".repeat(10);
        refused(
            &format!("{{ {spreads} }} fragment F on Query {{ {body} }}"),
            "--max-fields",
        );
        // A cycle is left to validation to report; the walk ends.
        check("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A __typename }")
            .unwrap();
    }

    #[test]
    fn depth_is_limited_but_not_for_the_introspection_query() {
        let deep = format!("{{ {} }}", "a { ".repeat(13) + "b " + &"} ".repeat(13));
        refused(&deep, "--max-depth");
        let of_type = "ofType { ".repeat(10) + "name " + &"} ".repeat(10);
        check(&format!(
            "{{ __schema {{ types {{ fields {{ args {{ type {{ {of_type} }} }} }} }} }} }}"
        ))
        .unwrap();
        refused(
            "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
            "introspection nests 3",
        );
        // A type-reference fragment deeper than --max-depth, as newer introspection queries have.
        let deep_ref = "ofType { kind ".repeat(14) + &"} ".repeat(14);
        check(&format!(
            "{{ __schema {{ types {{ ...T }} }} }} fragment T on __Type {{ kind {deep_ref} }}"
        ))
        .unwrap();
    }

    #[test]
    fn one_root_field_per_subscription() {
        refused(
            "subscription { blockMined { height } poolChanged { id } }",
            "exactly one root field",
        );
        refused("subscription { __typename }", "introspection root field");
    }

    #[test]
    fn syntax_errors_are_coded() {
        let error = admit(&QueryLimits::default(), &mut Request::new("{ chain {")).unwrap_err();
        assert!(error.message.starts_with("syntax error"));
        assert_eq!(
            error.extensions.unwrap().get("code"),
            Some(&async_graphql::Value::from(code::BAD_REQUEST))
        );
    }
}
