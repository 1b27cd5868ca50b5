//! Request extractors that fail with the contract's error body: JSON bodies whose errors name
//! the field, and query strings with repeated keys.

use super::error::ApiError;
use actix_web::error::PayloadError;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

/// A JSON body parsed into `T`; wrong types and missing fields name the field in the 400. The
/// body must be sent as `application/json` (any parameters, such as `charset`, are fine): any
/// other `Content-Type`, or a body without one, is a 415.
pub struct JsonBody<T>(pub T);

/// A JSON body sent as `application/json` or as `text/plain`: only for the embed's
/// `POST /v1/internal/spaces/init`, which the official embed sends as `text/plain` on purpose
/// (a simple request needs no CORS preflight).
pub struct PlainJsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = json_body(req, payload, &["application/json"]);
        Box::pin(async move { body.await.map(JsonBody) })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for PlainJsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = json_body(req, payload, &["application/json", "text/plain"]);
        Box::pin(async move { body.await.map(PlainJsonBody) })
    }
}

/// Reads the body and parses it as JSON, after checking its media type is one of `accepted`.
/// A request with no `Content-Type` and no body gets the 400 "a JSON request body is required".
fn json_body<T: DeserializeOwned + 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    accepted: &'static [&'static str],
) -> LocalBoxFuture<'static, Result<T, ApiError>> {
    let media_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .map(|v| {
            let text = String::from_utf8_lossy(v.as_bytes());
            let essence = text.split(';').next().unwrap_or_default();
            essence.trim().to_ascii_lowercase()
        });
    let refused = move |given: &str| {
        ApiError::UnsupportedMediaType(format!(
            "the request body must be JSON sent with Content-Type: {}{}",
            accepted.join(" or "),
            if given.is_empty() {
                " (none was given)".to_owned()
            } else {
                format!(", not {}", given.chars().take(64).collect::<String>())
            }
        ))
    };
    if let Some(given) = &media_type {
        if !accepted.contains(&given.as_str()) {
            let error = refused(given);
            return Box::pin(async move { Err(error) });
        }
    }
    let bytes = web::Bytes::from_request(req, payload);
    Box::pin(async move {
        let bytes = bytes
            .await
            .map_err(|e| match e.as_error::<PayloadError>() {
                Some(PayloadError::Overflow) => ApiError::PayloadTooLarge(
                    "the request body is larger than limits.max_body_bytes".into(),
                ),
                _ => ApiError::bad_request("body", "the request body could not be read"),
            })?;
        if media_type.is_none() && !bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(refused(""));
        }
        parse_json(&bytes)
    })
}

/// Parses JSON, turning serde's message into one that names the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "body",
            "a JSON request body is required",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let text = inner.to_string();
        let text = text
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_owned();
        let key = if let Some(field) = text
            .strip_prefix("missing field `")
            .and_then(|r| r.strip_suffix('`'))
        {
            if path == "." {
                field.to_owned()
            } else {
                format!("{path}.{field}")
            }
        } else if path == "." {
            "body".to_owned()
        } else {
            path
        };
        let message = if inner.is_syntax() || inner.is_eof() {
            format!("the request body is not valid JSON: {text}")
        } else {
            format!("{key}: {text}")
        };
        ApiError::BadRequest {
            key: Some(key),
            message,
        }
    })?;
    de.end().map_err(|_| {
        ApiError::bad_request(
            "body",
            "the request body has trailing characters after the JSON value",
        )
    })?;
    Ok(value)
}

/// The query string as ordered pairs, so repeated keys (`spaceIds=a&spaceIds=b`) survive.
pub struct Query(Vec<(String, String)>);

impl FromRequest for Query {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
                .map(Query)
                .map_err(|_| {
                    ApiError::bad_request("query", "the query string is not valid URL encoding")
                }),
        )
    }
}

impl Query {
    /// A parameter that may appear at most once.
    pub fn optional(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let mut values = self
            .0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str());
        let first = values.next();
        if values.next().is_some() {
            return Err(ApiError::bad_request(
                name,
                format!("query parameter {name} is given more than once"),
            ));
        }
        Ok(first)
    }

    /// A parameter that must appear exactly once and not be empty.
    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        match self.optional(name)? {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(ApiError::bad_request(
                name,
                format!("query parameter {name} is required"),
            )),
        }
    }

    /// Every value of a repeatable parameter (`spaceIds=a&spaceIds=b`).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// An optional whole number within `min..=max`.
    pub fn number(&self, name: &str, min: u64, max: u64) -> Result<Option<u64>, ApiError> {
        let Some(raw) = self.optional(name)? else {
            return Ok(None);
        };
        match raw.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            Ok(_) => Err(ApiError::Unprocessable {
                key: Some(name.to_owned()),
                message: format!("{name} must be between {min} and {max}"),
            }),
            Err(_) => Err(ApiError::bad_request(
                name,
                format!("{name} must be a whole number"),
            )),
        }
    }

    /// `pageSize` and `pageNumber` (1-based) with a default size and the configured maximum.
    pub fn page(&self, default_size: usize, max_size: usize) -> Result<Page, ApiError> {
        let (default_size, max_size) = (size(default_size), size(max_size));
        let size = self
            .number("pageSize", 1, max_size)
            .map_err(|e| match e {
                ApiError::Unprocessable { key, .. } => ApiError::Unprocessable {
                    key,
                    message: format!(
                        "pageSize must be between 1 and {max_size} (limits.max_page_size)"
                    ),
                },
                other => other,
            })?
            .unwrap_or(default_size.min(max_size));
        let number = self
            .number("pageNumber", 1, u64::from(u32::MAX))?
            .unwrap_or(1);
        Ok(Page { size, number })
    }
}

/// A size or count as the `u64` a query number is (lossless on every supported target).
fn size(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// One page of a listing.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// Items per page.
    pub size: u64,
    /// 1-based page number.
    pub number: u64,
}

/// The contract's `pagination` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    /// The page shown, from 1.
    pub current_page: u64,
    /// Pages in all (at least 1).
    pub page_count: u64,
    /// Items in all pages.
    pub total_count: u64,
}

/// The same JSON as its `Serialize`, written directly (for bodies assembled as text).
impl std::fmt::Display for Pagination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            r#"{{"currentPage":{},"pageCount":{},"totalCount":{}}}"#,
            self.current_page, self.page_count, self.total_count
        )
    }
}

impl Page {
    /// How many items come before this page.
    pub fn skip(self) -> u64 {
        (self.number - 1).saturating_mul(self.size)
    }

    /// The contract's `pagination` object for `total` items.
    pub fn pagination(self, total: u64) -> Pagination {
        Pagination {
            current_page: self.number,
            page_count: total.div_ceil(self.size).max(1),
            total_count: total,
        }
    }

    /// The items of this page and the contract's `pagination` object.
    pub fn slice<T>(self, all: impl IntoIterator<Item = T>) -> (Vec<T>, Pagination) {
        let skip = self.skip();
        let mut items = Vec::new();
        let mut total = 0u64;
        for item in all {
            if total >= skip && total - skip < self.size {
                items.push(item);
            }
            total += 1;
        }
        (items, self.pagination(total))
    }
}

#[cfg(test)]
mod tests {
    use super::Pagination;

    #[test]
    fn pagination_text_is_its_json() {
        let p = Pagination {
            current_page: 3,
            page_count: 12,
            total_count: 117,
        };
        let parsed: serde_json::Value = serde_json::from_str(&p.to_string()).unwrap();
        assert_eq!(parsed, serde_json::to_value(p).unwrap());
        assert_eq!(parsed["currentPage"], 3);
    }
}
