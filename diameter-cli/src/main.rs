//! `diameter`: decode, encode and inspect Diameter (RFC 6733) messages and the dictionaries
//! this stack was generated from.
//!
//! ```text
//! diameter decode capture.pcap --format json     # JSON Lines, one object per message
//! diameter decode tests/vectors/ccr-reference.hex  # an indented tree for people
//! diameter decode msgs.hex --format json | diameter encode   # back to the same hex
//! diameter dict --command CCR
//! diameter send --peer 127.0.0.1:3868 ccr.json --format json  # requests to a peer, answers
//! diameter load --peer 127.0.0.1:3868 --rate 1000 --duration 10 ccr.json
//! ```
//!
//! Exit status of `send` and `load`: 0 when every request was answered, 1 when one was not, 2
//! when the command could not run, 3 when the peer could not be reached.
//!
//! Exit status of `decode`, `encode` and `dict`: 0 when every message could be read (framed, or encoded); violations of a
//! message's grammar are data in the output, not a failure of the tool, unless `decode
//! --fail-on-invalid` asks for them to be. 1 when some message could not be framed or encoded
//! (or, with `--fail-on-invalid`, is not valid: Result-Code other than 2001), 2 when the command
//! could not run at all (bad usage, unreadable file).
//!
//! The JSON shapes are the contract written down in `shared/CLI-JSON.md`.

mod client;
mod demo;
mod dict;
mod encode;
mod identity;
mod input;
mod json;
mod metrics;
mod names;
mod pcap;
mod roles;
mod serve;
mod text;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use diameter_runtime::DecodeOptions;

