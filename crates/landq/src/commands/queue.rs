//! `landq queue REPO`: a repository's land queue as the store holds it, and
//! `landq queue unfreeze REPO BRANCH`: lets a frozen queue land again.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use landq_store::{EntryState, QueueEntry};

use crate::config::StorePlace;

/// Show a repository's land queue, or unfreeze a branch's queue.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<QueueCommand>,
    /// The repository (`owner/name`) whose queue to show.
    repo: Option<String>,
    /// Print one JSON object per entry instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    place: StorePlace,
}

#[derive(Debug, clap::Subcommand)]
enum QueueCommand {
    /// Let the queue of BRANCH land again after landq froze it (a landed
    /// tree differed from the tested one): check the branch first.
    Unfreeze {
        /// The repository, `owner/name`.
        repo: String,
        /// The base branch.
        branch: String,
    },
}

/// Runs the command.
pub fn run(args: &Args, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let mut out = BufWriter::new(out);
    tokio::runtime::Runtime::new()?.block_on(async {
        let store = args.place.open().await?;
        match (&args.command, &args.repo) {
            (Some(QueueCommand::Unfreeze { repo, branch }), _) => {
                let Some(why) = store.frozen(repo, branch).await? else {
                    writeln!(out, "the `{branch}` queue of {repo} is not frozen")?;
                    return Ok(());
                };
                store.set_frozen(repo, branch, None).await?;
                writeln!(
                    out,
                    "unfroze the `{branch}` queue of {repo} (frozen because: {why}); \
                     it moves on the next event or reconcile"
                )?;
            }
            (None, Some(repo)) => {
                let entries = store.entries(repo).await?;
                let mut bases: Vec<&str> = entries.iter().map(|e| e.base.as_str()).collect();
                bases.sort();
                bases.dedup();
                for base in bases {
                    let frozen = store.frozen(repo, base).await?;
                    let of_base = entries.iter().filter(|e| e.base == base);
                    match args.json {
                        true => {
                            for entry in of_base {
                                writeln!(out, "{}", serde_json::to_string(entry)?)?;
                            }
                        }
                        false => table(&mut out, base, frozen.as_deref(), of_base)?,
                    }
                }
            }
            (None, None) => anyhow::bail!("name a repository: `landq queue OWNER/NAME`"),
        }
        anyhow::Ok(())
    })?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// One base branch's queue for people: queued entries in order, then those
/// waiting for something.
fn table<'a>(
    out: &mut dyn Write,
    base: &str,
    frozen: Option<&str>,
    entries: impl Iterator<Item = &'a QueueEntry>,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{base}{}",
        frozen
            .map(|w| format!(" (FROZEN: {w})"))
            .unwrap_or_default()
    )?;
    let (queued, waiting): (Vec<_>, Vec<_>) = entries.partition(|e| e.state.in_queue());
    for (position, entry) in queued.iter().enumerate() {
        let detail = match (&entry.state, &entry.stack) {
            (EntryState::Blocked, _) => entry.reasons.join("; "),
            (_, Some(stack)) => format!("testing {}", landq_policy::stack::short(&stack.commit)),
            _ => String::new(),
        };
        writeln!(
            out,
            "  {:>3}  #{:<6} {:<8} {}  {}",
            position + 1,
            entry.pr,
            entry.state.name(),
            entry.title,
            detail
        )?;
    }
    for entry in waiting {
        writeln!(
            out,
            "    -  #{:<6} {:<8} {}  {}",
            entry.pr,
            entry.state.name(),
            entry.title,
            entry.reasons.join("; ").replace('\n', " ")
        )?;
    }
    Ok(())
}
