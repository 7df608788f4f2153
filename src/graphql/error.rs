//! The one mapping from every layer's errors to GraphQL errors with a stable `extensions.code`.
//!
//! Resolvers call [`ApiResult::api`] (or build an [`ApiError`]) instead of a bare `?`, which would
//! turn any `Display` error into a GraphQL error without a code and with raw internal text.

use async_graphql::{ErrorExtensionValues, ErrorExtensions, FieldError, Response};

use crate::node::NodeError;

/// The fixed set of error codes clients can rely on.
pub mod code {
    /// An address failed to parse (length, version, checksum or alphabet).
    pub const INVALID_ADDRESS: &str = "INVALID_ADDRESS";
    /// An amount below 1.
    pub const INVALID_AMOUNT: &str = "INVALID_AMOUNT";
    /// Sender and recipient are the same.
    pub const SAME_ADDRESS: &str = "SAME_ADDRESS";
    /// The sender is not a wallet of this node.
    pub const UNKNOWN_WALLET: &str = "UNKNOWN_WALLET";
    /// The sender's balance does not cover the amount.
    pub const INSUFFICIENT_FUNDS: &str = "INSUFFICIENT_FUNDS";
    /// The sender has a pending transaction (`--pool-policy reference` only).
    pub const WALLET_LOCKED: &str = "WALLET_LOCKED";
    /// `fund` on a chain without dev accounts.
    pub const NO_FAUCET: &str = "NO_FAUCET";
    /// The faucet's balance does not cover a `fund` (`available`, `requested`).
    pub const FAUCET_EMPTY: &str = "FAUCET_EMPTY";
    /// A submitted transaction breaks a rule; `extensions.check` names which.
    pub const INVALID_TRANSACTION: &str = "INVALID_TRANSACTION";
    /// A submitted transaction spends an output a pending transaction already spends.
    pub const DOUBLE_SPEND: &str = "DOUBLE_SPEND";
    /// A block breaks a rule (`check`, `blockHash`, `transaction`).
    pub const INVALID_BLOCK: &str = "INVALID_BLOCK";
    /// No genesis block yet.
    pub const NOT_INITIALIZED: &str = "NOT_INITIALIZED";
    /// AUTO or INTERVAL mining without an address to pay.
    pub const MINER_ADDRESS_REQUIRED: &str = "MINER_ADDRESS_REQUIRED";
    /// The thing asked for does not exist.
    pub const NOT_FOUND: &str = "NOT_FOUND";
    /// A mutation without the API token.
    pub const UNAUTHORIZED: &str = "UNAUTHORIZED";
    /// `__schema` or `__type` asked of a server started with `--introspection false`.
    pub const INTROSPECTION_DISABLED: &str = "INTROSPECTION_DISABLED";
    /// A persisted query's hash the server does not hold: send the document with it.
    pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
    /// A persisted query whose document does not hash to the hash sent with it.
    pub const PERSISTED_QUERY_MISMATCH: &str = "PERSISTED_QUERY_MISMATCH";
    /// A document sent to a server that runs only its persisted documents (`--persisted-only`).
    pub const PERSISTED_QUERY_ONLY: &str = "PERSISTED_QUERY_ONLY";
    /// Anything else the client got wrong (syntax, limits, arguments, cursors).
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    /// The server failed; details are in its log, not in the answer.
    pub const INTERNAL: &str = "INTERNAL";
}

/// An error as the API reports it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A use case refused or failed.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// A peer that cannot be added.
    #[error(transparent)]
    Net(#[from] crate::net::NetError),
    /// A bad argument the node never saw (page size, cursor, hash syntax).
    #[error("{0}")]
    BadRequest(String),
    /// Something named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A mutation without a valid bearer token.
    #[error("this mutation needs the header `Authorization: Bearer <token>`")]
    Unauthorized,
    /// The schema or the request lacks what the server puts there (a wiring mistake).
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl ApiError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Node(err) => node_code(err),
            Self::BadRequest(_) | Self::Net(_) => code::BAD_REQUEST,
            Self::NotFound(_) => code::NOT_FOUND,
            Self::Unauthorized => code::UNAUTHORIZED,
            Self::Internal(_) => code::INTERNAL,
        }
    }

    /// What the client is told: internal failures are logged, not described.
    fn client_message(&self) -> String {
        match self {
            Self::Node(err) => node_message(err),
            Self::Internal(_) => {
                tracing::error!(error = %self, "request failed");
                INTERNAL_MESSAGE.to_owned()
            }
            _ => self.to_string(),
        }
    }
}

