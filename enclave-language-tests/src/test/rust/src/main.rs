//! An ordinary Rust enclave program: it talks to `/dev/nsm` with the raw ioctl (the layout AWS's
//! `aws-nitro-enclaves-nsm-api` driver uses) and to the parent over `AF_VSOCK` with the `vsock`
//! crate. It knows nothing about nitro-emu. Command line and output follow the program contract
//! in the module README.

// vsock 0.2 (Debian's librust-vsock-dev) returns nix's SockAddr, which nix 0.26 deprecates.
#![allow(deprecated)]

use serde_cbor::value::Value;
use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::unix::io::AsRawFd;
use std::process::exit;
use std::sync::mpsc;
use std::thread;
use vsock::{SockAddr, VsockListener, VsockStream};

const NSM_IOCTL_RAW: libc::c_ulong = 0xC020_0A00;
const MAX_RESPONSE_SIZE: usize = 0x3000;
const ECHO_BYTES: usize = 65536;

/// The driver's `struct nsm_raw`: the request and the response as two iovecs.
#[repr(C)]
struct NsmRaw {
    request: libc::iovec,
    response: libc::iovec,
}

fn say(line: String) {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let _ = writeln!(out, "{}", line);
    let _ = out.flush();
}

fn fail(step: &str, detail: String) -> ! {
    say(format!("error step={} detail={}", step, detail.replace('\n', " ")));
    exit(1)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{:02x}", b)).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::with_capacity((bytes.len() + 2) / 3 * 4);
    for chunk in bytes.chunks(3) {
        let n = (chunk[0] as u32) << 16
            | (*chunk.get(1).unwrap_or(&0) as u32) << 8
            | *chunk.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                text.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                text.push('=');
            }
        }
    }
    text
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn request(name: &str, fields: Vec<(&str, Value)>) -> Value {
    let body: BTreeMap<Value, Value> = fields.into_iter().map(|(k, v)| (text(k), v)).collect();
    let mut outer = BTreeMap::new();
    outer.insert(text(name), Value::Map(body));
    Value::Map(outer)
}

/// Sends one CBOR request through the ioctl and decodes the CBOR response.
fn call(fd: i32, request: &Value) -> Result<Value, String> {
    let encoded = serde_cbor::to_vec(request).map_err(|e| e.to_string())?;
    let mut reply = vec![0u8; MAX_RESPONSE_SIZE];
    let mut raw = NsmRaw {
        request: libc::iovec { iov_base: encoded.as_ptr() as *mut libc::c_void, iov_len: encoded.len() },
        response: libc::iovec { iov_base: reply.as_mut_ptr() as *mut libc::c_void, iov_len: reply.len() },
    };
    if unsafe { libc::ioctl(fd, NSM_IOCTL_RAW, &mut raw) } < 0 {
        return Err(io::Error::last_os_error().to_string());
    }
    reply.truncate(raw.response.iov_len);
    serde_cbor::from_slice(&reply).map_err(|e| e.to_string())
}

/// The field `field` of the response variant `variant`, or the NSM's error name.
fn field<'a>(response: &'a Value, variant: &str, field: &str) -> Result<&'a Value, String> {
    let outer = match response {
        Value::Map(m) => m,
        other => return Err(format!("unexpected response {:?}", other)),
    };
    if let Some(Value::Text(error)) = outer.get(&text("Error")) {
        return Err(error.clone());
    }
    match outer.get(&text(variant)) {
        Some(Value::Map(body)) => body.get(&text(field)).ok_or(format!("no {} in {}", field, variant)),
        _ => Err(format!("no {} in response {:?}", variant, response)),
    }
}

fn bytes_of(value: Result<&Value, String>, step: &str) -> Vec<u8> {
    match value {
        Ok(Value::Bytes(b)) => b.clone(),
        Ok(other) => fail(step, format!("not bytes: {:?}", other)),
        Err(e) => fail(step, e),
    }
}

