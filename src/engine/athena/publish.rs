//! `flowq publish`: saved searches as Athena named queries, so they show up
//! in the console's Saved queries of the workgroup. A search whose name is
//! already there is skipped, never duplicated or overwritten.

use std::collections::{HashMap, HashSet};

use super::connect::Athena;
use super::summary::{ApiError, AthenaError};
use crate::sql::render::MAX_QUERY_BYTES;

/// A search to publish: its name, description and SQL compiled with its
/// default parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedQuery {
    pub name: String,
    pub description: Option<String>,
    pub sql: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublishReport {
    pub created: Vec<String>,
    pub skipped: Vec<Skipped>,
    /// Searches whose CreateNamedQuery failed; the others were still tried.
    pub failed: Vec<(String, ApiError)>,
}

/// A search already in the workgroup under its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub name: String,
    /// No named query of that name has this SQL: the one in Athena is
    /// older, or someone else's.
    pub differs: bool,
}

/// CreateNamedQuery limits (reference §4.6).
const MAX_NAME: usize = 128;
const MAX_DESCRIPTION: usize = 1024;
const MAX_DATABASE: usize = 255;
const MAX_WORKGROUP: usize = 128;
/// Ids per ListNamedQueries page and per BatchGetNamedQuery call.
const BATCH: usize = 50;

pub async fn publish(
    athena: &Athena,
    workgroup: &str,
    database: &str,
    queries: &[NamedQuery],
) -> Result<PublishReport, AthenaError> {
    validate(workgroup, database, queries)?;
    let existing = existing_queries(athena, workgroup).await?;
    let mut report = PublishReport::default();
    for query in queries {
        if let Some(sqls) = existing.get(&query.name) {
            report.skipped.push(Skipped {
                name: query.name.clone(),
                differs: !sqls.contains(&query.sql),
            });
            continue;
        }
        let created = athena
            .client()
            .create_named_query()
            .name(&query.name)
            .set_description(query.description.clone())
            .database(database)
            .query_string(&query.sql)
            .work_group(workgroup)
            .send()
            .await;
        match created {
            Ok(_) => report.created.push(query.name.clone()),
            Err(e) => report
                .failed
                .push((query.name.clone(), ApiError::new("CreateNamedQuery", e))),
        }
    }
    Ok(report)
}

/// Everything Athena would refuse, said before anything is created.
fn validate(workgroup: &str, database: &str, queries: &[NamedQuery]) -> Result<(), AthenaError> {
    let refuse = |message: String| Err(AthenaError::Refused(message));
    let workgroup_ok = (1..=MAX_WORKGROUP).contains(&workgroup.len())
        && workgroup
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !workgroup_ok {
        return refuse(format!(
            "workgroup '{workgroup}': Athena names a workgroup with 1 to {MAX_WORKGROUP} letters, digits, '.', '_' or '-'"
        ));
    }
    if !(1..=MAX_DATABASE).contains(&database.chars().count()) {
        return refuse(format!(
            "database '{database}': Athena takes 1 to {MAX_DATABASE} characters"
        ));
    }
    let mut names = HashSet::new();
    for query in queries {
        let name = &query.name;
        if !(1..=MAX_NAME).contains(&name.chars().count()) {
            return refuse(format!(
                "search '{name}': an Athena named query's name has 1 to {MAX_NAME} characters"
            ));
        }
        if !names.insert(name.as_str()) {
            return refuse(format!("search '{name}' is listed twice"));
        }
        if query
            .description
            .as_ref()
            .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION)
        {
            return refuse(format!(
                "search '{name}': its description is over Athena's {MAX_DESCRIPTION} characters"
            ));
        }
        if query.sql.is_empty() || query.sql.len() > MAX_QUERY_BYTES {
            return refuse(format!(
                "search '{name}': its SQL is {} bytes; Athena takes 1 to {MAX_QUERY_BYTES}",
                query.sql.len()
            ));
        }
    }
    Ok(())
}

/// The SQL of every named query in the workgroup, by name (names need not
/// be unique in Athena).
async fn existing_queries(
    athena: &Athena,
    workgroup: &str,
) -> Result<HashMap<String, Vec<String>>, AthenaError> {
    let api = |error| AthenaError::Api { error, query: None };
    let mut ids = Vec::new();
    let mut next_token = None;
    loop {
        let page = athena
            .client()
            .list_named_queries()
            .work_group(workgroup)
            .max_results(BATCH as i32)
            .set_next_token(next_token.take())
            .send()
            .await
            .map_err(|e| api(ApiError::new("ListNamedQueries", e)))?;
        ids.extend(page.named_query_ids().iter().cloned());
        match page.next_token() {
            Some(token) if !token.is_empty() => next_token = Some(token.to_string()),
            _ => break,
        }
    }
    let mut existing: HashMap<String, Vec<String>> = HashMap::new();
    for chunk in ids.chunks(BATCH) {
        let batch = athena
            .client()
            .batch_get_named_query()
            .set_named_query_ids(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| api(ApiError::new("BatchGetNamedQuery", e)))?;
        // A query we could not read might have the name we are about to
        // create: better to stop than to make a duplicate.
        if let Some(unread) = batch.unprocessed_named_query_ids().first() {
            return Err(api(ApiError::other(
                "BatchGetNamedQuery",
                format!(
                    "could not read named query {}: {}: {}; nothing was created",
                    unread.named_query_id().unwrap_or("?"),
                    unread.error_code().unwrap_or("no code"),
                    unread.error_message().unwrap_or("no message")
                ),
            )));
        }
        for query in batch.named_queries() {
            existing
                .entry(query.name().to_string())
                .or_default()
                .push(query.query_string().to_string());
        }
    }
    Ok(existing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(name: &str) -> NamedQuery {
        NamedQuery {
            name: name.into(),
            description: None,
            sql: "SELECT 1".into(),
        }
    }

    #[test]
    fn what_athena_would_refuse_is_refused_first() {
        assert!(validate("primary", "default", &[query("a"), query("b")]).is_ok());
        let refused = |wg: &str, db: &str, queries: &[NamedQuery]| {
            validate(wg, db, queries).unwrap_err().to_string()
        };
        assert!(refused("my wg", "default", &[]).contains("workgroup"));
        assert!(refused("primary", "", &[]).contains("database"));
        assert!(refused("primary", "default", &[query("a"), query("a")]).contains("twice"));
        assert!(refused("primary", "default", &[query(&"n".repeat(129))]).contains("name"));
        let mut long = query("a");
        long.description = Some("d".repeat(1025));
        assert!(refused("primary", "default", &[long]).contains("description"));
        let mut empty = query("a");
        empty.sql.clear();
        assert!(refused("primary", "default", &[empty]).contains("SQL"));
    }
}