const INTERNAL_MESSAGE: &str = "internal error; the server log has the details";

/// A node error as the client reads it.
fn node_message(err: &NodeError) -> String {
    match err {
        NodeError::ShuttingDown => "the server is shutting down; nothing was written".to_owned(),
        NodeError::StoppedAfter {
            mined,
            requested,
            last_height,
            source,
        } => format!(
            "mined {mined} of {requested} blocks (up to height {last_height}), then: {}",
            node_message(source)
        ),
        _ if node_code(err) == code::INTERNAL => {
            tracing::error!(error = %err, "request failed");
            INTERNAL_MESSAGE.to_owned()
        }
        _ => err.to_string(),
    }
}

/// The code of a node error; a partly done `mineBlocks` has the code of what stopped it.
fn node_code(err: &NodeError) -> &'static str {
    match err {
        NodeError::InvalidAddress { .. } => code::INVALID_ADDRESS,
        NodeError::InvalidAmount(_) => code::INVALID_AMOUNT,
        NodeError::SameAddress(_) => code::SAME_ADDRESS,
        NodeError::UnknownWallet(_) => code::UNKNOWN_WALLET,
        NodeError::InsufficientFunds { .. } => code::INSUFFICIENT_FUNDS,
        NodeError::WalletLocked { .. } => code::WALLET_LOCKED,
        NodeError::NoFaucet => code::NO_FAUCET,
        NodeError::FaucetEmpty { .. } => code::FAUCET_EMPTY,
        NodeError::NotInitialized => code::NOT_INITIALIZED,
        NodeError::InvalidTransaction(_) => code::INVALID_TRANSACTION,
        NodeError::DoubleSpend { .. } => code::DOUBLE_SPEND,
        NodeError::InvalidBlock { .. } => code::INVALID_BLOCK,
        NodeError::UnknownSnapshot(_) => code::NOT_FOUND,
        NodeError::MinerAddressRequired(_) => code::MINER_ADDRESS_REQUIRED,
        NodeError::AlreadyInitialized
        | NodeError::Archive(_)
        | NodeError::ArchiveParams { .. }
        | NodeError::InvalidArchiveBlock { .. }
        | NodeError::ArchiveKeystore { .. }
        | NodeError::NotEmpty { .. }
        | NodeError::InvalidMining(_)
        | NodeError::InvalidPatch(_)
        | NodeError::InvalidTxCount { .. }
        | NodeError::TooManyInputs { .. }
        | NodeError::InvalidBlockCount { .. } => code::BAD_REQUEST,
        NodeError::StoppedAfter { source, .. } => node_code(source),
        NodeError::ShuttingDown
        | NodeError::Inconsistent(_)
        | NodeError::Keystore(_)
        | NodeError::Store(_)
        | NodeError::Params(_)
        | NodeError::ParamsMismatch { .. }
        | NodeError::Key(_)
        | NodeError::BuiltInvalid(_)
        | NodeError::Search(_)
        | NodeError::NonceSpaceExhausted
        | NodeError::SendNotCommitted(_)
        | NodeError::SendQueue => code::INTERNAL,
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> FieldError {
        FieldError::new(self.client_message()).extend_with(|_, e| {
            e.set("code", self.code());
            match self {
                Self::Node(
                    NodeError::InsufficientFunds {
                        available,
                        requested,
                        ..
                    }
                    | NodeError::FaucetEmpty {
                        available,
                        requested,
                        ..
                    },
                ) => {
                    e.set("available", *available);
                    e.set("requested", *requested);
                }
                Self::Node(NodeError::InvalidAddress { field, .. }) => e.set("field", *field),
                Self::Node(NodeError::WalletLocked { txid, .. }) => {
                    e.set("pendingTxId", txid.to_string())
                }
                Self::Node(NodeError::InvalidTransaction(invalid)) => {
                    e.set("check", invalid.check);
                    if let Some(input) = invalid.input {
                        e.set("input", input);
                    }
                }
                Self::Node(NodeError::DoubleSpend {
                    input,
                    outpoint,
                    pending,
                }) => {
                    e.set("input", *input);
                    e.set("outpoint", outpoint.to_string());
                    e.set("pendingTxId", pending.to_string());
                }
                Self::Node(NodeError::InvalidBlock {
                    hash,
                    check,
                    transaction,
                    ..
                }) => {
                    e.set("check", *check);
                    e.set("blockHash", hash.to_string());
                    if let Some(index) = transaction {
                        e.set("transaction", *index);
                    }
                }
                Self::Node(NodeError::StoppedAfter {
                    mined, last_height, ..
                }) => {
                    e.set("minedCount", *mined);
                    e.set("lastHeight", *last_height);
                }
                _ => {}
            }
        })
    }
}

