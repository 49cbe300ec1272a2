//! `diameter send`: each request of a JSON file, one after the other, each answer printed as
//! `decode` prints messages.

use std::io::Write;

use diameter_runtime::DecodeOptions;

use super::template::{Script, Slot};
use super::{PeerArgs, EXIT_ANSWERED, EXIT_NO_PEER, EXIT_UNANSWERED};
use crate::input::Item;
use crate::json::MessageView;
use crate::{text, DecodeFormat};

/// Runs `send`; returns the exit status (see [`super`]'s constants), or why it could not run.
pub async fn run(args: &PeerArgs, format: DecodeFormat, input: &str) -> Result<u8, String> {
    let (host, realm) = args.identity();
    let script = Script::parse(input, &host, &realm, args.lenient)?;
    let addr = args.address().await?;
    let node = args.node(&host, &realm, &script)?;
    if !args.open(&node, addr).await? {
        node.shutdown().await;
        eprintln!(
            "diameter: no capability exchange with {} within the connect timeout",
            args.peer
        );
        return Ok(EXIT_NO_PEER);
    }
    let opts = DecodeOptions::default();
    let mut status = EXIT_ANSWERED;
    let stdout = std::io::stdout();
    for step in 0..script.messages.len() {
        let slot = Slot {
            seq: step as u64,
            round: 0,
            step,
        };
        let request = script
            .render(slot)
            .map_err(|e| format!("message {}: {e}", step + 1))?;
        match node.call_raw(request).await {
            Ok(frame) => {
                let view = MessageView::from_item(
                    Item {
                        label: None,
                        capture: None,
                        data: Ok(frame),
                    },
                    &opts,
                );
                let out = match format {
                    DecodeFormat::Json => {
                        let mut s = serde_json::to_string(&view).map_err(|e| e.to_string())?;
                        s.push('\n');
                        s
                    }
                    DecodeFormat::Text => {
                        let mut s = String::new();
                        if step > 0 {
                            s.push('\n');
                        }
                        text::render_message(&view, &mut s);
                        s
                    }
                };
                let mut lock = stdout.lock();
                // A closed pipe ends the output, not the exchange.
                let _ = lock.write_all(out.as_bytes()).and_then(|()| lock.flush());
            }
            Err(e) => {
                eprintln!("diameter: message {}: {e}", step + 1);
                status = EXIT_UNANSWERED;
            }
        }
    }
    node.shutdown().await;
    Ok(status)
}
