//! Delivering messages without letting response time tell real users from decoys.
//!
//! A decoy flow makes the same port calls as a real user's, except one: nothing is delivered.
//! If the notifier talks to a mail or SMS provider while the step waits, a real user's step
//! takes that provider's time and a decoy's does not, and an attacker timing responses can
//! tell them apart. So the notifier hands each message to a durable queue and returns at once;
//! a worker delivers from the queue. The port's contract allows this: `Ok` means the host has
//! accepted responsibility for the message, and a retried message carries the same id, so the
//! worker can drop duplicates.
//!
//! This example queues on a channel with a worker thread that takes 150 ms per message, and
//! times "choose email" for a real user and a decoy: neither waits for the delivery. (The
//! side-by-side timing of every step, real against decoy, is `cargo bench -p sspr-benches
//! --bench decoys`.)
//!
//! Run: `cargo run -p sspr-examples --bin async-delivery`
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sspr_core::engine::Engine;
use sspr_core::ports::{Message, Notifier};
use sspr_core::reset::ResetInput;
use sspr_core::testing::fixtures::{self, ALICE, CAPTCHA};
use sspr_core::{Policy, PortError, PortName, ResetOption};

/// A notifier that queues: `deliver` returns as soon as the message is on the queue.
struct QueueNotifier {
    queue: Mutex<Sender<Message>>,
}

impl Notifier for QueueNotifier {
    fn deliver(&self, message: Message) -> Result<(), PortError> {
        self.queue
            .lock()
            .map_err(|_| PortError::unavailable(PortName::Notifier, "queue poisoned"))?
            .send(message)
            .map_err(|_| PortError::unavailable(PortName::Notifier, "queue closed"))
    }
}

/// The worker: the slow part (a provider's API), off the request path.
fn worker(queue: Receiver<Message>) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let mut delivered = 0;
        for m in queue {
            std::thread::sleep(Duration::from_millis(150));
            delivered += 1;
            println!(
                "   worker: delivered message {} ({} by {})",
                &m.id[..8],
                m.kind.id(),
                m.channel.id()
            );
        }
        delivered
    })
}

fn main() -> Result<(), Box<dyn Error>> {
    let (tx, rx) = channel();
    let worker = worker(rx);
    let mem = fixtures::memory_ports(9);
    let mut ports = mem.ports();
    ports.notifier = Arc::new(QueueNotifier {
        queue: Mutex::new(tx),
    });
    let policy = Policy::parse(r#"{"reset": {"methods": ["email"], "methods_required": 1}}"#)?;
    let engine = Engine::new(policy, ports, fixtures::options())?;
    let timed = |who: &str| -> Result<Duration, Box<dyn Error>> {
        let flow = engine
            .start_reset(who, CAPTCHA, None)?
            .view
            .ok_or("no flow")?
            .flow_id;
        let start = Instant::now();
        engine.reset_step(&flow, ResetInput::Choose(ResetOption::Email))?;
        Ok(start.elapsed())
    };
    let real = timed(ALICE.username)?;
    let decoy = timed("nobody@contoso.example")?;
    println!("choose email, real user: {real:?}");
    println!("choose email, decoy:     {decoy:?}");
    println!(
        "Neither step waited for the 150 ms delivery: {}",
        real < Duration::from_millis(50) && decoy < Duration::from_millis(50)
    );
    drop(engine);
    let delivered = worker.join().map_err(|_| "the worker panicked")?;
    println!("The worker delivered {delivered} message(s): the real user's code only.");
    Ok(())
}