/// Decode, encode and inspect Diameter messages.
#[derive(Debug, Parser)]
#[command(
    name = "diameter",
    version,
    about,
    long_about = None,
    after_help = "Exit status: 0 when every message could be framed (decode) or encoded \
                  (encode), violations or not; 1 when a message could not be, or with \
                  `decode --fail-on-invalid` when a message is not valid (Result-Code other \
                  than 2001); 2 when the command could not run (bad usage, unreadable file). \
                  send and load: 0 when every request was answered, 1 when one was not, 2 when \
                  the command could not run, 3 when the peer could not be reached."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode messages from hex text, binary or a pcap/pcapng capture.
    ///
    /// The input kind is detected: a pcap or pcapng capture (Diameter over TCP, reassembled
    /// per stream; SCTP DATA chunks with PPID 46 or 0), hex text (one message per line,
    /// `LABEL<TAB>HEX` or bare hex, `#` comments), or binary concatenated messages.
    Decode {
        /// Input file; `-` or nothing reads standard input.
        file: Option<String>,
        /// Output form.
        #[arg(long, value_enum, default_value_t = DecodeFormat::Text)]
        format: DecodeFormat,
        /// Validate leniently: unknown M-bit AVPs where the grammar allows any AVP, flag bits
        /// contradicting the dictionary, reserved AVP bits and non-zero padding are accepted.
        #[arg(long)]
        lenient: bool,
        /// Exit 1 when any message is not valid (Result-Code other than 2001), not only when
        /// one cannot be framed.
        #[arg(long)]
        fail_on_invalid: bool,
    },
    /// Encode messages given as JSON (the `decode --format json` form) to hex or binary.
    Encode {
        /// Input file with one JSON object, JSON Lines or an array; `-` or nothing reads
        /// standard input.
        file: Option<String>,
        /// Output form: hex (one message a line) or raw bytes.
        #[arg(long, value_enum, default_value_t = EncodeFormat::Hex)]
        format: EncodeFormat,
        /// Write text values their type would reject (e.g. a DiameterIdentity with spaces).
        #[arg(long)]
        lenient: bool,
    },
    /// Show the dictionaries: applications, commands and their grammars, AVPs.
    Dict {
        /// Output form.
        #[arg(long, value_enum, default_value_t = DecodeFormat::Text)]
        format: DecodeFormat,
        /// Only this AVP (name, or code, or code:vendor).
        #[arg(long, value_name = "NAME|CODE")]
        avp: Option<String>,
        /// Only this command (name, e.g. Credit-Control or Credit-Control-Request,
        /// abbreviation, e.g. CCR, or code), with the AVPs its grammars name.
        #[arg(long, value_name = "NAME|ABBREV")]
        command: Option<String>,
    },
    /// Send requests given as JSON to a peer and print the answers.
    ///
    /// Connects (CER/CEA advertising the requests' applications), sends each message of the
    /// file in turn, prints each answer as `decode` would, and disconnects with DPR.
    /// Origin-Host, Origin-Realm and Session-Id are filled in when absent; string values may
    /// hold the placeholders `{seq}`, `{round}`, `{step}`, `{session}` (see `load`).
    /// Exit status: 0 when every request was answered (whatever its Result-Code), 1 when one
    /// was not (timeout, connection lost), 2 on bad usage or input, 3 when the peer could not
    /// be reached (no CER/CEA within the connect timeout).
    Send {
        #[command(flatten)]
        peer: client::PeerArgs,
        /// Output form of the answers.
        #[arg(long, value_enum, default_value_t = DecodeFormat::Text)]
        format: DecodeFormat,
        /// The requests: one JSON object, JSON Lines or an array; `-` reads standard input.
        file: String,
    },
    /// Load a peer with requests given as JSON, within a rate, a duration and an in-flight cap.
    ///
    /// Each worker (one per --in-flight) runs rounds: the file's messages in order, sharing
    /// one Session-Id per round. Placeholders in string values: `{seq}` (request number),
    /// `{round}`, `{step}` (index in the file, e.g. CC-Request-Number "{step}"), `{session}`
    /// (the round's Session-Id, put in automatically where the command has a Session-Id and
    /// the file none). Prints a live progress line (on a terminal), one line per second and
    /// a summary (text), or one JSON summary object (json). Exit status as `send`: 0 when
    /// every request sent was answered, 1 otherwise, 2 bad usage, 3 peer unreachable.
    Load {
        #[command(flatten)]
        peer: client::PeerArgs,
        #[command(flatten)]
        bounds: client::load::LoadArgs,
        /// Output form of the report.
        #[arg(long, value_enum, default_value_t = DecodeFormat::Text)]
        format: DecodeFormat,
        /// The requests: one JSON object, JSON Lines or an array; `-` reads standard input.
        file: String,
    },
    /// Run a whole Diameter exchange on 127.0.0.1: an OCS, an accounting server and an HSS,
    /// and a client doing CER/CEA, a Gy session until the credit runs out, accounting, an S6a
    /// attach, an Sh query, a server-initiated RAR, watchdog and DPR. Exits 0 when every step
    /// went as expected.
    Demo,
    /// Run a Diameter node answering with built-in roles (ocs, acct, hss, sh, echo), from a
    /// TOML file and/or flags; prints `listening on HOST:PORT`, stops on SIGTERM or Ctrl-C
    /// after DPR to its peers.
    Serve(Box<serve::ServeArgs>),
}

/// Output form of `decode` and `dict`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum DecodeFormat {
    /// An indented listing for people.
    Text,
    /// JSON (JSON Lines for messages), as in CLI-JSON.md.
    Json,
}

/// Output form of `encode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum EncodeFormat {
    /// Lowercase hex, one message a line.
    Hex,
    /// The raw messages, concatenated.
    Bin,
}

/// What went wrong when the command could not run at all.
#[derive(Debug)]
struct Fatal(String);

impl<E: std::fmt::Display> From<E> for Fatal {
    fn from(e: E) -> Self {
        Fatal(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Decode {
            file,
            format,
            lenient,
            fail_on_invalid,
        } => decode(file.as_deref(), format, lenient, fail_on_invalid),
        Command::Encode {
            file,
            format,
            lenient,
        } => encode_cmd(file.as_deref(), format, lenient),
        Command::Dict {
            format,
            avp,
            command,
        } => dict_cmd(format, avp.as_deref(), command.as_deref()),
        Command::Send { peer, format, file } => {
            return client_cmd(&file, |text| async move {
                client::send::run(&peer, format, &text).await
            })
        }
        Command::Load {
            peer,
            bounds,
            format,
            file,
        } => {
            return client_cmd(&file, |text| async move {
                client::load::run(&peer, &bounds, format, &text).await
            })
        }
        Command::Demo => demo::run().map_err(Fatal),
        Command::Serve(args) => serve::run(*args).map(|()| true).map_err(Fatal::from),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(Fatal(msg)) => {
            eprintln!("diameter: {msg}");
            ExitCode::from(2)
        }
    }
}

/// Writes to stdout, treating a closed pipe (`| head`) as the end rather than an error.
fn write_out(out: &mut impl Write, bytes: &[u8]) -> Result<bool, Fatal> {
    match out.write_all(bytes) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(Fatal(format!("writing output: {e}"))),
    }
}

