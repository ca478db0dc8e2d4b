//! The operator console: one self-contained page (no CDN, works offline),
//! served by the binary. It calls the same HTTP API as any client, with
//! the token the user types; it holds no logic the API does not.

use axum::http::header;
use axum::response::{IntoResponse, Response};

const PAGE: &str = include_str!("../console/index.html");

pub async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // Nothing but this page's own inline script and the same origin.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' blob: data:",
            ),
        ],
        PAGE,
    )
        .into_response()
}
