//! The `anonlab` command: parses arguments, dispatches to a command, and turns
//! the outcome into an exit code (0 success, 2 bad input or settings, 3 no
//! solution exists, 1 anything else). Errors print as one line with their causes.

mod cli;
mod commands;
mod config;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let outcome = match cli.command {
        cli::Command::Anonymize(args) => commands::anonymize::run(&args),
        cli::Command::Inspect(args) => commands::inspect::run(&args),
        cli::Command::Risk(args) => commands::risk::run(&args),
        cli::Command::Report(args) => commands::report::run(&args),
        cli::Command::Generate(args) => commands::generate::run(&args),
        cli::Command::Attack(args) => commands::attack::run(&args),
        cli::Command::Dp(command) => commands::dp::run(&command),
        cli::Command::Synth(args) => commands::synth::run(&args),
        cli::Command::Utility(args) => commands::utility::run(&args),
        cli::Command::Models => commands::models::run(),
        cli::Command::Serve(args) => commands::serve::run(&args),
        cli::Command::Worker(args) => commands::serve::worker(&args),
        cli::Command::Audit(cli::AuditCommand::Verify(args)) => commands::serve::audit_verify(&args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            let chain: Vec<String> = err.chain().map(ToString::to_string).collect();
            let mut message = chain[0].clone();
            for cause in &chain[1..] {
                if !message.contains(cause.as_str()) {
                    message.push_str(": ");
                    message.push_str(cause);
                }
            }
            let _ = writeln!(std::io::stderr(), "anonlab: error: {message}");
            ExitCode::from(exit_code(&err))
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|e| e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

fn exit_code(err: &anyhow::Error) -> u8 {
    use anonlab_privacy::ErrorKind;
    if let Some(e) = err.downcast_ref::<anonlab_dp::Error>() {
        return if e.kind() == anonlab_dp::ErrorKind::Internal { 1 } else { 2 };
    }
    if let Some(e) = err.downcast_ref::<anonlab_arena::Error>() {
        return if e.is_user_fault() { 2 } else { 1 };
    }
    if let Some(e) = err.downcast_ref::<anonlab_attacks::Error>() {
        return if e.kind() == anonlab_attacks::ErrorKind::Internal { 1 } else { 2 };
    }
    match err.downcast_ref::<anonlab_privacy::Error>().map(anonlab_privacy::Error::kind) {
        Some(ErrorKind::NoSolution) => 3,
        Some(ErrorKind::Internal) => 1,
        _ => 2,
    }
}