/// `diameter decode`: returns whether every message could be framed (and, when
/// `fail_on_invalid`, is valid).
fn decode(
    file: Option<&str>,
    format: DecodeFormat,
    lenient: bool,
    fail_on_invalid: bool,
) -> Result<bool, Fatal> {
    let data = input::read_all(file)?;
    let opts = if lenient {
        DecodeOptions::lenient()
    } else {
        DecodeOptions::default()
    };
    let items = input::items(&data, &opts).map_err(Fatal)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut all_ok = true;
    for (i, item) in items.into_iter().enumerate() {
        let view = json::MessageView::from_item(item, &opts);
        all_ok &= if fail_on_invalid {
            view.is_ok()
        } else {
            view.is_framed()
        };
        let text = match format {
            DecodeFormat::Json => {
                let mut s = serde_json::to_string(&view)?;
                s.push('\n');
                s
            }
            DecodeFormat::Text => {
                let mut s = String::new();
                if i > 0 {
                    s.push('\n');
                }
                text::render_message(&view, &mut s);
                s
            }
        };
        if !write_out(&mut out, text.as_bytes())? {
            return Ok(all_ok);
        }
    }
    match out.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Fatal(format!("writing output: {e}")))
        }
        _ => Ok(all_ok),
    }
}

/// `diameter encode`: returns whether every message could be encoded.
fn encode_cmd(file: Option<&str>, format: EncodeFormat, lenient: bool) -> Result<bool, Fatal> {
    let data = input::read_all(file)?;
    let text = String::from_utf8(data).map_err(|_| Fatal("the input is not UTF-8 text".into()))?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut all_ok = true;
    let mut ids = encode::IdGenerator::new();
    for (n, msg) in encode::messages(&text).into_iter().enumerate() {
        let encoded = msg.and_then(|v| encode::encode_message(&v, lenient, &mut ids));
        match encoded {
            Ok(bytes) => {
                let written = match format {
                    EncodeFormat::Hex => {
                        let mut line = hex::encode(&bytes);
                        line.push('\n');
                        write_out(&mut out, line.as_bytes())?
                    }
                    EncodeFormat::Bin => write_out(&mut out, &bytes)?,
                };
                if !written {
                    return Ok(all_ok);
                }
            }
            Err(e) => {
                all_ok = false;
                eprintln!("diameter: message {}: {e}", n + 1);
            }
        }
    }
    match out.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Fatal(format!("writing output: {e}")))
        }
        _ => Ok(all_ok),
    }
}

/// `diameter dict`.
fn dict_cmd(format: DecodeFormat, avp: Option<&str>, command: Option<&str>) -> Result<bool, Fatal> {
    let selection = dict::select(avp, command).map_err(Fatal)?;
    let text = match format {
        DecodeFormat::Json => {
            let mut s = serde_json::to_string_pretty(&selection.to_json())?;
            s.push('\n');
            s
        }
        DecodeFormat::Text => selection.to_text(),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    write_out(&mut out, text.as_bytes())?;
    Ok(true)
}

/// Runs `send` or `load` on a tokio runtime over the text of `file`; their own exit status, or
/// 2 when they could not run.
fn client_cmd<F, Fut>(file: &str, f: F) -> ExitCode
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<u8, String>>,
{
    let result = input::read_all(Some(file))
        .and_then(|d| String::from_utf8(d).map_err(|_| "the input is not UTF-8 text".into()))
        .and_then(|text| {
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("tokio runtime: {e}"))?
                .block_on(f(text))
        });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(msg) => {
            eprintln!("diameter: {msg}");
            ExitCode::from(2)
        }
    }
}
