//! A small Chrome DevTools Protocol client for the end-to-end test: headless
//! Chromium started with `--remote-debugging-pipe`, spoken to in JSON over
//! its pipe (no WebSocket, no Node, no extra crate).
//!
//! Chromium reads commands from file descriptor 3 and writes replies and
//! events to descriptor 4, each message ended by a NUL byte. A one-line `sh`
//! trampoline maps the child's stdin and stdout onto those descriptors, so
//! the standard library's pipes suffice (the workspace forbids `unsafe`,
//! which `pre_exec` would need).
//!
//! The test drives pages the way a person does: it types into fields with
//! `Input.insertText` and clicks with mouse events at the element's centre,
//! so the browser's own form handling (validation, encoding, redirects,
//! cookies) does the work.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long one protocol command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a page may take to load.
const LOAD_TIMEOUT: Duration = Duration::from_secs(60);

/// A headless Chromium with one page (tab) attached.
pub struct Browser {
    child: Child,
    input: ChildStdin,
    messages: Receiver<Value>,
    events: VecDeque<Value>,
    next_id: u64,
    session: String,
}

impl Browser {
    /// Starts `binary` headless with a private profile; its log goes to `log`.
    pub fn launch(binary: &Path, profile: &Path, log: &Path, width: u32, height: u32) -> Browser {
        let log = std::fs::File::create(log).expect("a log file for chromium");
        let mut child = Command::new("/bin/sh")
            .arg("-c")
            // fd 3 <- our stdin pipe, fd 4 -> our stdout pipe; stdin from /dev/null, stdout to the log.
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>&2"#)
            .arg(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-sync",
                "--hide-scrollbars",
                "--mute-audio",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--window-size={width},{height}"))
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("chromium starts");
        let input = child.stdin.take().expect("piped stdin");
        let output = child.stdout.take().expect("piped stdout");
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(output);
            loop {
                let mut message = Vec::new();
                match reader.read_until(0, &mut message) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if message.last() == Some(&0) {
                            message.pop();
                        }
                        match serde_json::from_slice::<Value>(&message) {
                            Ok(value) => {
                                if sender.send(value).is_err() {
                                    break;
                                }
                            }
                            Err(e) => eprintln!("cdp: unreadable message from chromium: {e}"),
                        }
                    }
                }
            }
        });
        let mut browser =
            Browser { child, input, messages, events: VecDeque::new(), next_id: 0, session: String::new() };
        let target = browser.command(None, "Target.createTarget", json!({ "url": "about:blank" }));
        let target_id = target["targetId"].as_str().expect("a target id").to_string();
        let attached =
            browser.command(None, "Target.attachToTarget", json!({ "targetId": target_id, "flatten": true }));
        browser.session = attached["sessionId"].as_str().expect("a session id").to_string();
        browser.call("Page.enable", json!({}));
        browser.call("Runtime.enable", json!({}));
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false }),
        );
        browser
    }

    /// Sends one command (to the browser, or to the page's session) and waits
    /// for its result; protocol errors panic with the method's name.
    fn command(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        match self.try_command(session, method, params) {
            Ok(result) => result,
            Err(e) => panic!("{method} failed: {e}"),
        }
    }

    fn try_command(&mut self, session: Option<&str>, method: &str, params: Value) -> Result<Value, String> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        let mut bytes = serde_json::to_vec(&message).expect("JSON");
        bytes.push(0);
        self.input.write_all(&bytes).and_then(|()| self.input.flush()).map_err(|e| format!("writing: {e}"))?;
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(reply) if reply["id"].as_u64() == Some(id) => {
                    if let Some(error) = reply.get("error") {
                        return Err(error.to_string());
                    }
                    return Ok(reply["result"].clone());
                }
                Ok(event) => {
                    if self.events.len() > 1000 {
                        self.events.pop_front();
                    }
                    self.events.push_back(event);
                }
                Err(RecvTimeoutError::Timeout) => return Err(format!("no reply within {COMMAND_TIMEOUT:?}")),
                Err(RecvTimeoutError::Disconnected) => return Err("chromium closed its pipe".to_string()),
            }
        }
    }

    /// A command to the page.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.command(Some(&session), method, params)
    }

    /// Evaluates `expression` in the page and returns its value, or the
    /// exception's text.
    pub fn try_eval(&mut self, expression: &str) -> Result<Value, String> {
        let session = self.session.clone();
        let result = self.try_command(
            Some(&session),
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
        )?;
        if let Some(exception) = result.get("exceptionDetails") {
            return Err(exception.to_string());
        }
        Ok(result["result"]["value"].clone())
    }

    /// Evaluates `expression`, panicking on an exception.
    pub fn eval(&mut self, expression: &str) -> Value {
        self.try_eval(expression).unwrap_or_else(|e| panic!("evaluating {expression}: {e}"))
    }

    /// Waits until `expression` is truthy (exceptions, e.g. during a
    /// navigation, count as not yet).
    pub fn wait_for(&mut self, expression: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(v) = self.try_eval(expression)
                && v.as_bool().unwrap_or(!v.is_null())
            {
                return;
            }
            if Instant::now() > deadline {
                let url = self.try_eval("location.href").unwrap_or_default();
                panic!("waited {timeout:?} for `{expression}` on {url}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Marks the current document, so a new one can be told apart from it.
    fn mark(&mut self) {
        self.eval("window.__anonlab_old_page = true");
    }

    /// Waits for a new document (not the marked one) to finish loading.
    fn wait_new_page(&mut self) {
        self.wait_for("document.readyState === 'complete' && window.__anonlab_old_page === undefined", LOAD_TIMEOUT);
    }

    /// Opens `url` and waits until it has loaded.
    pub fn goto(&mut self, url: &str) {
        self.mark();
        let result = self.call("Page.navigate", json!({ "url": url }));
        if let Some(error) = result.get("errorText") {
            panic!("navigating to {url}: {error}");
        }
        self.wait_new_page();
    }

    /// The page's URL.
    pub fn url(&mut self) -> String {
        self.eval("location.href").as_str().unwrap_or_default().to_string()
    }

    /// The page's visible text.
    pub fn text(&mut self) -> String {
        self.eval("document.body.innerText").as_str().unwrap_or_default().to_string()
    }

    /// Whether `selector` matches an element.
    pub fn exists(&mut self, selector: &str) -> bool {
        self.eval(&format!("document.querySelector({}) !== null", json!(selector))).as_bool().unwrap_or(false)
    }

    /// Scrolls the element into view and returns its centre in viewport pixels.
    fn centre(&mut self, selector: &str) -> (f64, f64) {
        let expression = format!(
            "(() => {{ const e = document.querySelector({}); if (!e) return null; \
             e.scrollIntoView({{ block: 'center', inline: 'center' }}); const r = e.getBoundingClientRect(); \
             return [r.left + r.width / 2, r.top + r.height / 2]; }})()",
            json!(selector)
        );
        let point = self.eval(&expression);
        let point = point.as_array().unwrap_or_else(|| panic!("no element {selector} on {}", self.url()));
        let (x, y) = (point[0].as_f64().unwrap_or(0.0), point[1].as_f64().unwrap_or(0.0));
        // A click must land on the element itself, not on something covering it.
        let hit = format!(
            "(() => {{ const e = document.querySelector({}); const h = document.elementFromPoint({x}, {y}); \
             return h !== null && (e === h || e.contains(h)) ? true : (h ? h.outerHTML.slice(0, 160) : 'nothing'); }})()",
            json!(selector)
        );
        let hit = self.eval(&hit);
        assert_eq!(hit, Value::Bool(true), "clicking {selector} at ({x}, {y}) would hit another element");
        (x, y)
    }

    /// Clicks the element with the mouse.
    pub fn click(&mut self, selector: &str) {
        let (x, y) = self.centre(selector);
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({ "type": kind, "x": x, "y": y, "button": "left", "buttons": 1, "clickCount": 1 }),
            );
        }
    }

    /// Clicks the element and waits for the page it leads to.
    pub fn click_and_wait(&mut self, selector: &str) {
        self.mark();
        self.click(selector);
        self.wait_new_page();
    }

    /// Replaces the text of an input with `text`, typed as a person would.
    pub fn type_into(&mut self, selector: &str, text: &str) {
        self.click(selector);
        self.eval(&format!(
            "(() => {{ const e = document.querySelector({}); e.value = ''; e.focus(); }})()",
            json!(selector)
        ));
        self.call("Input.insertText", json!({ "text": text }));
        let value = self.eval(&format!("document.querySelector({}).value", json!(selector)));
        assert_eq!(value.as_str(), Some(text), "typing into {selector}");
    }

    /// Chooses `value` in a `<select>`.
    pub fn select(&mut self, selector: &str, value: &str) {
        let expression = format!(
            "(() => {{ const e = document.querySelector({}); e.value = {}; \
             e.dispatchEvent(new Event('change', {{ bubbles: true }})); return e.value; }})()",
            json!(selector),
            json!(value)
        );
        assert_eq!(self.eval(&expression).as_str(), Some(value), "choosing {value} in {selector}");
    }

    /// Puts a file into an `<input type="file">`.
    pub fn set_file(&mut self, selector: &str, file: &Path) {
        let document = self.call("DOM.getDocument", json!({ "depth": 0 }));
        let root = document["root"]["nodeId"].as_i64().expect("a document node");
        let node = self.call("DOM.querySelector", json!({ "nodeId": root, "selector": selector }));
        let node = node["nodeId"].as_i64().filter(|n| *n != 0).unwrap_or_else(|| panic!("no element {selector}"));
        self.call("DOM.setFileInputFiles", json!({ "nodeId": node, "files": [file.display().to_string()] }));
    }

    /// A PNG of the whole page (up to `max_height` pixels tall).
    pub fn screenshot(&mut self, max_height: u32) -> Vec<u8> {
        self.eval("window.scrollTo(0, 0)");
        let metrics = self.call("Page.getLayoutMetrics", json!({}));
        let size = &metrics["cssContentSize"];
        let width = size["width"].as_f64().unwrap_or(1280.0).ceil();
        let height = size["height"].as_f64().unwrap_or(900.0).ceil().min(f64::from(max_height));
        let shot = self.call(
            "Page.captureScreenshot",
            json!({
                "format": "png",
                "captureBeyondViewport": true,
                "clip": { "x": 0, "y": 0, "width": width, "height": height, "scale": 1 },
            }),
        );
        let data = shot["data"].as_str().expect("screenshot data");
        data_encoding::BASE64.decode(data.as_bytes()).expect("base64 PNG")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.try_command(None, "Browser.close", json!({}));
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
