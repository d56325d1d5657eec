//! Fault scenarios shared by the tests of the networked backends: the server stopped in the
//! middle of a flow, and a connection cut in the middle of the flow's compare-and-set.

use sspr_core::engine::{Engine, Ports, SecurityInfoImport};
use sspr_core::memory::MemoryPorts;
use sspr_core::reset::ResetInput;
use sspr_core::testing::fixtures::{self, ALICE, CAPTCHA};
use sspr_core::{Policy, PortErrorKind, ResetOption, SecretString};
use sspr_stores::testing::{Cut, FaultProxy};

/// Alice with an alternate email, a reset started and a code sent: the flow id and the code.
fn to_code_entry(engine: &Engine, mem: &MemoryPorts) -> Result<(String, SecretString), String> {
    let import = SecurityInfoImport {
        email: Some("alice.smith@fabrikam.example".into()),
        ..Default::default()
    };
    engine
        .import_security_info(&ALICE.user_id(), &import)
        .map_err(|e| e.to_string())?;
    let id = engine
        .start_reset(ALICE.username, CAPTCHA, None)
        .map_err(|e| e.to_string())?
        .view
        .ok_or("no flow")?
        .flow_id;
    engine
        .reset_step(&id, ResetInput::Choose(ResetOption::Email))
        .map_err(|e| e.to_string())?;
    let code = mem
        .notifier
        .take()
        .into_iter()
        .find_map(|m| m.code)
        .ok_or("no code")?;
    Ok((id, code))
}

/// The step failed with `Unavailable`, and its message names no statement and no flow.
fn unavailable(
    result: Result<sspr_core::engine::ResetOutcome, sspr_core::Error>,
    id: &str,
) -> Result<(), String> {
    match result {
        Err(sspr_core::Error::Port(e)) if e.kind == PortErrorKind::Unavailable => {
            let text = e.to_string();
            if ["SELECT", "UPDATE", "EVAL", "HSET"]
                .iter()
                .any(|w| text.contains(w))
                || text.contains(id)
            {
                return Err(format!("the error says too much: {e}"));
            }
            Ok(())
        }
        other => Err(format!("expected Unavailable, got {other:?}")),
    }
}

/// Sets the new password and checks that the reset completed.
fn finish(engine: &Engine, id: &str) -> Result<(), String> {
    let pw = SecretString::new("quiet lantern orchard 4417");
    let o = engine
        .reset_step(
            id,
            ResetInput::NewPassword {
                password: pw.clone(),
                confirm: pw,
            },
        )
        .map_err(|e| e.to_string())?;
    match o.view {
        Some(v) if v.state == "completed" => Ok(()),
        v => Err(format!(
            "the reset did not complete: {v:?} {:?}",
            o.rejection
        )),
    }
}

/// The server stopped after the code was sent: the code step fails `Unavailable`; once the
/// server is back the same step goes through and the reset completes.
pub fn server_restart_mid_flow(
    ports: impl Fn(&MemoryPorts) -> Result<Ports, String>,
    stop: impl Fn() -> Result<(), String>,
    start: impl Fn() -> Result<(), String>,
) -> Result<(), String> {
    let mem = fixtures::memory_ports(2);
    let engine = fixtures::engine(Policy::default(), ports(&mem)?);
    let (id, code) = to_code_entry(&engine, &mem)?;
    stop()?;
    let down = unavailable(
        engine.reset_step(&id, ResetInput::EnterCode(code.clone())),
        &id,
    );
    start()?;
    down?;
    let o = engine
        .reset_step(&id, ResetInput::EnterCode(code))
        .map_err(|e| format!("after the restart: {e}"))?;
    let state = o.view.ok_or("no view")?.state;
    if state != "new_password" {
        return Err(format!(
            "the flow did not resume: {state} {:?}",
            o.rejection
        ));
    }
    finish(&engine, &id)
}

/// The connection carrying the flow's compare-and-set cut before the server gets it, and
/// again cut after the server ran it but before the reply: each time the step fails
/// `Unavailable`, the retry of the same step finds the flow either as it was or fully moved
/// on (never half), the same code is still good when the save did not happen, and the reset
/// completes. `request` marks the save in the client's bytes, `reply` the server's success.
pub fn cut_during_compare_and_set(
    proxy: &FaultProxy,
    ports: impl Fn(&MemoryPorts, &str) -> Result<Ports, String>,
    request: &[&[u8]],
    reply: &[u8],
) -> Result<(), String> {
    for (n, cut) in [Cut::BeforeRequest, Cut::InsteadOfReply]
        .into_iter()
        .enumerate()
    {
        let mem = fixtures::memory_ports(3 + n as u64);
        let engine = fixtures::engine(Policy::default(), ports(&mem, &format!("cut{n}_"))?);
        let (id, code) = to_code_entry(&engine, &mem)?;
        let marks: Vec<Vec<u8>> = request
            .iter()
            .map(|r| {
                String::from_utf8_lossy(r)
                    .replace("{p}", &format!("cut{n}_"))
                    .into_bytes()
            })
            .collect();
        let marks: Vec<&[u8]> = marks.iter().map(Vec::as_slice).collect();
        proxy.arm(&marks, cut, reply);
        unavailable(
            engine.reset_step(&id, ResetInput::EnterCode(code.clone())),
            &id,
        )
        .map_err(|e| format!("{cut:?}: {e}"))?;
        if !proxy.fired() {
            return Err(format!("{cut:?}: the proxy never saw the compare-and-set"));
        }
        let o = engine
            .reset_step(&id, ResetInput::EnterCode(code))
            .map_err(|e| format!("{cut:?}: the retry failed: {e}"))?;
        let state = o.view.as_ref().map(|v| v.state.id()).unwrap_or_default();
        let expected = match cut {
            // Not saved: the retry is the first time the code is accepted.
            Cut::BeforeRequest => None,
            // Saved: the flow moved on as a whole; the code is not accepted twice.
            Cut::InsteadOfReply => Some(sspr_core::Reason::FlowInvalidStep),
        };
        if state != "new_password" || o.rejection != expected {
            return Err(format!(
                "{cut:?}: after the cut the flow is {state} with {:?}",
                o.rejection
            ));
        }
        finish(&engine, &id).map_err(|e| format!("{cut:?}: {e}"))?;
    }
    Ok(())
}
