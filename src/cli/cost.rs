//! The cost preview: what a query would read, from a listing of the S3
//! objects under exactly the partitions it selects, before it runs
//! (`flowq explain --cost`, `flowq run --dry-run`, and `--max-scan` on an
//! Athena source whose table `location:` is known). The listing is the
//! local engine's (engine/local/objects.rs); the words are here.

use crate::catalog::config::{EngineName, Source};
use crate::cli::failure::Failure;
use crate::engine::athena::summary::{estimated_cost, format_dollars};
use crate::engine::aws::s3_prices;
use crate::engine::local::objects::{self, Preview, S3Prefix, S3Source, WHOLE_LIST_PAGES};
use crate::engine::EngineError;
use crate::lang::ir::CheckedQuery;
use crate::units::format_bytes;

/// Where a source's objects are, for a preview: an S3 source's prefix, or
/// an Athena source's table location. None when the source has neither.
pub fn previewed(source: &Source, region: Option<&str>) -> Result<Option<S3Source>, String> {
    if let Some(s3) = &source.s3 {
        let mut s3 = s3.clone();
        if let Some(region) = region {
            s3.region = Some(region.to_string());
        }
        return Ok(Some(s3));
    }
    let (EngineName::Athena, Some(location)) = (source.engine, &source.location) else {
        return Ok(None);
    };
    let prefix = S3Prefix::parse(location)
        .map_err(|message| format!("source '{}': location: {message}", source.name))?;
    let mut s3 = S3Source::new(prefix);
    s3.region = region
        .map(str::to_string)
        .or_else(|| source.athena.as_ref().and_then(|a| a.region.clone()));
    Ok(Some(s3))
}

/// Lists the objects under the query's partitions (and, for an Athena
/// source with `compare`, sizes the location without partition
/// predicates).
pub fn preview(
    source: &Source,
    s3: &S3Source,
    query: &CheckedQuery,
    compare: bool,
) -> Result<Preview, String> {
    let whole = compare && source.engine == EngineName::Athena;
    objects::preview(s3, query, source.table.lateness, whole).map_err(|e| e.to_string())
}

/// The preview as SQL comments (`--`), as `explain` and `--dry-run` print.
pub fn describe(source: &Source, s3: &S3Source, preview: &Preview) -> String {
    let mut text = format!(
        "-- cost preview: listed {} ({})\n",
        s3.prefix.uri(),
        plural(preview.list_requests, "LIST request", "LIST requests")
    );
    if source.engine == EngineName::Athena {
        text += &format!(
            "--   the window's partitions: {}, {} flow-log {}, {}\n",
            plural(preview.partitions, "prefix", "prefixes"),
            preview.objects,
            if preview.objects == 1 {
                "object"
            } else {
                "objects"
            },
            format_bytes(preview.bytes)
        );
        text += &format!(
            "--   Athena estimate: {} at $5/TB, 10 MB minimum (at most: Athena reads only the needed columns of Parquet)\n",
            format_dollars(estimated_cost(preview.bytes, false))
        );
        text += &match &preview.whole {
            Some(whole) => format!(
                "--   without partition predicates: {} flow-log objects, {} (est. {})\n",
                whole.objects,
                format_bytes(whole.bytes),
                format_dollars(estimated_cost(whole.bytes, false))
            ),
            None => format!(
                "--   without partition predicates: not sized: the location holds more than {} objects ({WHOLE_LIST_PAGES} LIST pages)\n",
                WHOLE_LIST_PAGES * 1000
            ),
        };
    } else {
        text += &format!(
            "--   the window's partitions: {}; the local engine would GET {} of their {} flow-log objects, {} (by the timestamps in their names)\n",
            plural(preview.partitions, "prefix", "prefixes"),
            preview.gets,
            preview.objects,
            format_bytes(preview.get_bytes)
        );
        text += &format!(
            "--   requests: est. {} at {}; Athena would scan up to {} for these partitions (est. {})\n",
            format_dollars(s3_prices::requests_cost(preview.gets, preview.list_requests)),
            s3_prices::BASIS,
            format_bytes(preview.bytes),
            format_dollars(estimated_cost(preview.bytes, false))
        );
    }
    if preview.counts.prefixes_outside_layout > 0 {
        text += &format!(
            "--   not listed: {} outside the flow-log layout (e.g. {})\n",
            plural(preview.counts.prefixes_outside_layout, "prefix", "prefixes"),
            preview.counts.outside_examples.join(", ")
        );
    }
    text
}

/// `--max-scan` on an Athena source: refuses the query before it starts
/// when its partitions already hold more bytes than the limit.
pub fn refuse_past_limit(preview: &Preview, s3: &S3Source, limit: u64) -> Result<(), Failure> {
    if preview.bytes <= limit {
        return Ok(());
    }
    let message = format!(
        "the window's partitions hold {} in {} objects (listed under {}), past --max-scan {}; the query was not started",
        format_bytes(preview.bytes),
        preview.objects,
        s3.prefix.uri(),
        format_bytes(limit)
    );
    Err(Failure::engine(EngineError::failed(message).with_help(
        "narrow the window, or raise --max-scan (or the source's max_scan)",
    )))
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