/// Converts a layer's result into a resolver result through [`ApiError`].
pub trait ApiResult<T> {
    /// Maps the error to its coded GraphQL form.
    fn api(self) -> async_graphql::Result<T>;
}

impl<T, E: Into<ApiError>> ApiResult<T> for Result<T, E> {
    fn api(self) -> async_graphql::Result<T> {
        self.map_err(|e| e.into().extend())
    }
}

/// A coded GraphQL error for a bad argument.
pub fn bad_request(message: impl Into<String>) -> FieldError {
    ApiError::BadRequest(message.into()).extend()
}

/// Gives every error of `response` a code: those async-graphql raises itself (validation,
/// argument coercion, complexity) are the client's, so `BAD_REQUEST`. Every transport answers
/// through this.
pub fn with_codes(mut response: Response) -> Response {
    for error in &mut response.errors {
        let extensions = error
            .extensions
            .get_or_insert_with(ErrorExtensionValues::default);
        if extensions.get("code").is_none() {
            extensions.set("code", code::BAD_REQUEST);
            if error.message.contains(INT_REFUSAL) {
                error.message = format!("{} {INT_LIMITS}", error.message);
            }
        }
    }
    response
}

/// What async-graphql says of an `Int` argument out of range.
const INT_REFUSAL: &str = "Failed to parse \"Int\"";
/// What that means here, said once for every such argument.
const INT_LIMITS: &str = "GraphQL's Int has 32 bits: an amount, a count or a height is at most \
                          2147483647 (amounts are whole units).";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_int_out_of_range_says_the_largest_value() {
        let mut response = Response::default();
        response.errors.push(async_graphql::ServerError::new(
            "Failed to parse \"Int\": Only integers from -2147483648 to 2147483647 are accepted.",
            None,
        ));
        let response = with_codes(response);
        assert!(
            response.errors[0]
                .message
                .ends_with("at most 2147483647 (amounts are whole units)."),
            "{}",
            response.errors[0].message
        );
    }

    #[test]
    fn a_partly_done_mine_blocks_says_how_far_it_got() {
        let err = ApiError::Node(NodeError::StoppedAfter {
            mined: 3,
            requested: 10,
            last_height: 12,
            source: Box::new(NodeError::ShuttingDown),
        });
        let field = err.extend();
        assert_eq!(
            field.message,
            "mined 3 of 10 blocks (up to height 12), then: the server is shutting down; nothing \
             was written"
        );
        let extensions = field.extensions.unwrap();
        assert_eq!(extensions.get("code"), Some(&code::INTERNAL.into()));
        assert_eq!(extensions.get("minedCount"), Some(&3.into()));
        assert_eq!(extensions.get("lastHeight"), Some(&12.into()));
    }
}
