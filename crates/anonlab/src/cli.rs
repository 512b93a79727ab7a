//! Command-line definitions (the "low arguments": what the user typed).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// anonlab: privacy-preserving release of medical tables.
#[derive(Debug, Parser)]
#[command(name = "anonlab", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Find the optimal k-anonymous / l-diverse / t-close generalization and write the release.
    Anonymize(Box<AnonymizeArgs>),
    /// Show columns, inferred types, distinct and NULL counts, and a suggested role for each.
    Inspect(InspectArgs),
    /// Re-identification risk of a table or a release (ARX's models).
    Risk(RiskArgs),
    /// Write one self-contained HTML page on an anonymization: settings, risk before and after, charts.
    #[command(long_about = REPORT_ABOUT)]
    Report(ReportArgs),
    /// Write a realistic synthetic patient table of any size (seeded), for tests and demos.
    Generate(GenerateArgs),
    /// Attack a release the way an adversary would: singling out, linkability, inference, linkage, membership.
    #[command(long_about = ATTACK_ABOUT)]
    Attack(Box<AttackArgs>),
    /// Differential privacy: budgeted SQL aggregate queries, the budget ledger, the audit of a DP release.
    #[command(subcommand)]
    Dp(DpCommand),
    /// Write a differentially private synthetic copy of a table (MST).
    Synth(SynthArgs),
    /// How well a synthetic (or released) table keeps the real one's statistics.
    Utility(UtilityArgs),
    /// List the privacy models and quality metrics anonlab implements.
    Models,
    /// Run the benchmark platform: web UI and API on http://127.0.0.1:8080, with evaluation workers.
    #[command(long_about = SERVE_ABOUT)]
    Serve(Box<ServeArgs>),
    /// Run an extra evaluation worker against the platform's database (PostgreSQL for several).
    Worker(WorkerArgs),
    /// The platform's audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
}

const SERVE_ABOUT: &str = "Run the benchmark platform: the web UI and the JSON API (/api/v1, OpenAPI at \
/api/v1/openapi.json), with evaluation workers in the same process.

On first start it creates the data directory, an SQLite database and the vault key in it (or uses \
PostgreSQL given --database-url / ANONLAB_DATABASE_URL), prints the admin account's password once, and \
seeds the demo: UCI Adult and a medical table as challenges, the built-in anonymizers and attacks. \
Settings come from flags, then ANONLAB_* environment variables, then --config FILE (TOML with the same \
names in snake_case).";

/// `anonlab serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TOML file with the server's settings (flags and environment override it).
    #[arg(long, value_name = "FILE", env = "ANONLAB_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address and port to listen on [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR:PORT", env = "ANONLAB_BIND")]
    pub bind: Option<std::net::SocketAddr>,
    /// Directory for the SQLite database and the vault key [default: ./anonlab-data].
    #[arg(long, value_name = "DIR", env = "ANONLAB_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL URL (postgres://...); the SQLite file in the data directory when absent.
    #[arg(long, value_name = "URL", env = "ANONLAB_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Evaluation workers in this process (0: leave evaluation to `anonlab worker`) [default: 1].
    #[arg(long, value_name = "N", env = "ANONLAB_WORKERS")]
    pub workers: Option<usize>,
    /// Largest dataset upload in bytes [default: 67108864].
    #[arg(long, value_name = "BYTES", env = "ANONLAB_MAX_UPLOAD_BYTES")]
    pub max_upload_bytes: Option<usize>,
    /// Largest body an AnoMed app may send to the challenge routes, in bytes [default: 16777216, as AnoMed's nginx].
    #[arg(long, value_name = "BYTES", env = "ANONLAB_ANOMED_MAX_BODY_BYTES")]
    pub anomed_max_body_bytes: Option<usize>,
    /// Mark cookies Secure (when served over HTTPS).
    #[arg(long, env = "ANONLAB_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Do not seed the demo challenges and submissions.
    #[arg(long)]
    pub no_demo: bool,
    /// Log as JSON lines (for log collectors) instead of text.
    #[arg(long, env = "ANONLAB_LOG_JSON")]
    pub log_json: bool,
}

