//! GraphQL over HTTP.
//!
//! - `POST /graphql` takes JSON only: content types a cross-site form can send (text/plain, form
//!   encodings, multipart) are refused, so a page on another site cannot drive a local node.
//!   Batches are capped.
//! - `GET /graphql` runs queries only; mutations and subscriptions over GET are refused.
//! - Every request is admitted against the document limits first, then answered from the
//!   response cache when it is a query asked before and nothing has changed since.

use std::collections::HashMap;

use async_graphql::{BatchRequest, BatchResponse, Request, Response, Variables};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{Extensions, HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};

use super::AppState;
use super::errors::{refuse, refuse_unless_json};
use super::persisted::{self, Persisted};
use super::response_cache::CacheKey;
use super::state_version;
use crate::graphql::{self, Access, Admitted};
use crate::node;

impl AppState {
    /// Runs one admitted query or mutation in its reads scope: the one it runs in already, else
    /// the one its request presents (see [`state_version`]); a mutation's reads always go to the
    /// primary, which has its writes, and its answer carries the state version it left.
    pub(super) async fn execute(
        &self,
        request: Request,
        access: Access,
        admitted: Admitted,
    ) -> Response {
        // A query inside a request's scope keeps it (its state version was read there).
        let scope = if !admitted.any_mutation && node::current_read_scope().is_some() {
            None
        } else {
            match state_version::scope_for(&request, &admitted) {
                Ok(scope) => Some(scope),
                Err(error) => return self.finish(Response::from_errors(vec![error])),
            }
        };
        // A document's first clean run spares later runs the rules that ignore the variables.
        let learn = self
            .count_validation(&request)
            .then(|| request.query.clone());
        let run = async move {
            let request = request
                .data(access)
                .data(graphql::loader_for(self.node.clone()));
            let mut response = self.finish(self.schema.execute(request).await);
            if let Some(query) = learn
                && response.errors.is_empty()
            {
                self.admission.ran_cleanly(&query);
            }
            if admitted.any_mutation
                && let Ok(version) = self.node.state_version().await
            {
                state_version::answer_with(&mut response, version);
            }
            response
        };
        match scope {
            Some(scope) => node::read_within(scope, run).await,
            None => run.await,
        }
    }

    /// Counts `request` if it is validated only against its variables; whether it is validated
    /// in full.
    fn count_validation(&self, request: &Request) -> bool {
        if request.statically_valid {
            self.metrics.validated_by_variables();
        }
        !request.statically_valid
    }

    /// Runs one admitted operation as a stream of answers (one for a query or a mutation, one
    /// per event for a subscription), each coded and counted; a mutation's answer carries the
    /// state version it left. Call it inside the operation's reads scope: its loader keeps it.
    pub(super) fn run_stream(
        &self,
        request: Request,
        access: Access,
        admitted: Admitted,
    ) -> futures::stream::BoxStream<'static, Response> {
        use futures::StreamExt;
        self.count_validation(&request);
        let request = request
            .data(access)
            .data(graphql::loader_for(self.node.clone()));
        let app = self.clone();
        self.schema
            .execute_stream(request)
            .then(move |response| {
                let app = app.clone();
                async move {
                    let mut response = app.finish(response);
                    if admitted.any_mutation
                        && let Ok(version) = app.node.state_version().await
                    {
                        state_version::answer_with(&mut response, version);
                    }
                    response
                }
            })
            .boxed()
    }

    /// Codes and counts an answer's errors.
    pub(super) fn finish(&self, response: Response) -> Response {
        let response = graphql::with_codes(response);
        self.metrics.graphql_errors(response.errors.len());
        response
    }

    /// Admits and runs one request; `queries_only` refuses anything but queries (GET).
    ///
    /// The response cache is asked first: it holds only answers to queries admitted before under
    /// the same limits, so a hit needs neither parsing nor admission. The state version is read
    /// only for a query the cache may answer or will keep (never for a mutation), and always
    /// before the query runs, so a kept answer is never older than its version.
    ///
    /// With read replicas, the request's reads (the state version included) come from one
    /// source, chosen at its first read: a standby's answer is kept under the standby's version.
    async fn answer(
        &self,
        mut request: Request,
        access: Access,
        queries_only: bool,
    ) -> HttpResponse {
        let persisted = match self.persisted.resolve(&mut request) {
            Ok(persisted) => persisted,
            Err(error) => {
                return Json(self.finish(Response::from_errors(vec![error]))).into_response();
            }
        };
        let scope = match state_version::scope_of(&request) {
            Ok(scope) => scope,
            Err(error) => {
                return Json(self.finish(Response::from_errors(vec![error]))).into_response();
            }
        };
        node::read_within(
            scope,
            self.answer_in_scope(request, access, queries_only, persisted),
        )
        .await
    }

    async fn answer_in_scope(
        &self,
        mut request: Request,
        access: Access,
        queries_only: bool,
        persisted: Persisted,
    ) -> HttpResponse {
        let key = self.cache.as_ref().map(|_| CacheKey::of(&request));
        let mut version = None;
        if let (Some(cache), Some(key)) = (&self.cache, &key)
            && cache.holds(key)
        {
            version = self.state_version().await;
            if let Some(body) = version.and_then(|v| cache.get(v, key)) {
                self.metrics.cache_lookup(true);
                // Only admitted documents have cached answers.
                self.keep(persisted, &request);
                return json_body(body, "hit");
            }
        }
        let admitted = match self.admission.admit(&mut request) {
            Ok(admitted) => admitted,
            Err(error) => {
                return Json(self.finish(Response::from_errors(vec![error]))).into_response();
            }
        };
        self.keep(persisted, &request);
        if queries_only && !admitted.only_queries {
            return refuse(
                StatusCode::METHOD_NOT_ALLOWED,
                "only queries run over GET: send mutations by POST and subscriptions over the \
                 WebSocket at /graphql/ws",
            );
        }
        let (Some(cache), Some(key), true) = (&self.cache, key, admitted.cacheable) else {
            return answered(self.execute(request, access, admitted).await);
        };
        if version.is_none() {
            version = self.state_version().await;
        }
        let Some(version) = version else {
            return answered(self.execute(request, access, admitted).await);
        };
        self.metrics.cache_lookup(false);
        let response = self.execute(request, access, admitted).await;
        let body = match serde_json::to_vec(&response) {
            Ok(body) => Bytes::from(body),
            Err(_) => return Json(response).into_response(),
        };
        if response.errors.is_empty() {
            cache.put(version, key, body.clone());
        }
        json_body(body, "miss")
    }

    /// Keeps a persisted document once it is admitted.
    pub(super) fn keep(&self, persisted: Persisted, request: &Request) {
        if let Persisted::Learn(hash) = persisted {
            self.persisted.learn(hash, &request.query);
        }
    }

    /// The state version where this request reads, or `None` (logged) when it cannot be read:
    /// then nothing is cached.
    async fn state_version(&self) -> Option<i64> {
        self.node
            .read_state_version()
            .await
            .inspect_err(
                |err| tracing::warn!(error = %err, "cannot read the state version; not caching"),
            )
            .ok()
    }

    /// One request of a batch: admitted like any other, never cached.
    async fn answer_in_batch(&self, mut request: Request, access: Access) -> Response {
        match self.admit(&mut request) {
            Ok(admitted) => self.execute(request, access, admitted).await,
            Err(error) => self.finish(Response::from_errors(vec![error])),
        }
    }
}

