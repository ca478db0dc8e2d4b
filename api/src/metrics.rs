//! Service metrics in the Prometheus text format (`GET /metrics`):
//! requests and latency per route and status, the question queue's depth,
//! and the local LLM's generated tokens and decode time (their ratio is
//! tokens/s). Counters live in memory; a restart starts them at zero, as
//! Prometheus expects.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Upper bounds (seconds) of the latency histogram's buckets.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0];

#[derive(Default)]
struct Route {
    count: BTreeMap<u16, u64>,
    buckets: [u64; BUCKETS.len()],
    sum: f64,
    n: u64,
}

#[derive(Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<String, Route>>,
    llm: Mutex<(u64, f64, u64)>,
}

impl Metrics {
    /// One finished request on `route` (the matched pattern, not the raw path).
    pub fn request(&self, route: &str, status: u16, secs: f64) {
        let Ok(mut m) = self.routes.lock() else {
            return;
        };
        let r = m.entry(route.to_string()).or_default();
        *r.count.entry(status).or_default() += 1;
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                r.buckets[i] += 1;
            }
        }
        r.sum += secs;
        r.n += 1;
    }

    /// One generation: tokens written and the seconds decoding took.
    pub fn generation(&self, tokens: usize, decode_secs: f64) {
        if let Ok(mut g) = self.llm.lock() {
            g.0 += tokens as u64;
            g.1 += decode_secs;
            g.2 += 1;
        }
    }

    pub fn render(&self, queue_depth: usize) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# HELP emkg_http_requests_total Requests by route and status."
        );
        let _ = writeln!(s, "# TYPE emkg_http_requests_total counter");
        let routes = self.routes.lock().map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.count.clone(), v.buckets, v.sum, v.n))
                .collect::<Vec<_>>()
        });
        let routes = routes.unwrap_or_default();
        for (route, counts, _, _, _) in &routes {
            for (status, n) in counts {
                let _ = writeln!(
                    s,
                    "emkg_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        let _ = writeln!(
            s,
            "# HELP emkg_http_request_duration_seconds Request latency by route."
        );
        let _ = writeln!(s, "# TYPE emkg_http_request_duration_seconds histogram");
        for (route, _, buckets, sum, n) in &routes {
            let r = escape(route);
            for (b, c) in BUCKETS.iter().zip(buckets) {
                let _ = writeln!(
                    s,
                    "emkg_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{b}\"}} {c}"
                );
            }
            let _ = writeln!(
                s,
                "emkg_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {n}"
            );
            let _ = writeln!(
                s,
                "emkg_http_request_duration_seconds_sum{{route=\"{r}\"}} {sum}"
            );
            let _ = writeln!(
                s,
                "emkg_http_request_duration_seconds_count{{route=\"{r}\"}} {n}"
            );
        }
        let _ = writeln!(
            s,
            "# HELP emkg_ask_queue_depth Questions waiting or running."
        );
        let _ = writeln!(s, "# TYPE emkg_ask_queue_depth gauge");
        let _ = writeln!(s, "emkg_ask_queue_depth {queue_depth}");
        let (tokens, secs, gens) = self.llm.lock().map(|g| *g).unwrap_or_default();
        let _ = writeln!(
            s,
            "# HELP emkg_llm_generated_tokens_total Tokens the local LLM generated."
        );
        let _ = writeln!(s, "# TYPE emkg_llm_generated_tokens_total counter");
        let _ = writeln!(s, "emkg_llm_generated_tokens_total {tokens}");
        let _ = writeln!(s, "# HELP emkg_llm_decode_seconds_total Seconds spent decoding (tokens/s = tokens / seconds).");
        let _ = writeln!(s, "# TYPE emkg_llm_decode_seconds_total counter");
        let _ = writeln!(s, "emkg_llm_decode_seconds_total {secs}");
        let _ = writeln!(s, "# TYPE emkg_llm_generations_total counter");
        let _ = writeln!(s, "emkg_llm_generations_total {gens}");
        s
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_histogram() {
        let m = Metrics::default();
        m.request("/v1/search", 200, 0.003);
        m.request("/v1/search", 200, 0.2);
        m.request("/v1/search", 400, 0.001);
        m.generation(40, 2.0);
        let t = m.render(3);
        assert!(t.contains("emkg_http_requests_total{route=\"/v1/search\",status=\"200\"} 2"));
        assert!(t.contains("emkg_http_requests_total{route=\"/v1/search\",status=\"400\"} 1"));
        assert!(t.contains("le=\"0.005\"} 2"), "{t}");
        assert!(t.contains("le=\"0.25\"} 3"));
        assert!(t.contains("le=\"+Inf\"} 3"));
        assert!(t.contains("emkg_ask_queue_depth 3"));
        assert!(t.contains("emkg_llm_generated_tokens_total 40"));
    }
}