/// `anonlab worker`
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The platform's database (the server's --database-url).
    #[arg(long, value_name = "URL", env = "ANONLAB_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// The server's data directory (for its SQLite file and the vault key; or set ANONLAB_VAULT_KEY) [default: ./anonlab-data].
    #[arg(long, value_name = "DIR", env = "ANONLAB_DATA_DIR", default_value = "anonlab-data")]
    pub data_dir: PathBuf,
    /// Seconds a claimed job stays leased without renewal.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub lease_secs: u64,
    /// Seconds a running job may take to finish at shutdown before it is handed back.
    #[arg(long, value_name = "SECS", default_value_t = 20)]
    pub grace_secs: u64,
    /// Hold every job this many milliseconds before recording it (for crash tests).
    #[arg(long, value_name = "MS", default_value_t = 0, hide = true)]
    pub hold_ms: u64,
    /// Log as JSON lines.
    #[arg(long, env = "ANONLAB_LOG_JSON")]
    pub log_json: bool,
}

/// `anonlab audit`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check that no entry of the audit log was altered, removed or reordered.
    Verify(AuditVerifyArgs),
}

/// `anonlab audit verify`
#[derive(Debug, Args)]
pub struct AuditVerifyArgs {
    /// The platform's database (the server's --database-url).
    #[arg(long, value_name = "URL", env = "ANONLAB_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// The server's data directory (SQLite file and vault key).
    #[arg(long, value_name = "DIR", env = "ANONLAB_DATA_DIR", default_value = "anonlab-data")]
    pub data_dir: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `anonlab anonymize`
#[derive(Debug, Args)]
pub struct AnonymizeArgs {
    /// TOML configuration file (flags below override its values).
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Input table (CSV or Parquet).
    #[arg(short, long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// CSV delimiter of the input (detected among , ; tab | when absent).
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,
    /// Anonymized output (CSV or Parquet by extension).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// JSON report.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// A quasi-identifier with its ARX-format hierarchy file: COLUMN=HIERARCHY.csv (repeatable).
    #[arg(long = "qi", value_name = "COLUMN=FILE")]
    pub quasi_identifiers: Vec<String>,
    /// A sensitive attribute (repeatable).
    #[arg(long, value_name = "COLUMN")]
    pub sensitive: Vec<String>,
    /// A direct identifier, removed from the release (repeatable).
    #[arg(long, value_name = "COLUMN")]
    pub identifying: Vec<String>,
    /// k of k-anonymity.
    #[arg(short, long)]
    pub k: Option<u64>,
    /// Fraction of rows that may be suppressed, e.g. 0.04.
    #[arg(long, value_name = "FRACTION")]
    pub suppression_limit: Option<f64>,
    /// l-diversity on a sensitive attribute: COLUMN:distinct:L, COLUMN:entropy:L or COLUMN:recursive:L:C (repeatable).
    #[arg(long = "l-diversity", value_name = "COLUMN:VARIANT:L[:C]")]
    pub l_diversity: Vec<String>,
    /// t-closeness on a sensitive attribute: COLUMN:equal:T, COLUMN:ordered:T or COLUMN:hierarchical:T (repeatable).
    #[arg(long = "t-closeness", value_name = "COLUMN:VARIANT:T")]
    pub t_closeness: Vec<String>,
    /// Quality metric: loss, entropy, entropy-nonmonotonic, discernibility, discernibility-nonmonotonic, aecs, height, precision.
    #[arg(long)]
    pub metric: Option<String>,
    /// How to search: auto, optimal, heuristic, mondrian, microaggregation or iterative (local recoding).
    #[arg(long)]
    pub mode: Option<String>,
    /// Print how the search will run, then run it.
    #[arg(long)]
    pub explain: bool,
    /// Print the JSON report on stdout.
    #[arg(long)]
    pub json: bool,
    /// No progress bar or summary on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `anonlab inspect`
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The table (CSV or Parquet).
    pub file: PathBuf,
    /// CSV delimiter (detected when absent).
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `anonlab risk`
#[derive(Debug, Args)]
pub struct RiskArgs {
    /// The table or release to analyse (CSV or Parquet); or give --config.
    pub file: Option<PathBuf>,
    /// An anonymize configuration: its input and quasi-identifiers, and its [risk] section.
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Quasi-identifiers, comma-separated (default with --config: its quasi-identifiers).
    #[arg(long, value_name = "A,B,C", value_delimiter = ',')]
    pub qi: Vec<String>,
    /// Population size, or a region preset (usa, germany, european-union, ...); default usa.
    #[arg(long, value_name = "N|REGION")]
    pub population: Option<String>,
    /// Analyse quasi-identifier combinations of up to this many attributes.
    #[arg(long, default_value_t = 2)]
    pub combinations: usize,
    /// CSV delimiter (detected when absent).
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,
    /// Print one JSON object instead of a summary.
    #[arg(long)]
    pub json: bool,
}

/// The long help of `anonlab report`.
const REPORT_ABOUT: &str = "\
Write one self-contained HTML page on an anonymization, for the data steward who signs off a release.

The command runs the anonymization of --config (the same search as `anonlab anonymize`, \
nothing else is written) and renders:
  - the settings: privacy models, suppression limit, metric, strategy, quasi-identifiers with \
their hierarchies, the transformation found;
  - re-identification risk of the input and of the release (prosecutor, journalist, marketer, \
records at risk, sample uniqueness, population uniqueness: Pitman, Zayatz, SNB, Dankar), and \
records per risk band as a chart;
  - the release's class-size histogram, per-attribute information loss, suppressed records;
  - distinction and separation of the input's quasi-identifiers and their combinations.

The page has no scripts and loads nothing: styles are inline and charts are inline SVG, so it \
opens offline and can be archived with the release. It is written atomically (no partial file).

With --report, the JSON report of an earlier `anonlab anonymize` run is checked against this run \
(transformation, suppressed rows, classes): a mismatch is an error, so the page describes exactly \
the release that report belongs to.

Example: anonlab report --config examples/adult/adult.toml -o out/adult-report.html";

/// `anonlab report`
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The anonymize configuration (TOML) to run and describe.
    #[arg(short, long, value_name = "FILE")]
    pub config: PathBuf,
    /// The HTML file to write.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// The JSON report of an earlier `anonlab anonymize` run of this configuration, to check against.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Population size, or a region preset (usa, germany, ...); default: the config's [risk] population, else usa.
    #[arg(long, value_name = "N|REGION")]
    pub population: Option<String>,
    /// Analyse quasi-identifier combinations of up to this many attributes (distinction and separation).
    #[arg(long, default_value_t = 2)]
    pub combinations: usize,
    /// No summary on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `anonlab generate`
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of hospital stays (rows).
    #[arg(long, default_value_t = 10_000)]
    pub rows: u64,
    /// Random seed: the same seed gives the same table.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The CSV file to write.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Field delimiter.
    #[arg(long, value_name = "CHAR", default_value = ",")]
    pub delimiter: String,
}

const ATTACK_ABOUT: &str = "Attack a release the way an adversary would, and report each success rate \
with a confidence interval against random guessing (the baseline) and against control records that did \
not shape the release: risk = (attack - control) / (1 - control).

The original is the table the release was made from; the control is a sample of the same population that \
was held out (give one of the same size as the original for singling out).";

/// `anonlab attack`
#[derive(Debug, Args)]
pub struct AttackArgs {
    /// Which attack.
    #[command(subcommand)]
    pub kind: AttackKind,
}

/// Options every attack takes.
#[derive(Debug, Args)]
pub struct AttackCommon {
    /// The table the release was made from (CSV or Parquet).
    #[arg(long, value_name = "FILE")]
    pub original: PathBuf,
    /// The release: anonymized, synthetic or perturbed (CSV or Parquet).
    #[arg(long, value_name = "FILE")]
    pub release: PathBuf,
    /// Held-out records of the same population that did not shape the release.
    #[arg(long, value_name = "FILE")]
    pub control: Option<PathBuf>,
    /// CSV delimiter of all three tables (detected per file when absent).
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,
    /// Number of attacks (targets or queries).
    #[arg(long, value_name = "N", default_value_t = 500)]
    pub n_attacks: usize,
    /// Seed of every random choice; the same seed gives the same result.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// Confidence level of the intervals.
    #[arg(long, value_name = "LEVEL", default_value_t = 0.95)]
    pub confidence: f64,
    /// Print the result as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Also write the JSON result to this file.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The attacks.
#[derive(Debug, Subcommand)]
pub enum AttackKind {
    /// Predicates written from the release that match exactly one original record.
    SinglingOut {
        /// Shared options.
        #[command(flatten)]
        common: AttackCommon,
        /// One column per query (rare values, extremes) or several (from release records).
        #[arg(long, value_enum, default_value = "multivariate")]
        mode: SinglingOutMode,
        /// Columns per multivariate query.
        #[arg(long, value_name = "N", default_value_t = 3)]
        n_cols: usize,
        /// Columns the attacker may use (default: all).
        #[arg(long, value_name = "A,B,C", value_delimiter = ',')]
        columns: Vec<String>,
        /// Most candidate queries to try in multivariate mode.
        #[arg(long, value_name = "N", default_value_t = 1_000_000)]
        max_attempts: usize,
    },
    /// Two partial records of a person joined through their nearest release records.
    Linkability {
        /// Shared options.
        #[command(flatten)]
        common: AttackCommon,
        /// Columns of the first source.
        #[arg(long, value_name = "A,B", value_delimiter = ',', required = true)]
        aux_cols_a: Vec<String>,
        /// Columns of the second source.
        #[arg(long, value_name = "C,D", value_delimiter = ',', required = true)]
        aux_cols_b: Vec<String>,
        /// Release neighbours considered on each side.
        #[arg(long, value_name = "K", default_value_t = 1)]
        n_neighbors: usize,
    },
    /// A secret column guessed from the nearest release record on known columns.
    Inference {
        /// Shared options.
        #[command(flatten)]
        common: AttackCommon,
        /// Columns the attacker knows.
        #[arg(long, value_name = "A,B,C", value_delimiter = ',', required = true)]
        aux_cols: Vec<String>,
        /// The column to guess.
        #[arg(long, value_name = "COLUMN")]
        secret: String,
        /// Relative tolerance for a numeric secret (0: exact).
        #[arg(long, value_name = "FRACTION", default_value_t = 0.05)]
        tolerance: f64,
    },
    /// Re-identification in a generalized release by quasi-identifier containment.
    Linkage {
        /// Shared options.
        #[command(flatten)]
        common: AttackCommon,
        /// The quasi-identifiers the attacker knows (default: the config's quasi-identifiers).
        #[arg(long, value_name = "A,B,C", value_delimiter = ',')]
        qi: Vec<String>,
        /// The anonymize configuration the release was made with (for its hierarchies).
        #[arg(short, long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// A hierarchy the release was generalized with: COLUMN=FILE (ARX format; repeatable).
        #[arg(long, value_name = "COLUMN=FILE")]
        hierarchy: Vec<String>,
    },
    /// Members told from non-members by their distance or density ratio to the release.
    Membership {
        /// Shared options.
        #[command(flatten)]
        common: AttackCommon,
        /// Score: distance to the closest release record, or DOMIAS-style density ratio.
        #[arg(long, value_enum, default_value = "distance")]
        method: MembershipMethod,
        /// Targets: a random sample, or the most isolated records (outliers).
        #[arg(long, value_enum, default_value = "random")]
        targets: MembershipTargets,
        /// Columns the attacker uses (default: all).
        #[arg(long, value_name = "A,B,C", value_delimiter = ',')]
        columns: Vec<String>,
        /// Bootstrap rounds for the intervals of AUC and TPR at low FPR.
        #[arg(long, value_name = "N", default_value_t = 200)]
        bootstrap: usize,
        /// δ of the ε lower bound the ROC implies.
        #[arg(long, value_name = "DELTA", default_value_t = 1e-5)]
        delta: f64,
    },
}

/// `--mode` of singling out.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SinglingOutMode {
    /// One column per query.
    Univariate,
    /// Several columns per query.
    Multivariate,
}

/// `--method` of membership inference.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum MembershipMethod {
    /// Distance to the closest release record.
    Distance,
    /// Density of the release over density of the population (DOMIAS).
    Density,
}

