//! The authorization matrix: every endpoint against every kind of caller, each cell's expected
//! status read from `authorization_matrix.txt`. Mutating rows get fresh targets per cell.
//! `LATCHKEY_MATRIX_PRINT=1` prints the observed table (to review a change), and still asserts.

use crate::fixtures::{resolve, world, CALLERS};
use crate::helpers::*;
use serde_json::Value;
use std::collections::HashMap;

const TABLE: &str = include_str!("authorization_matrix.txt");

struct Row<'a> {
    method: &'a str,
    path: &'a str,
    body: Option<&'a str>,
    expected: Vec<u16>,
}

fn rows() -> Vec<Row<'static>> {
    TABLE
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let cols: Vec<&str> = line.split('|').map(str::trim).collect();
            assert_eq!(cols.len(), 4, "a matrix row has 4 columns: {line}");
            let expected: Vec<u16> = cols[3]
                .split_whitespace()
                .map(|s| s.parse().expect("a status"))
                .collect();
            assert_eq!(
                expected.len(),
                CALLERS.len(),
                "a matrix row has a status per caller: {line}"
            );
            Row {
                method: cols[0],
                path: cols[1],
                body: (cols[2] != "-").then_some(cols[2]),
                expected,
            }
        })
        .collect()
}

#[actix_web::test]
async fn every_endpoint_answers_every_kind_of_caller_as_the_table_says() {
    let app = spawn_app_with(|c| {
        c.limits.keys_per_environment = 1000;
        c.limits.environments = 1000;
        c.limits.pats_per_user = 1000;
        c.limits.agents_per_environment = 1000;
        c.limits.data_clips_per_space = 1000;
    })
    .await;
    let w = world(&app).await;
    let mut mismatches = Vec::new();
    let mut printed = Vec::new();
    let mut cells = 0;
    for (r, row) in rows().iter().enumerate() {
        let mut observed = Vec::new();
        for (c, caller) in CALLERS.iter().enumerate() {
            let mut fresh = HashMap::new();
            let n = r * 100 + c;
            let path = resolve(&app, &w, row.path, &mut fresh, n).await;
            let body = match row.body {
                Some(b) => Some(
                    serde_json::from_str::<Value>(&resolve(&app, &w, b, &mut fresh, n).await)
                        .expect("row body is JSON"),
                ),
                None => None,
            };
            let token = w.tokens[caller].as_deref();
            let (status, answer) = app.request(row.method, &path, token, body).await;
            assert!(
                answer.is_object(),
                "{} {path} as {caller}: body {answer}",
                row.method
            );
            if status.as_u16() >= 400 {
                assert!(
                    answer["errors"][0]["message"].is_string(),
                    "{} {path} as {caller}: {answer}",
                    row.method
                );
            }
            if status.as_u16() != row.expected[c] {
                mismatches.push(format!(
                    "{} {} as {caller}: expected {}, got {status} {answer}",
                    row.method, row.path, row.expected[c]
                ));
            }
            observed.push(status.as_u16().to_string());
            cells += 1;
        }
        printed.push(format!(
            "{} | {} | {} | {}",
            row.method,
            row.path,
            row.body.unwrap_or("-"),
            observed.join(" ")
        ));
    }
    if std::env::var_os("LATCHKEY_MATRIX_PRINT").is_some() {
        println!("{}", printed.join("\n"));
    }
    println!("authorization matrix: {cells} cells checked");
    assert!(
        mismatches.is_empty(),
        "{} cells differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
