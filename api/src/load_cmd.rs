//! `emkg bench load`: a bounded HTTP load on a running server — GET
//! /v1/search over keep-alive connections, one thread each, for a fixed
//! time — printing throughput, latency percentiles and every status seen.
//! Optionally one /v1/ask runs alongside, as an operator's question would.

use anyhow::{Context, Result};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// One connection's results: latencies (ms) and status counts.
#[derive(Default)]
struct Tally {
    ms: Vec<f64>,
    status: std::collections::BTreeMap<u16, usize>,
    errors: usize,
}

/// Sends one request on `conn` and reads the whole response; the status.
fn exchange(conn: &mut BufReader<TcpStream>, request: &[u8]) -> std::io::Result<(u16, bool)> {
    conn.get_mut().write_all(request)?;
    let mut line = String::new();
    conn.read_line(&mut line)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let mut length: Option<usize> = None;
    let mut close = false;
    loop {
        line.clear();
        conn.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let lower = l.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().ok();
        } else if lower.starts_with("connection:") && lower.contains("close") {
            close = true;
        }
    }
    match length {
        Some(n) => {
            // Read and drop, never allocating what a header claims.
            let got = std::io::copy(&mut conn.by_ref().take(n as u64), &mut std::io::sink())?;
            if got < n as u64 {
                return Err(std::io::Error::other("response cut short"));
            }
        }
        None => {
            let mut sink = Vec::new();
            conn.read_to_end(&mut sink)?;
            close = true;
        }
    }
    Ok((status, close))
}

fn worker(host: &str, token: &str, queries: &[String], offset: usize, until: Instant) -> Tally {
    let mut t = Tally::default();
    let mut conn: Option<BufReader<TcpStream>> = None;
    let mut i = offset;
    while Instant::now() < until {
        let q = &queries[i % queries.len()];
        i += 1;
        // Encoding a string pair cannot fail; an empty query would show
        // as 400s in the statuses printed.
        let query =
            serde_urlencoded::to_string([("k", "10"), ("q", q.as_str())]).unwrap_or_default();
        let req = format!(
            "GET /v1/search?{query} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n"
        );
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match TcpStream::connect(host) {
                Ok(s) => {
                    let _ = s.set_read_timeout(Some(Duration::from_secs(60)));
                    let _ = s.set_nodelay(true);
                    conn.insert(BufReader::new(s))
                }
                Err(_) => {
                    t.errors += 1;
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
            },
        };
        let t0 = Instant::now();
        match exchange(c, req.as_bytes()) {
            Ok((status, close)) => {
                // Latency of answered searches only: a fast refusal is not
                // a fast search.
                if status == 200 {
                    t.ms.push(t0.elapsed().as_secs_f64() * 1000.0);
                }
                *t.status.entry(status).or_default() += 1;
                if close {
                    conn = None;
                }
            }
            Err(_) => {
                t.errors += 1;
                conn = None;
            }
        }
    }
    t
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Runs the load at each connection count for `seconds`, with `ask` (a
/// question) running alongside when given.
pub fn bench_load(
    url: &str,
    token: &str,
    queries: Vec<String>,
    connections: &[usize],
    seconds: f64,
    ask: Option<String>,
) -> Result<()> {
    let host = url
        .trim_end_matches('/')
        .strip_prefix("http://")
        .context("--url 应为 http://主机:端口")?
        .to_string();
    anyhow::ensure!(!queries.is_empty(), "没有查询");
    anyhow::ensure!(
        seconds.is_finite() && (0.1..=3600.0).contains(&seconds),
        "--seconds 应在 0.1 到 3600 之间"
    );
    for &n in connections {
        anyhow::ensure!((1..=1024).contains(&n), "连接数应在 1 到 1024 之间");
        // The question, when asked, starts first and runs through the load.
        let asker = ask.clone().map(|q| {
            let (host, token) = (host.clone(), token.to_string());
            std::thread::spawn(move || -> Result<(u16, f64)> {
                let body = serde_json::json!({"question": q, "max_tokens": 256}).to_string();
                let req = format!(
                    "POST /v1/ask HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let s = TcpStream::connect(&host)?;
                s.set_read_timeout(Some(Duration::from_secs(900)))?;
                let t0 = Instant::now();
                let (st, _) = exchange(&mut BufReader::new(s), req.as_bytes())?;
                Ok((st, t0.elapsed().as_secs_f64()))
            })
        });
        if asker.is_some() {
            // Let the model start (prefill) before the load does.
            std::thread::sleep(Duration::from_millis(500));
        }
        let until = Instant::now() + Duration::from_secs_f64(seconds);
        let started = Instant::now();
        let workers: Vec<_> = (0..n)
            .map(|i| {
                let (host, token, qs) = (host.clone(), token.to_string(), queries.clone());
                std::thread::spawn(move || worker(&host, &token, &qs, i * 7, until))
            })
            .collect();
        let mut all = Tally::default();
        for w in workers {
            let t = w.join().map_err(|_| anyhow::anyhow!("负载线程异常退出"))?;
            all.ms.extend(t.ms);
            all.errors += t.errors;
            for (k, v) in t.status {
                *all.status.entry(k).or_default() += v;
            }
        }
        let wall = started.elapsed().as_secs_f64();
        all.ms.sort_by(f64::total_cmp);
        let ok = all.status.get(&200).copied().unwrap_or(0);
        let fivexx: usize = all
            .status
            .iter()
            .filter(|(k, _)| **k >= 500 && **k != 503)
            .map(|(_, v)| v)
            .sum();
        let answered: usize = all.status.values().sum();
        println!(
            "search ×{n} connections, {wall:.1} s: {:.1} req/s answered, {:.1} ok/s ({} ok)  p50 {:.1} ms  p90 {:.1} ms  p99 {:.1} ms  max {:.1} ms  statuses {:?}  5xx(非503) {fivexx}  connection errors {}",
            answered as f64 / wall,
            ok as f64 / wall,
            ok,
            pct(&all.ms, 0.5),
            pct(&all.ms, 0.9),
            pct(&all.ms, 0.99),
            all.ms.last().copied().unwrap_or(0.0),
            all.status,
            all.errors,
        );
        if let Some(a) = asker {
            match a.join() {
                Ok(Ok((st, secs))) => {
                    println!("  alongside: one /v1/ask → {st} after {secs:.1} s")
                }
                Ok(Err(e)) => println!("  alongside: /v1/ask failed: {e}"),
                Err(_) => println!("  alongside: /v1/ask thread panicked"),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_sorted_sample() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(pct(&v, 0.5), 51.0);
        assert_eq!(pct(&v, 0.99), 99.0);
        assert_eq!(pct(&[], 0.99), 0.0);
    }
}