/// A JSON answer; a mutation's carries its state version in a header too.
pub(super) fn answered(response: Response) -> HttpResponse {
    let version = response
        .extensions
        .get(state_version::ANSWER_EXTENSION)
        .map(ToString::to_string);
    let mut answer = Json(response).into_response();
    if let Some(value) = version.and_then(|v| HeaderValue::from_str(&v).ok()) {
        answer
            .headers_mut()
            .insert(HeaderName::from_static(state_version::ANSWER_HEADER), value);
    }
    answer
}

/// A JSON answer from bytes already serialized, saying whether the cache had it.
fn json_body(body: Bytes, cache: &'static str) -> HttpResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                HeaderName::from_static("x-pocket-cache"),
                HeaderValue::from_static(cache),
            ),
        ],
        body,
    )
        .into_response()
}

pub(super) async fn post(
    State(app): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    body: Bytes,
) -> HttpResponse {
    if let Some(refusal) = refuse_unless_json(&headers, "POST /graphql") {
        return refusal;
    }
    let batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(batch) => batch,
        Err(err) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!("the body is not a GraphQL request: {err}"),
            );
        }
    };
    let empty = |r: &Request| r.query.trim().is_empty() && !persisted::names_a_hash(r);
    let empty = match &batch {
        BatchRequest::Single(request) => empty(request),
        BatchRequest::Batch(requests) => requests.iter().any(empty),
    };
    if empty {
        return refuse(StatusCode::BAD_REQUEST, "the request has no `query`");
    }
    let access = app.auth.for_request(&headers, &extensions);
    let mut batch = batch;
    let presented = match &mut batch {
        BatchRequest::Single(request) => state_version::from_headers(&headers, request),
        BatchRequest::Batch(requests) => requests
            .iter_mut()
            .try_for_each(|r| state_version::from_headers(&headers, r)),
    };
    if let Err(error) = presented {
        return Json(app.finish(Response::from_errors(vec![error]))).into_response();
    }
    let response = match batch {
        BatchRequest::Single(request) => return app.answer(request, access, false).await,
        BatchRequest::Batch(requests) if requests.is_empty() => {
            return refuse(StatusCode::BAD_REQUEST, "an empty batch");
        }
        BatchRequest::Batch(requests) if requests.len() > app.max_batch => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!(
                    "a batch may hold at most {} operations, got {} (--max-batch)",
                    app.max_batch,
                    requests.len()
                ),
            );
        }
        BatchRequest::Batch(requests) => {
            let mut responses = Vec::with_capacity(requests.len());
            for request in requests {
                responses.push(app.answer_in_batch(request, access).await);
            }
            BatchResponse::Batch(responses)
        }
    };
    Json(response).into_response()
}

pub(super) async fn get(
    State(app): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    Query(params): Query<HashMap<String, String>>,
) -> HttpResponse {
    let query = params.get("query").map_or("", |q| q.as_str());
    let mut request = Request::new(query);
    if let Some(extensions) = params.get("extensions") {
        match serde_json::from_str(extensions) {
            Ok(value) => request.extensions = value,
            Err(err) => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    format!("`extensions` is not a JSON object: {err}"),
                );
            }
        }
    }
    if query.trim().is_empty() && !persisted::names_a_hash(&request) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "GET /graphql needs a `query` parameter (or a persisted query's hash in `extensions`)",
        );
    }
    if let Some(name) = params.get("operationName") {
        request = request.operation_name(name.as_str());
    }
    if let Some(variables) = params.get("variables") {
        match serde_json::from_str(variables) {
            Ok(value) => request = request.variables(Variables::from_json(value)),
            Err(err) => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    format!("`variables` is not JSON: {err}"),
                );
            }
        }
    }
    if let Err(error) = state_version::from_headers(&headers, &mut request) {
        return Json(app.finish(Response::from_errors(vec![error]))).into_response();
    }
    app.answer(request, app.auth.for_request(&headers, &extensions), true)
        .await
}