fn cid_port(addr: io::Result<SockAddr>, step: &str) -> (u32, u32) {
    match addr {
        Ok(SockAddr::Vsock(a)) => (a.cid(), a.port()),
        Ok(other) => fail(step, format!("not a vsock address: {}", other)),
        Err(e) => fail(step, e.to_string()),
    }
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

/// What the server thread saw: the peer's CID, the accepted socket's local port and the bytes
/// echoed, printed by main after the client echo (the contract's order).
fn serve_once(listener: VsockListener) -> Result<(u32, u32, usize), String> {
    let (mut stream, peer) = listener.accept().map_err(|e| format!("accept: {}", e))?;
    let (peer_cid, _) = cid_port(Ok(peer), "echo-server");
    let (_, local_port) = cid_port(stream.local_addr(), "echo-server");
    let mut buffer = [0u8; 16384];
    let mut total = 0usize;
    loop {
        let n = stream.read(&mut buffer).map_err(|e| format!("read: {}", e))?;
        if n == 0 {
            break;
        }
        stream.write_all(&buffer[..n]).map_err(|e| format!("write: {}", e))?;
        total += n;
    }
    Ok((peer_cid, local_port, total))
}

fn echo_client(port: u32) {
    let stream = VsockStream::connect_with_cid_port(3, port).unwrap_or_else(|e| fail("echo-client", e.to_string()));
    let (local_cid, _) = cid_port(stream.local_addr(), "echo-client");
    let (peer_cid, peer_port) = cid_port(stream.peer_addr(), "echo-client");
    say(format!("client local_cid={} peer_cid={} peer_port={}", local_cid, peer_cid, peer_port));
    let sent = pattern(ECHO_BYTES);
    let mut got = vec![0u8; ECHO_BYTES];
    // One thread writes while this one reads, both through &VsockStream (vsock 0.2's try_clone
    // copies the fd without dup, so the clone's drop would close the socket under the reader).
    let written = thread::scope(|scope| {
        let writer = scope.spawn(|| (&stream).write_all(&sent));
        (&stream).read_exact(&mut got).unwrap_or_else(|e| fail("echo-client", e.to_string()));
        writer.join()
    });
    match written {
        Ok(Ok(())) => {}
        Ok(Err(e)) => fail("echo-client", e.to_string()),
        Err(_) => fail("echo-client", "writer panicked".to_string()),
    }
    if got != sent {
        fail("echo-client", "echoed bytes differ".to_string());
    }
    let _ = stream.shutdown(Shutdown::Both);
    say(format!("echo-client bytes={} ok", ECHO_BYTES));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        fail("arguments", "usage: nsmprobe NONCE_HEX ECHO_PORT LISTEN_PORT".to_string());
    }
    let nonce = match unhex(&args[1]) {
        Some(n) if !n.is_empty() && n.len() <= 64 => n,
        _ => fail("arguments", "nonce must be 1..64 bytes of hex".to_string()),
    };
    let port = |s: &str| s.parse::<u32>().unwrap_or_else(|e| fail("arguments", e.to_string()));
    let (echo_port, listen_port) = (port(&args[2]), port(&args[3]));

    let listener = VsockListener::bind_with_cid_port(libc::VMADDR_CID_ANY, listen_port)
        .unwrap_or_else(|e| fail("listen", e.to_string()));
    say(format!("listening port={}", listen_port));
    let (served_tx, served_rx) = mpsc::channel();
    thread::spawn(move || served_tx.send(serve_once(listener)));

    let device = OpenOptions::new().read(true).write(true).open("/dev/nsm")
        .unwrap_or_else(|e| fail("open", e.to_string()));
    let fd = device.as_raw_fd();

    let described = call(fd, &text("DescribeNSM")).unwrap_or_else(|e| fail("describe", e));
    let digest = match field(&described, "DescribeNSM", "digest") {
        Ok(Value::Text(t)) => t.clone(),
        other => fail("describe", format!("{:?}", other)),
    };
    let max_pcrs = match field(&described, "DescribeNSM", "max_pcrs") {
        Ok(Value::Integer(n)) => *n,
        other => fail("describe", format!("{:?}", other)),
    };
    let module_id = match field(&described, "DescribeNSM", "module_id") {
        Ok(Value::Text(t)) => t.clone(),
        other => fail("describe", format!("{:?}", other)),
    };
    let locked: Vec<String> = match field(&described, "DescribeNSM", "locked_pcrs") {
        Ok(Value::Array(items)) => items.iter().map(|v| match v {
            Value::Integer(n) => n.to_string(),
            other => format!("{:?}", other),
        }).collect(),
        other => fail("describe", format!("{:?}", other)),
    };
    say(format!("describe digest={} max_pcrs={} module_id={} locked={}", digest, max_pcrs, module_id, locked.join(",")));

    let data = b"nitro-emu".to_vec();
    let extend = request("ExtendPCR", vec![("index", Value::Integer(16)), ("data", Value::Bytes(data.clone()))]);
    let extended = call(fd, &extend).unwrap_or_else(|e| fail("extend", e));
    let value = bytes_of(field(&extended, "ExtendPCR", "data"), "extend");
    say(format!("extend pcr=16 data={} value={}", hex(&data), hex(&value)));

    let lock = request("LockPCR", vec![("index", Value::Integer(16))]);
    match call(fd, &lock) {
        Ok(Value::Text(t)) if t == "LockPCR" => say("lock pcr=16".to_string()),
        other => fail("lock", format!("{:?}", other)),
    }
    match call(fd, &extend).map(|r| field(&r, "ExtendPCR", "data").map(|_| ())) {
        Ok(Err(error)) => say(format!("extend-after-lock error={}", error)),
        other => fail("extend-after-lock", format!("{:?}", other)),
    }

    let random = call(fd, &text("GetRandom")).unwrap_or_else(|e| fail("random", e));
    say(format!("random bytes={}", hex(&bytes_of(field(&random, "GetRandom", "random"), "random"))));

    let attestation = request("Attestation", vec![
        ("user_data", Value::Null),
        ("nonce", Value::Bytes(nonce)),
        ("public_key", Value::Null),
    ]);
    let attested = call(fd, &attestation).unwrap_or_else(|e| fail("attestation", e));
    say(format!("attestation doc={}", base64(&bytes_of(field(&attested, "Attestation", "document"), "attestation"))));
    drop(device);

    echo_client(echo_port);
    match served_rx.recv() {
        Ok(Ok((peer_cid, local_port, total))) => {
            say(format!("server peer_cid={} local_port={}", peer_cid, local_port));
            say(format!("echo-server bytes={} ok", total));
        }
        Ok(Err(e)) => fail("echo-server", e),
        Err(e) => fail("echo-server", e.to_string()),
    }
    say("done".to_string());
}