/// `--targets` of membership inference.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum MembershipTargets {
    /// A random sample of members and non-members.
    Random,
    /// The most isolated members and non-members.
    Outliers,
}

/// `anonlab dp ...`
#[derive(Debug, Subcommand)]
pub enum DpCommand {
    /// Answer a SQL aggregate query with noise, intervals and its privacy cost.
    Query(DpQueryArgs),
    /// Show or set a budget in a ledger.
    Budget(DpBudgetArgs),
    /// Run the attack suite against a DP release and check its membership ROC against the claimed ε.
    Audit(DpAuditArgs),
}

/// `anonlab dp audit`
#[derive(Debug, Args)]
pub struct DpAuditArgs {
    /// The table the release was made from.
    #[arg(long, value_name = "FILE")]
    pub original: PathBuf,
    /// The release (e.g. DP synthetic data).
    #[arg(long, value_name = "FILE")]
    pub release: PathBuf,
    /// Held-out records of the same population.
    #[arg(long, value_name = "FILE")]
    pub control: PathBuf,
    /// The ε the release claims.
    #[arg(long)]
    pub epsilon: f64,
    /// The δ the release claims.
    #[arg(long, default_value_t = 1e-9)]
    pub delta: f64,
    /// Attacks per attack type.
    #[arg(long, value_name = "N", default_value_t = 500)]
    pub n_attacks: usize,
    /// The column the inference attack guesses (default: the last).
    #[arg(long, value_name = "COLUMN")]
    pub secret: Option<String>,
    /// Seed of the attacks.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Where releases are recorded.
#[derive(Debug, Args)]
pub struct LedgerArgs {
    /// The budget ledger file (JSON lines); releases are refused once the budget is spent.
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    /// The dataset's name in the ledger (default: the data file's name).
    #[arg(long, value_name = "NAME")]
    pub dataset: Option<String>,
    /// The analyst's name in the ledger.
    #[arg(long, value_name = "NAME", env = "ANONLAB_ANALYST")]
    pub analyst: Option<String>,
}

/// `anonlab dp query`
#[derive(Debug, Args)]
pub struct DpQueryArgs {
    /// The query, e.g. "SELECT sex, COUNT(*), AVG(age) FROM t WHERE age >= 18 GROUP BY sex".
    pub sql: String,
    /// The table (CSV or Parquet).
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// CSV delimiter (detected when absent).
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,
    /// Public facts: column bounds, GROUP BY keys, rows per person (TOML).
    #[arg(long, value_name = "FILE")]
    pub metadata: Option<PathBuf>,
    /// What this query may spend: epsilon=E[,delta=D] or rho=R[,delta=D].
    #[arg(long, value_name = "SPEC")]
    pub budget: String,
    /// Confidence level of the intervals.
    #[arg(long, value_name = "LEVEL", default_value_t = 0.95)]
    pub confidence: f64,
    /// Histogram bins behind MEDIAN and QUANTILE.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub quantile_bins: usize,
    /// Show the cost and noise of each part without reading the data or spending anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// The ledger to spend from.
    #[command(flatten)]
    pub ledger: LedgerArgs,
}

/// `anonlab dp budget`
#[derive(Debug, Args)]
pub struct DpBudgetArgs {
    /// The ledger.
    #[command(flatten)]
    pub ledger: LedgerArgs,
    /// Set the allowance: epsilon=E[,delta=D] or rho=R[,delta=D].
    #[arg(long, value_name = "SPEC")]
    pub set: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `anonlab utility`
#[derive(Debug, Args)]
pub struct UtilityArgs {
    /// The real table (what the synthetic one was made from).
    #[arg(long, value_name = "FILE")]
    pub real: PathBuf,
    /// The synthetic or released table.
    #[arg(long, value_name = "FILE")]
    pub synthetic: PathBuf,
    /// Real records not used to make the synthetic table (test set of train-on-synthetic).
    #[arg(long, value_name = "FILE")]
    pub holdout: Option<PathBuf>,
    /// Column to predict in train-on-synthetic / test-on-real.
    #[arg(long, value_name = "COLUMN")]
    pub target: Option<String>,
    /// Bins of numeric columns in the marginals.
    #[arg(long, default_value_t = 10)]
    pub bins: usize,
    /// Seed of sampling and the classifier.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `anonlab synth`
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// The table to copy (CSV or Parquet).
    pub input: PathBuf,
    /// The synthetic CSV (same columns, header and delimiter as the input).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// ε of the whole release.
    #[arg(long, default_value_t = 1.0)]
    pub epsilon: f64,
    /// δ of the whole release.
    #[arg(long, default_value_t = 1e-9)]
    pub delta: f64,
    /// Seed of the sampling from the private model (never of the noise).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Rows to write (default: a noisy estimate of the input's count).
    #[arg(long)]
    pub rows: Option<usize>,
    /// Bins per numeric or date column.
    #[arg(long, default_value_t = 32)]
    pub bins: usize,
    /// mst, or independent (each column on its own: the baseline).
    #[arg(long, value_enum, default_value = "mst")]
    pub method: SynthMethod,
    /// CSV delimiter of the input (detected when absent).
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,
    /// Also write the synthesis report (budget split, model, domains) as JSON.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// A public domain (TOML or JSON: per column categories, or numeric/date bounds) that spares its discovery.
    #[arg(long, value_name = "FILE")]
    pub domain: Option<PathBuf>,
    /// Record the release's cost in a budget ledger.
    #[command(flatten)]
    pub ledger: LedgerArgs,
    /// No progress bar or summary on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `--method` of `anonlab synth`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SynthMethod {
    /// MST: noisy 1- and 2-way marginals on a maximum spanning tree.
    Mst,
    /// Every column sampled on its own from its noisy marginal.
    Independent,
}
